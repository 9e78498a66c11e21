import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { appError } from '../errors.ts';
import type { KeyRing } from './keys.ts';

const audience = 'cloop-api';

/** What an access token says: who, which session, which tenant. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  tenantId: string | null;
}

/** A random opaque secret (refresh tokens, codes, links): 256 bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** How secrets are stored: only their SHA-256, never the secret itself. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Signs a short-lived access token (ES256, with the key id in the header). */
export async function signAccessToken(keys: KeyRing, issuer: string, claims: AccessClaims, ttlSeconds: number): Promise<string> {
  const { kid, key } = await keys.current();
  return new SignJWT({ sid: claims.sessionId, tid: claims.tenantId })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setSubject(claims.userId)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/** Verifies an access token (signature by a known key, ES256 only, issuer, audience, expiry); else `invalid_token`. */
export async function verifyAccessToken(keys: KeyRing, issuer: string, token: string): Promise<AccessClaims> {
  try {
    const { kid, alg } = decodeProtectedHeader(token);
    if (alg !== 'ES256' || typeof kid !== 'string') throw new Error('unexpected header');
    const key = await keys.verificationKey(kid);
    if (!key) throw new Error('unknown key');
    const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'], issuer, audience, typ: 'at+jwt', clockTolerance: 5 });
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new Error('missing claims');
    return { userId: payload.sub, sessionId: payload.sid, tenantId: typeof payload.tid === 'string' ? payload.tid : null };
  } catch {
    throw appError('invalid_token');
  }
}
