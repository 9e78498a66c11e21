import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEntraIdp, type EntraIdp } from '../../../test/fixtures/entra-idp.ts';
import { startGithubIdp, type GithubIdp } from '../../../test/fixtures/github-idp.ts';
import { startOidcIdp, type OidcIdp } from '../../../test/fixtures/oidc-idp.ts';
import type { SignInFailureReason } from './failure.ts';
import { pickEmail } from './github.ts';
import { expectedIssuer } from './oidc.ts';
import { createSignInProviders, type PendingSignIn, type ProviderId, type SignInProvider } from './provider.ts';

// Never opened: each fixture's login() stops at the redirect to it and hands back the URL.
const redirectUri = 'http://127.0.0.1:4999/auth/callback';
const client = { clientId: 'cloop-app', clientSecret: 'cloop-app-secret-0123456789' };
const tenantA = '3f2c8e7a-1b4d-4c2e-9a6f-0d8b7c6e5a41';
const tenantB = '9188040d-6c67-4c5b-b112-36a304b66dad';

let google: OidcIdp;
let github: GithubIdp;
let entra: EntraIdp;
let providers: Map<ProviderId, SignInProvider>;
const servers: Server[] = [];

beforeAll(async () => {
  [google, github, entra] = await Promise.all([
    startOidcIdp({
      ...client,
      redirectUris: [redirectUri],
      issuerPath: '/google',
      accounts: {
        ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
        bob: { email: 'bob@example.com', email_verified: false },
      },
    }),
    startGithubIdp({
      ...client,
      users: {
        octo: { id: 583231, login: 'octocat', name: 'The Octocat', emails: [{ email: 'octo@example.com', primary: true, verified: true }] },
        ghost: { id: 10137, login: 'ghost', name: null, emails: [{ email: 'ghost@example.com', primary: true, verified: false }] },
        mixed: {
          id: 77,
          login: 'mixed',
          name: 'Mixed',
          emails: [
            { email: 'old@example.com', primary: true, verified: false },
            { email: 'new@example.com', primary: false, verified: true },
          ],
        },
      },
    }),
    startEntraIdp({
      ...client,
      accounts: {
        grace: { tid: tenantA, email: 'grace@contoso.example', xms_edov: true, name: 'Grace Hopper' },
        alan: { tid: tenantA, email: 'alan@contoso.example', name: 'Alan Turing' },
        mallory: { tid: tenantA, email: 'ceo@contoso.example', issuerTenant: tenantB },
        forged: { tid: tenantA, email: 'ceo@contoso.example', spoil: 'signature' },
        stale: { tid: tenantA, email: 'ceo@contoso.example', spoil: 'expired' },
        misdirected: { tid: tenantA, email: 'ceo@contoso.example', spoil: 'audience' },
      },
    }),
  ]);
  providers = new Map([
    ...createSignInProviders(
      {
        google: { ...client, issuer: google.issuer },
        github: { ...client, webUrl: github.webUrl, apiUrl: github.apiUrl },
      },
      { allowInsecureHttp: true },
    ),
    // The real Microsoft issuer URL (https), reached through the stand-in's fetch.
    ...createSignInProviders({ microsoft: { ...client, issuer: entra.issuer } }, { fetch: entra.fetch }),
  ]);
});

afterAll(async () => {
  await Promise.all([google?.close(), github?.close(), entra?.close(), ...servers.map((s) => closeServer(s))]);
});

const logins: Record<ProviderId, (url: string, account: string) => Promise<string>> = {
  google: (url, account) => google.login(url, account),
  github: (url, account) => github.login(url, account),
  microsoft: (url, account) => entra.login(url, account),
};
const someone: Record<ProviderId, string> = { google: 'ada', github: 'octo', microsoft: 'grace' };

/** Starts a sign-in and signs in at the identity provider; `finish` defaults to the untouched callback. */
async function signIn(id: ProviderId, account = someone[id]) {
  const provider = providers.get(id)!;
  const { url, pending } = await provider.start(redirectUri);
  const callback = new URL(await logins[id](url, account));
  return { url, pending, callback, finish: (cb: URL = callback, p: PendingSignIn = pending) => provider.finish(cb, p, redirectUri) };
}

function failsWith(promise: Promise<unknown>, reason: SignInFailureReason) {
  return expect(promise).rejects.toMatchObject({ code: 'sign_in_failed', details: { reason } });
}

describe('signing in end to end', () => {
  it('Google: an account with a verified email', async () => {
    const { url, finish } = await signIn('google', 'ada');
    const params = new URL(url).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('scope')).toBe('openid email profile');
    expect(params.get('nonce')).toBeTruthy();
    expect(await finish()).toEqual({ provider: 'google', subject: 'ada', email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace' });
  });

  it('Google: an account whose email is not verified', async () => {
    const { finish } = await signIn('google', 'bob');
    expect(await finish()).toEqual({ provider: 'google', subject: 'bob', email: 'bob@example.com', emailVerified: false, name: null });
  });

  it('GitHub: the primary verified email and the numeric id', async () => {
    const { url, finish } = await signIn('github', 'octo');
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
    expect(await finish()).toEqual({ provider: 'github', subject: '583231', email: 'octo@example.com', emailVerified: true, name: 'The Octocat' });
  });

  it('GitHub: no verified email gives no email (and the login as name)', async () => {
    const { finish } = await signIn('github', 'ghost');
    expect(await finish()).toEqual({ provider: 'github', subject: '10137', email: null, emailVerified: false, name: 'ghost' });
  });

  it('GitHub: an unverified primary is skipped for a verified address', async () => {
    const { finish } = await signIn('github', 'mixed');
    expect(await finish()).toMatchObject({ email: 'new@example.com', emailVerified: true });
  });

  it('Microsoft: email counts as verified only with xms_edov', async () => {
    const grace = await (await signIn('microsoft', 'grace')).finish();
    expect(grace).toMatchObject({ provider: 'microsoft', email: 'grace@contoso.example', emailVerified: true, name: 'Grace Hopper' });
    expect(grace.subject).toMatch(/^[\w-]{43}$/);
    const alan = await (await signIn('microsoft', 'alan')).finish();
    expect(alan).toMatchObject({ email: 'alan@contoso.example', emailVerified: false });
  });

  it.each([
    { token: 'an issuer naming another tenant than its tid', account: 'mallory', reason: 'issuer_mismatch' },
    { token: 'a signature by a key not in the JWKS', account: 'forged', reason: 'id_token_invalid' },
    { token: 'an expired ID token', account: 'stale', reason: 'id_token_invalid' },
    { token: 'an ID token for another client', account: 'misdirected', reason: 'id_token_invalid' },
  ] as const)('Microsoft: refuses $token', async ({ account, reason }) => {
    const { finish } = await signIn('microsoft', account);
    await failsWith(finish(), reason);
  });

  it.each(['google', 'github', 'microsoft'] as const)('%s: a user who refuses gets provider_error', async (id) => {
    const { finish } = await signIn(id, 'nobody');
    await failsWith(finish(), 'provider_error');
  });
});

type Attempt = Awaited<ReturnType<typeof signIn>>;
/** One row per attack on the callback; `oidc` rows need an ID token. */
const attacks: { attack: string; reason: SignInFailureReason; oidc?: true; run(a: Attempt, id: ProviderId): Promise<unknown> }[] = [
  { attack: 'tampered state', reason: 'state_mismatch', run: (a) => a.finish(withParam(a.callback, 'state', `${a.pending.state}x`)) },
  { attack: 'no state', reason: 'state_mismatch', run: (a) => a.finish(withParam(a.callback, 'state', null)) },
  {
    attack: 'pending from another attempt',
    reason: 'state_mismatch',
    run: async (a, id) => a.finish(a.callback, (await providers.get(id)!.start(redirectUri)).pending),
  },
  {
    attack: 'pending for another provider',
    reason: 'state_mismatch',
    run: (a, id) => a.finish(a.callback, { ...a.pending, provider: id === 'github' ? 'google' : 'github' }),
  },
  { attack: 'forged code', reason: 'code_rejected', run: (a) => a.finish(withParam(a.callback, 'code', 'forged-code')) },
  { attack: 'wrong PKCE verifier', reason: 'code_rejected', run: (a) => a.finish(a.callback, { ...a.pending, codeVerifier: 'x'.repeat(43) }) },
  { attack: 'replayed code', reason: 'code_rejected', run: async (a) => (await a.finish(), a.finish()) },
  { attack: 'wrong nonce', reason: 'nonce_mismatch', oidc: true, run: (a) => a.finish(a.callback, { ...a.pending, nonce: 'not-the-nonce' }) },
  { attack: 'callback names another issuer', reason: 'issuer_mismatch', oidc: true, run: (a) => a.finish(withParam(a.callback, 'iss', 'https://evil.example')) },
];

describe.each(['google', 'microsoft', 'github'] as const)('%s refuses', (id) => {
  it.each(attacks.filter((row) => id !== 'github' || !row.oidc))('$attack → $reason', async (row) => {
    await failsWith(row.run(await signIn(id), id), row.reason);
  });
});

describe('discovery', () => {
  it('is lazy: an unreachable issuer does not stop start-up, only the sign-in', async () => {
    const port = await closedPort();
    const make = () => createSignInProviders({ google: { ...client, issuer: `http://127.0.0.1:${port}` } }, { allowInsecureHttp: true });
    expect(make).not.toThrow();
    await failsWith(make().get('google')!.start(redirectUri), 'provider_unreachable');
  });

  it('is retried on the next use after a failure', async () => {
    const flaky = await startOidcIdp({ ...client, redirectUris: [redirectUri], accounts: { ada: { email: 'ada@example.com' } }, failDiscovery: 1 });
    try {
      const provider = createSignInProviders({ google: { ...client, issuer: flaky.issuer } }, { allowInsecureHttp: true }).get('google')!;
      await failsWith(provider.start(redirectUri), 'provider_unreachable');
      const { url, pending } = await provider.start(redirectUri);
      const identity = await provider.finish(new URL(await flaky.login(url, 'ada')), pending, redirectUri);
      expect(identity).toMatchObject({ subject: 'ada', emailVerified: false });
    } finally {
      await flaky.close();
    }
  });

  it('refuses a provider whose metadata names another issuer than the configured one', async () => {
    // An impostor serving the real provider's discovery document under its own URL.
    const impostor = createServer(async (_req, res) => {
      const doc = await fetch(`${google.issuer}/.well-known/openid-configuration`).then((r) => r.text());
      res.writeHead(200, { 'content-type': 'application/json' }).end(doc);
    });
    servers.push(impostor);
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    const provider = createSignInProviders({ google: { ...client, issuer } }, { allowInsecureHttp: true }).get('google')!;
    await failsWith(provider.start(redirectUri), 'issuer_mismatch');
  });
});

describe('plain http', () => {
  it.each([
    { url: 'http://accounts.example.com', allow: true },
    { url: 'http://10.0.0.5:8080', allow: true },
    { url: 'http://127.0.0.1:8080', allow: false },
    { url: 'http://localhost:8080', allow: false },
  ])('refuses $url (allowInsecureHttp: $allow)', ({ url, allow }) => {
    expect(() => createSignInProviders({ google: { ...client, issuer: url } }, { allowInsecureHttp: allow })).toThrow(/must use https/);
    const gh = { ...client, webUrl: url, apiUrl: 'https://api.github.com' };
    expect(() => createSignInProviders({ github: gh }, { allowInsecureHttp: allow })).toThrow(/must use https/);
  });
});

describe("Microsoft's issuer template", () => {
  const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
  it.each([
    { case: 'fixed issuer, any tid', issuer: 'https://accounts.google.com', tid: tenantA, expected: 'https://accounts.google.com' },
    { case: 'template with the token tid', issuer: template, tid: tenantA, expected: `https://login.microsoftonline.com/${tenantA}/v2.0` },
    { case: 'template, no tid', issuer: template, tid: undefined, expected: null },
    { case: 'template, tid "common"', issuer: template, tid: 'common', expected: null },
    { case: 'template, tid with a path', issuer: template, tid: `${tenantA}/v2.0/x`, expected: null },
    { case: 'template, tid not a string', issuer: template, tid: 42, expected: null },
  ])('$case', ({ issuer, tid, expected }) => {
    expect(expectedIssuer(issuer, { tid })).toBe(expected);
  });
});

describe('GitHub email choice', () => {
  it.each([
    { case: 'primary verified', list: [{ email: 'a@x.io', primary: false, verified: true }, { email: 'p@x.io', primary: true, verified: true }], expected: 'p@x.io' },
    { case: 'only a secondary verified', list: [{ email: 'p@x.io', primary: true, verified: false }, { email: 's@x.io', primary: false, verified: true }], expected: 's@x.io' },
    { case: 'none verified', list: [{ email: 'p@x.io', primary: true, verified: false }], expected: null },
    { case: 'malformed entries', list: [null, 'p@x.io', { email: 7, primary: true, verified: true }], expected: null },
  ])('$case', ({ list, expected }) => {
    expect(pickEmail(list)).toBe(expected);
  });
});

function withParam(url: URL, name: string, value: string | null): URL {
  const copy = new URL(url);
  if (value === null) copy.searchParams.delete(name);
  else copy.searchParams.set(name, value);
  return copy;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
