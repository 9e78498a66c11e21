import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, getMe, postRefresh, randomEmail, signInByLink } from '../../test/auth-helpers.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import type { Database } from '../db/database.ts';
import type { TokenResponse } from './auth.service.ts';

// Every way an access token can be wrong, as GET /api/me sees it: one row per bad token.

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const audience = 'cloop-api';
const dayMs = 86_400_000;

let database: Database;
let t: TestApp;
/** A live session: its tokens and the claims a forged token copies. */
let live: TokenResponse & { userId: string; sessionId: string };
/** Another user's live session. */
let other: TokenResponse & { userId: string };

beforeAll(async () => {
  database = await openTestDatabase();
  t = await buildTestApp(database);
  const tokens = await signInByLink(t, randomEmail('tokens'));
  const claims = decodeJwt(tokens.accessToken);
  live = { ...tokens, userId: String(claims.sub), sessionId: String(claims.sid) };
  const second = await signInByLink(t, randomEmail('tokens-other'));
  other = { ...second, userId: String(decodeJwt(second.accessToken).sub) };
});

afterAll(async () => {
  await t?.close();
  await database?.close();
});

interface Forge {
  /** The signing key (default: the key ring's current key) and the `kid` in the header (default: its kid). */
  key?: CryptoKey | Uint8Array;
  kid?: string | null;
  alg?: string;
  typ?: string | null;
  issuer?: string;
  audience?: string;
  /** Claims to set or, with `undefined`, to leave out. */
  claims?: Record<string, unknown>;
  /** Expiry, in seconds from now. */
  expiresIn?: number;
}

/** Signs an access token like ours, with whatever is wrong with it. */
async function forge(f: Forge = {}): Promise<string> {
  const current = await t.deps.keys.current();
  const now = Math.floor(Date.now() / 1000);
  const claims = Object.fromEntries(
    Object.entries({ sub: live.userId, sid: live.sessionId, tid: live.tenantId, ...f.claims }).filter(([, v]) => v !== undefined),
  );
  const kid = f.kid === undefined ? current.kid : f.kid;
  const typ = f.typ === undefined ? 'at+jwt' : f.typ;
  const expiresIn = f.expiresIn ?? 600;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: f.alg ?? 'ES256', ...(kid === null ? {} : { kid }), ...(typ === null ? {} : { typ }) })
    .setIssuer(f.issuer ?? t.config.publicUrl)
    .setAudience(f.audience ?? audience)
    .setIssuedAt(Math.min(now, now + expiresIn - 600))
    .setExpirationTime(now + expiresIn)
    .sign(f.key ?? current.key);
}

/** An unsigned token (`alg: none`): header and payload, empty signature. */
async function unsigned(): Promise<string> {
  const { kid } = await t.deps.keys.current();
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', kid, typ: 'at+jwt' })}.${part({ sub: live.userId, sid: live.sessionId, tid: live.tenantId, iss: t.config.publicUrl, aud: audience, iat: now, exp: now + 600 })}.`;
}

/** The live token with one character of its signature changed. */
function flipped(token: string): string {
  const i = token.length - 5;
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
}

/** One row per bad token; `auth` is the whole Authorization header (undefined: none sent). */
const badTokens: { token: string; auth: () => Promise<string | undefined>; code: 'invalid_token' | 'unauthorized'; url?: string }[] = [
  { token: 'no Authorization header', auth: async () => undefined, code: 'unauthorized' },
  { token: 'the token in the query string instead of the header', auth: async () => undefined, url: '/api/me?access_token=TOKEN', code: 'unauthorized' },
  { token: 'Basic credentials', auth: async () => `Basic ${Buffer.from(`${live.userId}:password`).toString('base64')}`, code: 'invalid_token' },
  { token: 'Bearer with nothing after it', auth: async () => 'Bearer ', code: 'invalid_token' },
  { token: 'the token without a scheme', auth: async () => live.accessToken, code: 'invalid_token' },
  { token: 'malformed: one word', auth: async () => 'Bearer notajwtatall', code: 'invalid_token' },
  { token: 'malformed: three junk parts', auth: async () => 'Bearer aaaaaaaaaa.bbbbbbbbbb.cccccccccc', code: 'invalid_token' },
  { token: 'malformed: characters no token has', auth: async () => 'Bearer <script>alert(1)</script>', code: 'invalid_token' },
  { token: 'malformed: too long', auth: async () => `Bearer ${'a'.repeat(5000)}`, code: 'invalid_token' },
  { token: 'malformed: JSON where base64url belongs', auth: async () => `Bearer {"alg":"none"}.{"sub":"x"}.sig`, code: 'invalid_token' },
  { token: 'truncated', auth: async () => `Bearer ${live.accessToken.slice(0, -12)}`, code: 'invalid_token' },
  { token: 'signature changed', auth: async () => `Bearer ${flipped(live.accessToken)}`, code: 'invalid_token' },
  { token: 'a refresh token used as an access token', auth: async () => `Bearer ${live.refreshToken}`, code: 'invalid_token' },
  { token: 'expired a minute ago', auth: async () => `Bearer ${await forge({ expiresIn: -60 })}`, code: 'invalid_token' },
  { token: 'signed by another ES256 key with the same kid', auth: async () => `Bearer ${await forge({ key: (await generateKeyPair('ES256')).privateKey })}`, code: 'invalid_token' },
  { token: 'alg: none', auth: async () => `Bearer ${await unsigned()}`, code: 'invalid_token' },
  { token: 'HS256 signed with CLOOP_SECRET', auth: async () => `Bearer ${await forge({ alg: 'HS256', key: new TextEncoder().encode(t.config.secret) })}`, code: 'invalid_token' },
  { token: 'an unknown kid', auth: async () => `Bearer ${await forge({ kid: 'no-such-key' })}`, code: 'invalid_token' },
  { token: 'no kid', auth: async () => `Bearer ${await forge({ kid: null })}`, code: 'invalid_token' },
  { token: 'wrong issuer', auth: async () => `Bearer ${await forge({ issuer: 'https://evil.example' })}`, code: 'invalid_token' },
  { token: 'wrong audience', auth: async () => `Bearer ${await forge({ audience: 'someone-else' })}`, code: 'invalid_token' },
  { token: 'wrong typ (an ID token shape)', auth: async () => `Bearer ${await forge({ typ: 'JWT' })}`, code: 'invalid_token' },
  { token: 'no typ', auth: async () => `Bearer ${await forge({ typ: null })}`, code: 'invalid_token' },
  { token: 'missing sid', auth: async () => `Bearer ${await forge({ claims: { sid: undefined } })}`, code: 'invalid_token' },
  { token: 'missing sub', auth: async () => `Bearer ${await forge({ claims: { sub: undefined } })}`, code: 'invalid_token' },
  { token: 'sid of a session that does not exist', auth: async () => `Bearer ${await forge({ claims: { sid: randomUUID() } })}`, code: 'invalid_token' },
  { token: "another user's sub on this session", auth: async () => `Bearer ${await forge({ claims: { sub: other.userId } })}`, code: 'invalid_token' },
];

describe('GET /api/me refuses', () => {
  it('the live token itself is accepted (the rows below differ from it in one way each)', async () => {
    expect((await getMe(t.app, live.accessToken)).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(await forge()) })).statusCode).toBe(200);
  });

  it.each(badTokens)('$token → 401 $code', async ({ auth, url, code }) => {
    const header = await auth();
    const res = await t.app.inject({ method: 'GET', url: (url ?? '/api/me').replace('TOKEN', live.accessToken), headers: header === undefined ? {} : { authorization: header } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe(code);
  });

  it('a token of a revoked session → 401 invalid_token', async () => {
    const session = await signInByLink(t, randomEmail('revoked'));
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(session.accessToken) })).statusCode).toBe(200);
    const res = await getMe(t.app, session.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('invalid_token');
  });
});

describe('signing key rotation', () => {
  it('tokens signed with the old key still verify; new tokens carry the new kid', async () => {
    const session = await signInByLink(t, randomEmail('rotate'));
    const oldKid = decodeProtectedHeader(session.accessToken).kid;
    const newKid = await t.deps.keys.rotate();
    expect(newKid).not.toBe(oldKid);

    expect((await getMe(t.app, session.accessToken)).statusCode).toBe(200);
    const next = await postRefresh(t.app, session.refreshToken);
    expect(next.statusCode).toBe(200);
    const accessToken = next.json<TokenResponse>().accessToken;
    expect(decodeProtectedHeader(accessToken).kid).toBe(newKid);
    expect((await getMe(t.app, accessToken)).statusCode).toBe(200);
  });

  // The clock is moved only inside apps built for it: a key cache read under a future clock
  // would stay "fresh" for days once the clock is back, and mislead every later test.
  it('a key retired more than a day ago verifies nothing', async () => {
    const app = await buildTestApp(database);
    try {
      const retiring = await app.deps.keys.current();
      await app.deps.keys.rotate();
      const { kid, key } = await app.deps.keys.current();
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * dayMs });
      // Fresh claims and expiry: only the key's age is wrong.
      const res = await app.app.inject({ url: '/api/me', headers: bearer(await forge({ key: retiring.key, kid: retiring.kid })) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('invalid_token');
      expect((await app.app.inject({ url: '/api/me', headers: bearer(await forge({ key, kid })) })).statusCode).toBe(200);
    } finally {
      vi.useRealTimers();
      await app.close();
    }
  });

  it('after another process rotates, this process does not keep signing with the retired key', async () => {
    // Two API processes on one database (ARCHITECTURE: "every API process signs and verifies with
    // the same keys"). `second` signs, so it has loaded and cached the current key; `first` rotates.
    const [first, second] = await Promise.all([buildTestApp(database), buildTestApp(database)]);
    try {
      const session = await signInByLink(second, randomEmail('two-processes'));
      await first.deps.keys.rotate();
      // Two days later, `second` is still running and issues an access token on refresh.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * dayMs });
      const next = await postRefresh(second.app, session.refreshToken);
      expect(next.statusCode).toBe(200);
      const accessToken = next.json<TokenResponse>().accessToken;
      const [onSecond, onFirst] = [await getMe(second.app, accessToken), await getMe(first.app, accessToken)];
      expect({ second: onSecond.statusCode, first: onFirst.statusCode }).toEqual({ second: 200, first: 200 });
    } finally {
      vi.useRealTimers();
      await Promise.all([first.close(), second.close()]);
    }
  });
});
