import * as client from 'openid-client';
import type { OidcProviderConfig } from '../../config.ts';
import { allowsInsecureHttp, sameState, signInFailed, type SignInFailureReason } from './failure.ts';
import type { HttpFetch, PendingSignIn, ProviderIdentity, SignInProvider, SignInProviderOptions } from './provider.ts';

/** The OpenID Connect providers (found by discovery). */
export type OidcProviderId = 'google' | 'microsoft';

const scope = 'openid email profile';
const timeoutSeconds = 10;
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Google or Microsoft sign-in over OpenID Connect: code flow, PKCE S256, state and nonce. */
export function createOidcProvider(id: OidcProviderId, cfg: OidcProviderConfig, opts: SignInProviderOptions): SignInProvider {
  const insecure = allowsInsecureHttp(cfg.issuer, opts.allowInsecureHttp === true, `${id.toUpperCase()}_ISSUER`);
  let discovered: Promise<client.Configuration> | null = null;

  // Lazy and cached; a failed discovery is forgotten so the next sign-in tries again.
  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(new URL(cfg.issuer), cfg.clientId, undefined, client.ClientSecretPost(cfg.clientSecret), {
        timeout: timeoutSeconds,
        // Non-repudiation checks verify the ID token's signature against the provider's JWKS.
        execute: [client.enableNonRepudiationChecks, ...(insecure ? [client.allowInsecureRequests] : [])],
        ...(opts.fetch ? { [client.customFetch]: withFetch(opts.fetch) } : {}),
      })
      .catch((err: unknown) => {
        discovered = null;
        throw signInFailed(discoveryReason(err), err);
      });
    return discovered;
  }

  return {
    id,

    async start(redirectUri) {
      const config = await configuration();
      const pending: PendingSignIn = {
        provider: id,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, pending };
    },

    async finish(callbackUrl, pending, redirectUri) {
      const params = callbackUrl.searchParams;
      if (pending.provider !== id || !sameState(params.get('state'), pending.state)) throw signInFailed('state_mismatch');
      if (params.has('error')) throw signInFailed('provider_error');
      const config = await configuration();
      const issuer = config.serverMetadata().issuer;
      // RFC 9207: an `iss` in the callback names who answered (a mix-up attack shows here first).
      if (params.has('iss') && params.get('iss') !== issuer) throw signInFailed('issuer_mismatch');

      // Read the callback against our own redirect URI: the token request must repeat it exactly,
      // whatever host or scheme a proxy left in the request URL.
      const current = new URL(redirectUri);
      current.search = callbackUrl.search;
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        throw signInFailed(callbackReason(err), err);
      }
      const claims = tokens.claims();
      if (!claims) throw signInFailed('id_token_invalid');
      // openid-client already applies Microsoft's tenant template; checked again here so the rule
      // holds whatever the library does (and for any issuer whose metadata uses the template).
      if (claims.iss !== expectedIssuer(issuer, claims)) throw signInFailed('issuer_mismatch');
      return identityFromClaims(id, claims);
    },
  };
}

/**
 * The `iss` an ID token must carry: the discovered issuer, or, for Microsoft's multi-tenant
 * template (`https://login.microsoftonline.com/{tenantid}/v2.0`), the template with the token's
 * own `tid`; null when the token has no usable `tid`.
 */
export function expectedIssuer(discoveredIssuer: string, claims: { readonly [claim: string]: unknown }): string | null {
  if (!discoveredIssuer.includes('{tenantid}')) return discoveredIssuer;
  if (typeof claims.tid !== 'string' || !guid.test(claims.tid)) return null;
  return discoveredIssuer.replace('{tenantid}', claims.tid);
}

/** The identity an ID token's claims describe. */
export function identityFromClaims(provider: OidcProviderId, claims: client.IDToken): ProviderIdentity {
  const email = typeof claims.email === 'string' && claims.email ? claims.email : null;
  return {
    provider,
    subject: claims.sub,
    email,
    emailVerified: email !== null && emailVerified(provider, claims),
    name: typeof claims.name === 'string' && claims.name ? claims.name : null,
  };
}

function emailVerified(provider: OidcProviderId, claims: client.IDToken): boolean {
  if (claims.email_verified === true) return true;
  // Microsoft ID tokens carry no `email_verified`, and their `email` is whatever a tenant admin
  // typed in, so it proves nothing unless Microsoft says the domain owner was verified
  // (`xms_edov`, an optional claim the app registration must request). Otherwise: not verified.
  return provider === 'microsoft' && claims.xms_edov === true;
}

// openid-client's request options are fetch's, typed more narrowly.
function withFetch(doFetch: HttpFetch): client.CustomFetch {
  return (url, options) => doFetch(url, options as RequestInit);
}

function discoveryReason(err: unknown): SignInFailureReason {
  const cause = (err as { cause?: { attribute?: unknown } }).cause;
  if (err instanceof client.ClientError && err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && cause?.attribute === 'issuer') {
    return 'issuer_mismatch';
  }
  return 'provider_unreachable';
}

function callbackReason(err: unknown): SignInFailureReason {
  // The token endpoint refused the code: already used, expired, or the PKCE verifier is wrong.
  if (err instanceof client.ResponseBodyError) return 'code_rejected';
  if (err instanceof client.AuthorizationResponseError) return 'provider_error';
  if (err instanceof TypeError && !('code' in err)) return 'provider_unreachable'; // fetch failed
  if (!(err instanceof client.ClientError)) return 'id_token_invalid';
  switch (err.code) {
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED': {
      const claim = (err.cause as { cause?: { claim?: unknown } } | undefined)?.cause?.claim;
      if (claim === 'nonce') return 'nonce_mismatch';
      if (claim === 'iss') return 'issuer_mismatch';
      return 'id_token_invalid';
    }
    case 'OAUTH_TIMEOUT':
    case 'OAUTH_ABORT':
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
      return 'provider_unreachable';
    default:
      return 'id_token_invalid';
  }
}
