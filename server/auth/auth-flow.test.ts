import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  bearer,
  fragmentParam,
  getMe,
  postExchange,
  postRefresh,
  providerCallback,
  randomEmail,
  signInByLink,
  signInWithProvider,
  visitCallback,
} from '../../test/auth-helpers.ts';
import { startGithubIdp, type GithubIdp } from '../../test/fixtures/github-idp.ts';
import { startOidcIdp, type OidcIdp } from '../../test/fixtures/oidc-idp.ts';
import { buildTestApp, LogCapture, openTestDatabase, testRedisUrl } from '../../test/harness.ts';
import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { createMemoryStateStore } from '../platform/state/memory.ts';
import { signinLinkFor, type TokenResponse } from './auth.service.ts';

// The whole browserless sign-in, driven through the HTTP routes only, against loopback identity
// providers. The server test database is shared: every user here has a random email and subject.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const publicUrl = 'http://localhost:4107'; // never opened: the IdPs stop at the redirect to it
const client = { clientId: 'cloop-flow', clientSecret: 'cloop-flow-secret-0123456789abcdef' };
const run = randomUUID().slice(0, 8);

// Google accounts (the id is the subject) and GitHub users, unique per run.
const sharedEmail = randomEmail('linked');
const googleAccounts = {
  alice: `alice-${run}`, // verified, signs in twice
  linked: `linked-${run}`, // verified sharedEmail
  unverified: `unverified-${run}`, // sharedEmail, not verified
  logs: `logs-${run}`,
  attacks: `attacks-${run}`,
} as const;
const githubUsers = {
  linked: `linked-${run}`, // verified sharedEmail
  logs: `logs-${run}`,
  attacks: `attacks-${run}`,
} as const;

let database: Database;
let google: OidcIdp;
let github: GithubIdp;
let t: TestApp;
const auditStream = new LogCapture();

function idpEnv(): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    GOOGLE_CLIENT_ID: client.clientId,
    GOOGLE_CLIENT_SECRET: client.clientSecret,
    GOOGLE_ISSUER: google.issuer,
    GITHUB_CLIENT_ID: client.clientId,
    GITHUB_CLIENT_SECRET: client.clientSecret,
    GITHUB_URL: github.webUrl,
    GITHUB_API_URL: github.apiUrl,
  };
}

const viaGoogle = (account: string) => (url: string) => google.login(url, account);
const viaGithub = (user: string) => (url: string) => github.login(url, user);

beforeAll(async () => {
  database = await openTestDatabase();
  [google, github] = await Promise.all([
    startOidcIdp({
      ...client,
      redirectUris: [`${publicUrl}/api/auth/google/callback`],
      accounts: {
        [googleAccounts.alice]: { email: randomEmail('alice'), email_verified: true, name: 'Alice Example' },
        [googleAccounts.linked]: { email: sharedEmail, email_verified: true, name: 'Linked Person' },
        [googleAccounts.unverified]: { email: sharedEmail, email_verified: false, name: 'Someone Else' },
        [googleAccounts.logs]: { email: randomEmail('logs'), email_verified: true },
        [googleAccounts.attacks]: { email: randomEmail('attacks'), email_verified: true },
      },
    }),
    startGithubIdp({
      ...client,
      users: {
        [githubUsers.linked]: { id: randomInt(1e8, 2 ** 31), login: `linked${run}`, name: null, emails: [{ email: sharedEmail, primary: true, verified: true }] },
        [githubUsers.logs]: { id: randomInt(1e8, 2 ** 31), login: `logs${run}`, name: 'Logs', emails: [{ email: randomEmail('ghlogs'), primary: true, verified: true }] },
        [githubUsers.attacks]: { id: randomInt(1e8, 2 ** 31), login: `atk${run}`, name: 'Atk', emails: [{ email: randomEmail('ghatk'), primary: true, verified: true }] },
      },
    }),
  ]);
  // The auth tier is limited separately below; here the flow makes many auth calls from one IP.
  t = await buildTestApp(database, { ...idpEnv(), RATE_LIMIT_AUTH: '10000/60' }, { auditStream });
});

afterAll(async () => {
  await t?.close();
  await Promise.all([google?.close(), github?.close()]);
  await database?.close();
});

describe('signing in through a provider', () => {
  it('Google: start → IdP → callback → exchange → /api/me as the owner of a new workspace', async () => {
    const start = await t.app.inject({ method: 'GET', url: '/api/auth/google/start' });
    expect(start.statusCode).toBe(302);
    expect(start.headers['cache-control']).toBe('no-store');
    const authorizationUrl = new URL(String(start.headers.location));
    expect(authorizationUrl.origin + authorizationUrl.pathname).toMatch(new RegExp(`^${google.issuer}/`));
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${publicUrl}/api/auth/google/callback`);

    const callback = new URL(await google.login(authorizationUrl.href, googleAccounts.alice));
    const back = await t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
    expect(back.statusCode).toBe(302);
    expect(back.headers['referrer-policy']).toBe('no-referrer');
    const landing = String(back.headers.location);
    expect(landing.startsWith(`${publicUrl}/app/#exchange=`)).toBe(true);

    const exchange = await postExchange(t.app, fragmentParam(landing, 'exchange')!);
    expect(exchange.statusCode).toBe(200);
    const tokens = exchange.json<TokenResponse>();
    expect(tokens).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.any(String), tenantId: expect.any(String) });

    const me = await getMe(t.app, tokens.accessToken);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { name: 'Alice Example' }, tenantId: tokens.tenantId, role: 'owner' });
    expect(me.json().user.email).toMatch(/^alice-/);
    expect(me.json().memberships).toEqual([expect.objectContaining({ tenantId: tokens.tenantId, role: 'owner' })]);

    // The same identity again: the same user, in the same workspace.
    const again = await signInWithProvider(t.app, 'google', viaGoogle(googleAccounts.alice));
    expect(again.tokens.tenantId).toBe(tokens.tenantId);
    const meAgain = (await getMe(t.app, again.tokens.accessToken)).json();
    expect(meAgain.user.id).toBe(me.json().user.id);
    expect(meAgain.memberships).toHaveLength(1);
  });

  it('GitHub with the same verified email links to the same user; an unverified address never links', async () => {
    const first = await signInWithProvider(t.app, 'google', viaGoogle(googleAccounts.linked));
    const owner = (await getMe(t.app, first.tokens.accessToken)).json();
    expect(owner).toMatchObject({ user: { email: sharedEmail }, role: 'owner' });

    const viaGh = await signInWithProvider(t.app, 'github', viaGithub(githubUsers.linked));
    expect(viaGh.tokens.tenantId).toBe(first.tokens.tenantId);
    const linked = (await getMe(t.app, viaGh.tokens.accessToken)).json();
    expect(linked.user.id).toBe(owner.user.id);
    expect(linked.memberships).toHaveLength(1);

    const stranger = await signInWithProvider(t.app, 'google', viaGoogle(googleAccounts.unverified));
    expect(stranger.tokens.tenantId).not.toBe(first.tokens.tenantId);
    const other = (await getMe(t.app, stranger.tokens.accessToken)).json();
    expect(other.user.id).not.toBe(owner.user.id);
    expect(other).toMatchObject({ role: 'owner', memberships: [expect.objectContaining({ tenantId: stranger.tokens.tenantId })] });
  });

  it('an unknown provider is 404 provider_not_found', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/auth/nope/start' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('provider_not_found');
  });
});

/** One row per attack on the callback: each lands on `#error=sign_in_failed` and is audited. */
const callbackAttacks: { attack: string; provider: 'google' | 'github'; reason: string; run(): Promise<{ landing: string; callbackRequestId: string }> }[] = [
  {
    attack: 'tampered state',
    provider: 'google',
    reason: 'state_mismatch',
    run: () => providerCallback(t.app, 'google', viaGoogle(googleAccounts.attacks), (cb) => withParam(cb, 'state', `${cb.searchParams.get('state')}x`)),
  },
  {
    attack: 'tampered state',
    provider: 'github',
    reason: 'state_mismatch',
    run: () => providerCallback(t.app, 'github', viaGithub(githubUsers.attacks), (cb) => withParam(cb, 'state', `${cb.searchParams.get('state')}x`)),
  },
  {
    attack: 'no state',
    provider: 'google',
    reason: 'state_mismatch',
    run: () => providerCallback(t.app, 'google', viaGoogle(googleAccounts.attacks), (cb) => withParam(cb, 'state', null)),
  },
  {
    attack: 'a state that was never issued',
    provider: 'github',
    reason: 'state_mismatch',
    run: () => visitCallback(t.app, new URL(`${publicUrl}/api/auth/github/callback?code=${randomUUID()}&state=${randomUUID()}`)),
  },
  {
    attack: 'a state issued for another provider',
    provider: 'github',
    reason: 'state_mismatch',
    run: async () => {
      const start = await t.app.inject({ method: 'GET', url: '/api/auth/google/start' });
      const state = new URL(String(start.headers.location)).searchParams.get('state')!;
      return visitCallback(t.app, new URL(`${publicUrl}/api/auth/github/callback?code=abc&state=${state}`));
    },
  },
  {
    attack: 'replayed callback URL (same code and state twice)',
    provider: 'google',
    reason: 'state_mismatch',
    run: async () => {
      const first = await providerCallback(t.app, 'google', viaGoogle(googleAccounts.attacks));
      expect(first.exchangeCode).toBeTruthy();
      return visitCallback(t.app, first.callback);
    },
  },
  {
    attack: 'replayed callback URL (same code and state twice)',
    provider: 'github',
    reason: 'state_mismatch',
    run: async () => {
      const first = await providerCallback(t.app, 'github', viaGithub(githubUsers.attacks));
      expect(first.exchangeCode).toBeTruthy();
      return visitCallback(t.app, first.callback);
    },
  },
  {
    attack: 'a forged authorization code',
    provider: 'github',
    reason: 'code_rejected',
    run: () => providerCallback(t.app, 'github', viaGithub(githubUsers.attacks), (cb) => withParam(cb, 'code', 'forged-code')),
  },
  {
    attack: 'a user who refused at the provider',
    provider: 'google',
    reason: 'provider_error',
    run: () => providerCallback(t.app, 'google', viaGoogle('nobody')),
  },
];

describe('rejected sign-ins', () => {
  it.each(callbackAttacks)('$provider: $attack → #error=sign_in_failed, audited as $reason', async (row) => {
    const { landing, callbackRequestId } = await row.run();
    expect(landing).toBe(`${publicUrl}/app/#error=sign_in_failed`);
    const events = await auditEvents(database.db, 'auth.sign_in_failed', { requestId: callbackRequestId });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tenant_id: null, actor_type: 'anonymous', metadata: { method: row.provider, reason: row.reason } });
  });

  it('an exchange code works once; the second use is 401 invalid_token', async () => {
    const attempt = await providerCallback(t.app, 'google', viaGoogle(googleAccounts.attacks));
    expect((await postExchange(t.app, attempt.exchangeCode!)).statusCode).toBe(200);
    const again = await postExchange(t.app, attempt.exchangeCode!);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('invalid_token');
  });

  it('an exchange code never issued is 401 invalid_token; a malformed one is 400', async () => {
    const unknown = await postExchange(t.app, 'A'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('invalid_token');
    const malformed = await postExchange(t.app, 'not a code');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('validation_failed');
  });
});

describe('expiry of the sign-in state and the exchange code (a clock the test moves)', () => {
  // The state store's clock is the only one moved: the same door tests use for any adapter.
  // This app keeps its single-use values in the in-process store even in the Redis pass.
  let skewMs = 0;
  let clocked: TestApp;
  beforeAll(async () => {
    clocked = await buildTestApp(database, { ...idpEnv(), RATE_LIMIT_AUTH: '10000/60' }, { state: createMemoryStateStore({ now: () => Date.now() + skewMs }) });
  });
  afterAll(() => clocked?.close());

  it('an exchange code is good for 60 seconds', async () => {
    const early = await providerCallback(clocked.app, 'google', viaGoogle(googleAccounts.attacks));
    const late = await providerCallback(clocked.app, 'google', viaGoogle(googleAccounts.attacks));
    skewMs += 59_000;
    expect((await postExchange(clocked.app, early.exchangeCode!)).statusCode).toBe(200);
    skewMs += 2_000;
    const expired = await postExchange(clocked.app, late.exchangeCode!);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('invalid_token');
  });

  it('a sign-in started more than 10 minutes ago cannot be finished', async () => {
    const start = await clocked.app.inject({ method: 'GET', url: '/api/auth/github/start' });
    const callback = new URL(await github.login(String(start.headers.location), githubUsers.attacks));
    skewMs += 10 * 60_000 + 1_000;
    const { landing, callbackRequestId } = await visitCallback(clocked.app, callback);
    expect(landing).toBe(`${publicUrl}/app/#error=sign_in_failed`);
    const events = await auditEvents(database.db, 'auth.sign_in_failed', { requestId: callbackRequestId });
    expect(events).toMatchObject([{ metadata: { reason: 'state_mismatch' } }]);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; a reused one revokes its whole session and is audited', async () => {
    const first = await signInByLink(t, randomEmail('refresh'));
    const rotated = await postRefresh(t.app, first.refreshToken);
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json<TokenResponse>();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.tenantId).toBe(first.tenantId);
    expect((await getMe(t.app, second.accessToken)).statusCode).toBe(200);
    const userId = (await getMe(t.app, second.accessToken)).json().user.id as string;

    const reused = await postRefresh(t.app, first.refreshToken);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().error.code).toBe('invalid_token');

    // The family is gone: the newest refresh token and the session's access tokens fail too.
    const newest = await postRefresh(t.app, second.refreshToken);
    expect(newest.statusCode).toBe(401);
    expect(newest.json().error.code).toBe('invalid_token');
    for (const accessToken of [first.accessToken, second.accessToken]) {
      const me = await getMe(t.app, accessToken);
      expect(me.statusCode).toBe(401);
      expect(me.json().error.code).toBe('invalid_token');
    }
    const events = await auditEvents(database.db, 'auth.refresh_token_reused', { requestId: String(reused.headers['x-request-id']) });
    expect(events).toMatchObject([{ actor_type: 'user', actor_id: userId, tenant_id: first.tenantId, target_type: 'session' }]);
  });

  it('of two concurrent uses of one refresh token, at most one succeeds', async () => {
    for (let i = 0; i < 3; i++) {
      const tokens = await signInByLink(t, randomEmail('race'));
      const results = await Promise.all([postRefresh(t.app, tokens.refreshToken), postRefresh(t.app, tokens.refreshToken)]);
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
      for (const r of results) if (r.statusCode !== 200) expect(r.json().error.code).toBe('invalid_token');
    }
  });

  it('an unknown refresh token is 401 invalid_token', async () => {
    const res = await postRefresh(t.app, 'B'.repeat(43));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('invalid_token');
  });
});

describe('logout', () => {
  it('ends one session; the user’s other sessions keep working; logout-all ends them all', async () => {
    const email = randomEmail('logout');
    const a = await signInByLink(t, email);
    const b = await signInByLink(t, email);
    const c = await signInByLink(t, email);
    expect((await getMe(t.app, a.accessToken)).json().user.id).toBe((await getMe(t.app, b.accessToken)).json().user.id);

    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(a.accessToken) });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ revoked: 1 });
    expect((await getMe(t.app, a.accessToken)).statusCode).toBe(401);
    expect((await postRefresh(t.app, a.refreshToken)).statusCode).toBe(401);

    expect((await getMe(t.app, b.accessToken)).statusCode).toBe(200);
    const bNext = await postRefresh(t.app, b.refreshToken);
    expect(bNext.statusCode).toBe(200);
    const b2 = bNext.json<TokenResponse>();

    const all = await t.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: bearer(b2.accessToken) });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ revoked: 2 });
    for (const s of [b2, c]) {
      const me = await getMe(t.app, s.accessToken);
      expect(me.statusCode).toBe(401);
      expect(me.json().error.code).toBe('invalid_token');
      expect((await postRefresh(t.app, s.refreshToken)).statusCode).toBe(401);
    }
  });

  it('needs a signed-in user', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/logout' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });
});

describe('sign-in links', () => {
  it('a link signs in once', async () => {
    const email = randomEmail('link');
    const token = fragmentParam(await signinLinkFor(t.deps, email), 'signin')!;
    const first = await t.app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token } });
    expect(first.statusCode).toBe(200);
    const tokens = first.json<TokenResponse>();
    expect((await getMe(t.app, tokens.accessToken)).json()).toMatchObject({ user: { email }, tenantId: tokens.tenantId, role: 'owner' });

    const second = await t.app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token } });
    expect(second.statusCode).toBe(401);
    expect(second.json().error.code).toBe('invalid_token');
  });

  it('a second link for the same email is the same user in the same workspace', async () => {
    const email = randomEmail('link2');
    const a = await signInByLink(t, email);
    const b = await signInByLink(t, email);
    expect(b.tenantId).toBe(a.tenantId);
    expect((await getMe(t.app, b.accessToken)).json().user.id).toBe((await getMe(t.app, a.accessToken)).json().user.id);
  });

  it('a user whose every membership was removed gets a link into a fresh workspace of their own', async () => {
    // Same rule as a provider sign-in (accounts.system.ts resolveIdentity).
    const email = randomEmail('orphan');
    const first = await signInByLink(t, email);
    const userId = (await getMe(t.app, first.accessToken)).json().user.id as string;
    await withSystem(database.db, (tx) => tx.deleteFrom('memberships').where('user_id', '=', userId).execute());

    const again = await signInByLink(t, email);
    const me = (await getMe(t.app, again.accessToken)).json();
    expect(me.user.id).toBe(userId);
    expect(me).toMatchObject({ role: 'owner', memberships: [expect.objectContaining({ tenantId: again.tenantId, role: 'owner' })] });
  });

  describe('in production (off unless enabled)', () => {
    let prod: TestApp;
    beforeAll(async () => {
      // With a Redis server the production app uses it; otherwise REDIS_URL only satisfies the
      // config check and the in-process store stands in (no connection is ever made to it).
      prod = await buildTestApp(
        database,
        {
          NODE_ENV: 'production',
          PUBLIC_URL: 'https://cloop.example',
          CLOOP_ALLOW_EMBEDDED_DB: 'true',
          ...(testRedisUrl ? {} : { REDIS_URL: 'redis://127.0.0.1:6379' }),
        },
        testRedisUrl ? {} : { state: createMemoryStateStore() },
      );
    });
    afterAll(() => prod?.close());

    it('POST /api/auth/signin-link is 403 signin_links_disabled and no link can be made', async () => {
      expect(prod.config.signinLinks).toBe(false);
      const providers = await prod.app.inject({ method: 'GET', url: '/api/auth/providers' });
      expect(providers.json()).toEqual({ providers: [], signinLinks: false });
      const res = await prod.app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token: 'C'.repeat(43) } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('signin_links_disabled');
      await expect(signinLinkFor(prod.deps, randomEmail('prod'))).rejects.toMatchObject({ code: 'signin_links_disabled' });
    });
  });
});

describe('the auth rate-limit tier (5 per minute per IP)', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await buildTestApp(database, { ...idpEnv(), RATE_LIMIT_AUTH: '5/60' });
  });
  afterAll(() => limited?.close());

  // Each row from its own client address, so the rows do not share a window.
  it.each([
    { route: 'POST /api/auth/refresh (bad bodies)', ip: '203.0.113.10', method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'no' }, status: 400 },
    { route: 'POST /api/auth/refresh (unknown tokens)', ip: '203.0.113.11', method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: 'D'.repeat(43) }, status: 401 },
    { route: 'GET /api/auth/google/start', ip: '203.0.113.12', method: 'GET', url: '/api/auth/google/start', payload: undefined, status: 302 },
    { route: 'POST /api/auth/exchange', ip: '203.0.113.13', method: 'POST', url: '/api/auth/exchange', payload: { code: 'E'.repeat(43) }, status: 401 },
    { route: 'GET /api/auth/github/callback', ip: '203.0.113.14', method: 'GET', url: '/api/auth/github/callback?code=x&state=y', payload: undefined, status: 302 },
  ] as const)('$route: the 6th call is 429 with Retry-After', async ({ ip, method, url, payload, status }) => {
    const call = () => limited.app.inject({ method, url, remoteAddress: ip, ...(payload ? { payload } : {}) });
    for (let i = 0; i < 5; i++) expect((await call()).statusCode).toBe(status);
    const refused = await call();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('rate_limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another client is not affected.
    expect((await limited.app.inject({ method, url, remoteAddress: '198.51.100.77', ...(payload ? { payload } : {}) })).statusCode).not.toBe(429);
  });
});

describe('switching tenants', () => {
  it('a member of two tenants switches; a tenant they do not belong to is 404 tenant_not_found', async () => {
    const tokens = await signInByLink(t, randomEmail('switch'));
    const userId = (await getMe(t.app, tokens.accessToken)).json().user.id as string;
    const otherTenant = await withSystem(database.db, async (tx) => {
      const { id } = await tx.insertInto('tenants').values({ name: `Other ${run}` }).returning('id').executeTakeFirstOrThrow();
      await tx.insertInto('memberships').values({ tenant_id: id, user_id: userId, role: 'admin' }).execute();
      return id;
    });
    expect((await getMe(t.app, tokens.accessToken)).json().memberships).toHaveLength(2);

    const switched = await t.app.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers: bearer(tokens.accessToken), payload: { tenantId: otherTenant } });
    expect(switched.statusCode).toBe(200);
    expect(switched.json()).toMatchObject({ tokenType: 'Bearer', tenantId: otherTenant });
    expect(switched.json().refreshToken).toBeUndefined();
    const me = (await getMe(t.app, switched.json().accessToken)).json();
    expect(me).toMatchObject({ tenantId: otherTenant, role: 'admin' });

    // The session moved: its next refresh stays in the new tenant.
    const refreshed = await postRefresh(t.app, tokens.refreshToken);
    expect(refreshed.json().tenantId).toBe(otherTenant);

    const stranger = await signInByLink(t, randomEmail('stranger'));
    for (const tenantId of [stranger.tenantId!, randomUUID()]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers: bearer(refreshed.json().accessToken), payload: { tenantId } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('tenant_not_found');
    }
  });
});

describe('no secret in any log line', () => {
  it('a whole sign-in, refresh and logout leaves no token, code, state or secret in the logs or the audit stream', async () => {
    const secrets = new Map<string, string>();
    const keep = (what: string, value: string | null | undefined) => {
      if (value) secrets.set(value, what);
    };
    keep('CLOOP_SECRET', t.config.secret);
    keep('client secret', client.clientSecret);

    for (const [provider, login] of [
      ['google', viaGoogle(googleAccounts.logs)],
      ['github', viaGithub(githubUsers.logs)],
    ] as const) {
      const s = await signInWithProvider(t.app, provider, login);
      keep(`${provider} state`, s.state);
      keep(`${provider} IdP code`, s.idpCode);
      keep(`${provider} exchange code`, s.exchangeCode);
      keep(`${provider} access token`, s.tokens.accessToken);
      keep(`${provider} refresh token`, s.tokens.refreshToken);
      keep(`${provider} PKCE challenge`, new URL(s.authorizationUrl).searchParams.get('code_challenge'));
      keep(`${provider} nonce`, new URL(s.authorizationUrl).searchParams.get('nonce'));

      const next = (await postRefresh(t.app, s.tokens.refreshToken)).json<TokenResponse>();
      keep(`${provider} refreshed access token`, next.accessToken);
      keep(`${provider} refreshed refresh token`, next.refreshToken);
      expect((await getMe(t.app, next.accessToken)).statusCode).toBe(200);
      await postRefresh(t.app, s.tokens.refreshToken); // a reuse, refused and audited
      expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(s.tokens.accessToken) })).statusCode).toBe(401);
    }
    // Failures log too: a tampered callback and a replayed exchange code.
    const failed = await providerCallback(t.app, 'google', viaGoogle(googleAccounts.logs), (cb) => withParam(cb, 'state', `${cb.searchParams.get('state')}x`));
    keep('tampered state', failed.state);
    keep('tampered IdP code', failed.idpCode);

    const link = await signInByLink(t, randomEmail('logs'));
    keep('sign-in link token', link.linkToken);
    keep('link access token', link.accessToken);
    keep('link refresh token', link.refreshToken);
    await t.app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token: link.linkToken } });
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(link.accessToken) });
    expect(out.statusCode).toBe(200);
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(link.accessToken) });

    await new Promise((resolve) => setImmediate(resolve)); // the last access lines are written on response end
    const logs = t.logs.text();
    const audit = auditStream.text();
    // The search ran over real lines: the callbacks and their audit events are there.
    expect(logs).toContain('/api/auth/google/callback?');
    expect(logs).toContain('/api/auth/github/callback?');
    expect(logs).toContain('code=[REDACTED]');
    expect(logs).toContain('state=[REDACTED]');
    expect(audit).toContain('auth.sign_in_failed');
    expect(audit).toContain('auth.refresh_token_reused');
    const leaks = [...secrets].filter(([value]) => logs.includes(value) || audit.includes(value)).map(([, what]) => what);
    expect(leaks).toEqual([]);
  });
});

function withParam(url: URL, name: string, value: string | null): URL {
  const copy = new URL(url);
  if (value === null) copy.searchParams.delete(name);
  else copy.searchParams.set(name, value);
  return copy;
}
