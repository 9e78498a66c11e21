import { calculatePKCECodeChallenge, randomPKCECodeVerifier, randomState } from 'openid-client';
import type { Config } from '../../config.ts';
import { allowsInsecureHttp, sameState, signInFailed } from './failure.ts';
import type { HttpFetch, PendingSignIn, ProviderIdentity, SignInProvider, SignInProviderOptions } from './provider.ts';

type GithubConfig = NonNullable<Config['oauth']['github']>;

const scope = 'read:user user:email';
const timeoutMs = 10_000;
const maxBodyBytes = 256 * 1024;

/** A GitHub sign-in over OAuth 2.0 (code flow, PKCE S256, state), then its user and verified-emails API. */
export function createGithubProvider(cfg: GithubConfig, opts: SignInProviderOptions): SignInProvider {
  allowsInsecureHttp(cfg.webUrl, opts.allowInsecureHttp === true, 'GITHUB_URL');
  allowsInsecureHttp(cfg.apiUrl, opts.allowInsecureHttp === true, 'GITHUB_API_URL');
  const webUrl = cfg.webUrl.replace(/\/+$/, '');
  const apiUrl = cfg.apiUrl.replace(/\/+$/, '');
  const request = (url: string, init: RequestInit) => requestJson(opts.fetch ?? fetch, url, init);

  return {
    id: 'github',

    async start(redirectUri) {
      const pending: PendingSignIn = { provider: 'github', state: randomState(), nonce: '', codeVerifier: randomPKCECodeVerifier() };
      const url = new URL(`${webUrl}/login/oauth/authorize`);
      url.search = new URLSearchParams({
        client_id: cfg.clientId,
        redirect_uri: redirectUri,
        scope,
        state: pending.state,
        code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      }).toString();
      return { url: url.href, pending };
    },

    async finish(callbackUrl, pending, redirectUri) {
      const params = callbackUrl.searchParams;
      if (pending.provider !== 'github' || !sameState(params.get('state'), pending.state)) throw signInFailed('state_mismatch');
      if (params.has('error')) throw signInFailed('provider_error');
      const code = params.get('code');
      if (!code) throw signInFailed('provider_error');

      // GitHub answers token errors with 200 and an `error` field.
      const token = await request(`${webUrl}/login/oauth/access_token`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: cfg.clientId,
          client_secret: cfg.clientSecret,
          code,
          redirect_uri: redirectUri,
          code_verifier: pending.codeVerifier,
        }).toString(),
      });
      if (!token.ok || !isRecord(token.body) || typeof token.body.access_token !== 'string' || !token.body.access_token) {
        throw signInFailed('code_rejected');
      }

      const api = {
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token.body.access_token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'Cloop', // GitHub's API refuses requests without one
        },
      };
      const user = await request(`${apiUrl}/user`, api);
      if (!user.ok || !isRecord(user.body) || !Number.isSafeInteger(user.body.id) || (user.body.id as number) <= 0) {
        throw signInFailed('provider_error');
      }
      const emails = await request(`${apiUrl}/user/emails`, api);
      if (!emails.ok || !Array.isArray(emails.body)) throw signInFailed('email_unavailable');

      const email = pickEmail(emails.body);
      const { name, login } = user.body;
      return {
        provider: 'github',
        subject: String(user.body.id),
        email,
        emailVerified: email !== null,
        name: typeof name === 'string' && name ? name : typeof login === 'string' && login ? login : null,
      } satisfies ProviderIdentity;
    },
  };
}

/** The primary verified address, else another verified one, else null: unverified addresses are never used. */
export function pickEmail(list: unknown[]): string | null {
  const verified = list.filter(
    (e): e is { email: string; primary?: unknown } => isRecord(e) && e.verified === true && typeof e.email === 'string' && e.email !== '',
  );
  return (verified.find((e) => e.primary === true) ?? verified[0])?.email ?? null;
}

/**
 * The one network call GitHub sign-in makes (so an SSRF-safe fetcher can replace it): a 10 s
 * timeout, no redirects, a size cap, JSON only. Network failures and 5xx are `provider_unreachable`.
 */
async function requestJson(doFetch: HttpFetch, url: string, init: RequestInit): Promise<{ ok: boolean; body: unknown }> {
  let res: Response;
  try {
    res = await doFetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw signInFailed('provider_unreachable', err);
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw signInFailed('provider_unreachable', new Error(`${url} answered ${res.status}`));
  }
  const text = await readCapped(res, maxBodyBytes).catch((err: unknown) => {
    throw signInFailed('provider_unreachable', err);
  });
  let body: unknown = null;
  if (text !== null && /\bjson\b/i.test(res.headers.get('content-type') ?? '')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  return { ok: res.ok, body };
}

/** The body as text, or null when it is larger than `limit` bytes. */
async function readCapped(res: Response, limit: number): Promise<string | null> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
