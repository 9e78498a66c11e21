import { hkdfSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { appError } from '../errors.ts';

/** What a visitor token binds together. */
export interface VisitorClaims {
  visitorId: string;
  siteId: string;
  origin: string;
}

/** Signs and verifies the short-lived visitor tokens of the widget (HS256, key derived from CLOOP_SECRET). */
export function createVisitorTokens(secret: string, ttlSeconds: number) {
  const key = new Uint8Array(hkdfSync('sha256', secret, 'cloop', 'cloop visitor tokens v1', 32));
  return {
    ttlSeconds,
    /** A token for this visitor on this site from this origin. */
    async sign(c: VisitorClaims): Promise<string> {
      return new SignJWT({ site: c.siteId, org: c.origin })
        .setProtectedHeader({ alg: 'HS256', typ: 'visitor+jwt' })
        .setSubject(c.visitorId)
        .setAudience('cloop-widget')
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
    /** The token's claims if it is valid and bound to this site and origin; else `invalid_token`. */
    async verify(token: string, expected: { siteId: string; origin: string }): Promise<VisitorClaims> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: 'cloop-widget', typ: 'visitor+jwt' });
        if (payload.site !== expected.siteId || payload.org !== expected.origin || typeof payload.sub !== 'string') throw new Error('binding');
        return { visitorId: payload.sub, siteId: expected.siteId, origin: expected.origin };
      } catch {
        throw appError('invalid_token', 'The chat session expired. Reload the page to continue.');
      }
    },
  };
}

/** The visitor token signer/verifier. */
export type VisitorTokens = ReturnType<typeof createVisitorTokens>;
