import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { appError } from '../errors.ts';

/** What a visitor token binds together. */
export interface VisitorClaims {
  visitorId: string;
  siteId: string;
  origin: string;
}

/** The one header these tokens have; a token with any other header (another `alg`, `none`, extra fields) is refused. */
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'visitor+jwt' })).toString('base64url');
const audience = 'cloop-widget';

/**
 * Signs and verifies the short-lived visitor tokens of the widget: compact JWS (JWT), HS256, key
 * derived from CLOOP_SECRET. Done with node:crypto's synchronous HMAC: every chat request verifies
 * one, and WebCrypto's promise round trip cost more than the HMAC itself.
 */
export function createVisitorTokens(secret: string, ttlSeconds: number) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'cloop', 'cloop visitor tokens v1', 32));
  const mac = (signingInput: string) => createHmac('sha256', key).update(signingInput).digest();
  const invalid = () => appError('invalid_token', 'The chat session expired. Reload the page to continue.');
  return {
    ttlSeconds,
    /** A token for this visitor on this site from this origin. */
    async sign(c: VisitorClaims): Promise<string> {
      const iat = Math.floor(Date.now() / 1000);
      const payload = Buffer.from(JSON.stringify({ site: c.siteId, org: c.origin, sub: c.visitorId, aud: audience, iat, exp: iat + ttlSeconds })).toString('base64url');
      return `${header}.${payload}.${mac(`${header}.${payload}`).toString('base64url')}`;
    },
    /** The token's claims if it is valid (signature, audience, expiry) and bound to this site and origin; else `invalid_token`. */
    async verify(token: string, expected: { siteId: string; origin: string }): Promise<VisitorClaims> {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== header) throw invalid();
      const [, payload, signature] = parts as [string, string, string];
      const given = Buffer.from(signature, 'base64url');
      const wanted = mac(`${header}.${payload}`);
      // The signature must be the canonical encoding of the MAC (base64url decoding alone is lenient).
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted) || given.toString('base64url') !== signature) throw invalid();
      let claims: Record<string, unknown>;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        throw invalid();
      }
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims !== 'object' || claims === null || claims.aud !== audience || typeof claims.exp !== 'number' || claims.exp <= now) throw invalid();
      if (typeof claims.sub !== 'string' || claims.site !== expected.siteId || claims.org !== expected.origin) throw invalid();
      return { visitorId: claims.sub, siteId: expected.siteId, origin: expected.origin };
    },
  };
}

/** The visitor token signer/verifier. */
export type VisitorTokens = ReturnType<typeof createVisitorTokens>;
