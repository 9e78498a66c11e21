// Team: members and their roles, invitation links (shown once, when created), removing people.
import { useState, type FormEvent } from 'react';
import { useSignedIn } from '../app/auth.tsx';
import { useI18n } from '../i18n/index.ts';
import { api, ApiError } from '../lib/api.ts';
import { dateTime } from '../lib/format.ts';
import { useAction, useApi, useClientPages } from '../lib/hooks.ts';
import { can } from '../lib/permissions.ts';
import type { Invitation, Member, Role } from '../lib/types.ts';
import { Banner, ConfirmButton, CopyButton, Empty, ErrorNote, Loading, PageHeader, Pager } from '../ui/basics.tsx';

/** The team page. */
export function Team() {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const members = useApi<{ items: Member[] }>('/members');
  const invitations = useApi<{ items: Invitation[] }>(can(me.role, 'manageTeam') ? '/invitations' : null);
  return (
    <>
      <PageHeader title={t('team.title')} intro={t('team.intro')} />
      <section className="card" aria-labelledby="members-h">
        <h2 id="members-h">{t('team.members')}</h2>
        <ErrorNote error={members.error} />
        {members.data ? <MemberTable members={members.data.items} onChanged={members.reload} /> : members.error ? null : <Loading />}
      </section>
      {can(me.role, 'manageTeam') ? (
        <section className="card" aria-labelledby="invite-h">
          <h2 id="invite-h">{t('team.invite')}</h2>
          <InviteForm onInvited={invitations.reload} />
          <h3>{t('team.pending')}</h3>
          <ErrorNote error={invitations.error} />
          {invitations.data ? <InvitationList items={invitations.data.items} onChanged={invitations.reload} /> : null}
        </section>
      ) : null}
    </>
  );
}

function MemberTable({ members, onChanged }: { members: Member[]; onChanged(): void }) {
  const { t, lang } = useI18n();
  const { me } = useSignedIn();
  const paged = useClientPages(members, 20);
  const action = useAction();
  const manage = can(me.role, 'manageTeam');
  const owners = can(me.role, 'manageOwners');
  const setRole = (m: Member, role: Role) => void action.run(async () => (await api(`/members/${m.userId}`, { method: 'PATCH', body: { role } }), onChanged()));
  const remove = (m: Member) => void action.run(async () => (await api(`/members/${m.userId}`, { method: 'DELETE' }), onChanged()));
  return (
    <>
      <ErrorNote error={action.error} />
      <div className="table-wrap">
        <table className="table responsive">
          <thead>
            <tr>
              <th scope="col">{t('team.person')}</th>
              <th scope="col">{t('team.role')}</th>
              <th scope="col">{t('team.joined')}</th>
              {manage ? <th scope="col">{t('common.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {paged.items.map((m) => {
              const self = m.userId === me.user.id;
              const editable = manage && !self && (owners || m.role !== 'owner');
              return (
                <tr key={m.userId}>
                  <td data-label={t('team.person')}>
                    <span className="break">{m.name ?? m.email}</span>
                    {m.name && m.email ? <span className="small muted break"> {m.email}</span> : null}
                    {self ? <span className="small muted"> {t('team.you')}</span> : null}
                  </td>
                  <td data-label={t('team.role')}>
                    {editable ? (
                      <>
                        <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                          {t('team.roleOf', { name: m.email ?? m.name ?? '' })}
                        </label>
                        <select id={`role-${m.userId}`} value={m.role} disabled={action.busy} onChange={(e) => setRole(m, e.target.value as Role)}>
                          {owners ? <option value="owner">{t('role.owner')}</option> : null}
                          <option value="admin">{t('role.admin')}</option>
                          <option value="member">{t('role.member')}</option>
                        </select>
                      </>
                    ) : (
                      t(`role.${m.role}`)
                    )}
                  </td>
                  <td data-label={t('team.joined')}>{dateTime(m.joinedAt, lang)}</td>
                  {manage ? (
                    <td data-label={t('common.actions')}>
                      {editable ? <ConfirmButton label={t('common.remove')} question={t('team.removeQuestion', { name: m.email ?? m.name ?? '' })} confirmLabel={t('common.remove')} danger busy={action.busy} onConfirm={() => remove(m)} /> : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager {...paged} label={t('team.members')} />
      <p className="small muted">{t('team.rolesHelp')}</p>
    </>
  );
}

function InviteForm({ onInvited }: { onInvited(): void }) {
  const { t } = useI18n();
  const { me } = useSignedIn();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const res = await api<{ invitation: Invitation; inviteUrl: string }>('/invitations', { method: 'POST', body: { email: email.trim(), role } });
      setLink({ email: res.invitation.email, url: res.inviteUrl });
      setEmail('');
      onInvited();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      <form className="row-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="invite-email">{t('team.email')}</label>
          <input id="invite-email" type="email" required maxLength={320} value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="invite-role">{t('team.role')}</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">{t('role.member')}</option>
            <option value="admin">{t('role.admin')}</option>
            {can(me.role, 'manageOwners') ? <option value="owner">{t('role.owner')}</option> : null}
          </select>
        </div>
        <button type="submit" className="primary">
          {t('team.createLink')}
        </button>
      </form>
      <ErrorNote error={error} />
      {link ? (
        <Banner kind="success">
          <p>{t('team.linkFor', { email: link.email })}</p>
          <pre className="code">{link.url}</pre>
          <CopyButton text={link.url} label={t('team.copyLink')} />
        </Banner>
      ) : null}
    </>
  );
}

function InvitationList({ items, onChanged }: { items: Invitation[]; onChanged(): void }) {
  const { t, lang } = useI18n();
  const paged = useClientPages(items, 10);
  const action = useAction();
  if (!items.length) return <Empty>{t('team.noPending')}</Empty>;
  return (
    <>
      <ErrorNote error={action.error} />
      <ul className="plain-list">
        {paged.items.map((i) => (
          <li key={i.id} className="row">
            <span className="break">{i.email}</span>
            <span>{t(`role.${i.role}`)}</span>
            <span className="small muted">{t('team.expires', { when: dateTime(i.expiresAt, lang) })}</span>
            <ConfirmButton label={t('team.revoke')} question={t('team.revokeQuestion')} confirmLabel={t('team.revoke')} busy={action.busy} onConfirm={() => void action.run(async () => (await api(`/invitations/${i.id}`, { method: 'DELETE' }), onChanged()))} />
          </li>
        ))}
      </ul>
      <Pager {...paged} label={t('team.pending')} />
    </>
  );
}
