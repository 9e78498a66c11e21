import { randomBytes } from 'node:crypto';
import { appError } from '../../errors.ts';

// Lowercase only: tenant ids come from PostgreSQL in canonical form, and a case-insensitive
// filesystem must never map two spellings onto one folder.
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const tenantPattern = new RegExp(`^${uuid}$`);
const keyPattern = new RegExp(`^(${uuid})/([0-9a-f]{32})$`);

/** A validated object key split into the tenant folder and the random file name. */
export interface ObjectKey {
  key: string;
  tenantId: string;
  name: string;
}

/** Generates a fresh key `<tenantId>/<32 hex>`; the random part never comes from input. */
export function newObjectKey(tenantId: string): ObjectKey {
  // A malformed tenant id here is a bug in the caller, not something a client can cause.
  if (!tenantPattern.test(tenantId)) throw new TypeError('tenantId must be a lowercase UUID');
  const name = randomBytes(16).toString('hex');
  return { key: `${tenantId}/${name}`, tenantId, name };
}

/** Checks a tenant id before it names a folder or prefix (a malformed one is a caller's bug). */
export function tenantFolder(tenantId: string): string {
  if (!tenantPattern.test(tenantId)) throw new TypeError('tenantId must be a lowercase UUID');
  return tenantId;
}

/** Checks that `key` is a well-formed key of `tenantId`; anything else is `object_not_found`. */
export function tenantObjectKey(tenantId: string, key: string): ObjectKey {
  const m = keyPattern.exec(key);
  if (!m || !tenantPattern.test(tenantId) || m[1] !== tenantId) throw appError('object_not_found');
  return { key, tenantId, name: m[2] as string };
}
