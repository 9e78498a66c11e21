// Knowledge: the site's sources (status, progress, last sync, page problems; re-sync, cancel,
// delete), adding a website, uploading documents, and testing a question.
import { useSignedIn } from '../app/auth.tsx';
import { useI18n } from '../i18n/index.ts';
import { can } from '../lib/permissions.ts';
import type { SiteView } from '../lib/types.ts';
import { ErrorNote, Loading, PageHeader } from '../ui/basics.tsx';
import { AddWebsite } from './knowledge/AddWebsite.tsx';
import { SourceList } from './knowledge/SourceList.tsx';
import { TestQuestion } from './knowledge/TestQuestion.tsx';
import { Uploads } from './knowledge/Uploads.tsx';
import { useSources } from './knowledge/useSources.ts';

/** The knowledge page of a site. */
export function Knowledge({ site }: { site: SiteView }) {
  const { t } = useI18n();
  const { me, tenant } = useSignedIn();
  const manage = can(me.role, 'manageKnowledge');
  const { sources, error, upsert, remove } = useSources(site.id);
  return (
    <>
      <PageHeader title={t('knowledge.title')} intro={t('knowledge.intro', { site: site.name })} />
      <section aria-labelledby="sources-h" className="card">
        <h2 id="sources-h">{t('knowledge.sources')}</h2>
        <ErrorNote error={error} />
        {sources ? <SourceList siteId={site.id} sources={sources} canManage={manage} onChange={upsert} onRemoved={remove} /> : error ? null : <Loading />}
      </section>
      {manage ? (
        <div className="grid two">
          <section aria-labelledby="add-site-h" className="card">
            <h2 id="add-site-h">{t('knowledge.addWebsite')}</h2>
            <AddWebsite siteId={site.id} onAdded={upsert} />
          </section>
          <section aria-labelledby="upload-h" className="card">
            <h2 id="upload-h">{t('knowledge.upload')}</h2>
            <Uploads siteId={site.id} maxBytes={tenant.limits.uploadBytes} onUploaded={upsert} />
          </section>
        </div>
      ) : null}
      <section aria-labelledby="test-h" className="card">
        <h2 id="test-h">{t('knowledge.test')}</h2>
        <p className="muted">{t('knowledge.testIntro')}</p>
        <TestQuestion siteId={site.id} />
      </section>
    </>
  );
}
