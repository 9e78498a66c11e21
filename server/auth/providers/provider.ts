import type { Config } from '../../config.ts';
import { createGithubProvider } from './github.ts';
import { createOidcProvider } from './oidc.ts';

/** The sign-in providers Cloop knows. */
export type ProviderId = 'google' | 'microsoft' | 'github';

/** Who signed in, as the provider vouches for it. */
export interface ProviderIdentity {
  provider: ProviderId;
  /** The provider's stable user id (`sub`, or GitHub's numeric id as a string). */
  subject: string;
  email: string | null;
  /** True only when the provider says it checked that this person controls `email`. */
  emailVerified: boolean;
  name: string | null;
}

/** What must be kept (server-side, single use) between start and callback. */
export interface PendingSignIn {
  provider: ProviderId;
  state: string;
  /** The OIDC nonce; GitHub is not OIDC and its nonce is ''. */
  nonce: string;
  codeVerifier: string;
}

/** One way to sign in: builds the authorization URL, then verifies the callback. */
export interface SignInProvider {
  readonly id: ProviderId;
  /** A fresh authorization URL (code flow + PKCE S256 + state + nonce where OIDC). */
  start(redirectUri: string): Promise<{ url: string; pending: PendingSignIn }>;
  /**
   * Verifies the callback (state, code exchange with the PKCE verifier, and for OIDC the ID token's
   * signature, issuer, audience, nonce and expiry) and returns the identity.
   * Every failure throws `sign_in_failed` with `details.reason` (see `SignInFailureReason`).
   */
  finish(callbackUrl: URL, pending: PendingSignIn, redirectUri: string): Promise<ProviderIdentity>;
}

/** How providers reach the network: `fetch`'s shape, so a safer fetcher can be passed in. */
export type HttpFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Options for `createSignInProviders`. */
export interface SignInProviderOptions {
  /** Accept http:// provider URLs on loopback hosts only (tests with local identity providers). */
  allowInsecureHttp?: boolean;
  /** Replaces global `fetch` for every request to the providers. */
  fetch?: HttpFetch;
}

/**
 * Builds the enabled providers without touching the network: discovery happens on first use,
 * is cached, and is retried on the next use after a failure. Throws only for an unusable URL.
 */
export function createSignInProviders(oauth: Config['oauth'], opts: SignInProviderOptions = {}): Map<ProviderId, SignInProvider> {
  const providers = new Map<ProviderId, SignInProvider>();
  if (oauth.google) providers.set('google', createOidcProvider('google', oauth.google, opts));
  if (oauth.microsoft) providers.set('microsoft', createOidcProvider('microsoft', oauth.microsoft, opts));
  if (oauth.github) providers.set('github', createGithubProvider(oauth.github, opts));
  return providers;
}
