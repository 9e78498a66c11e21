import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';

const algorithm = 'ES256';
const rotateAfterMs = 30 * 86_400_000;
// A retired key still verifies tokens it signed (access tokens live at most 15 minutes).
const keepRetiredMs = 86_400_000;

/** The signing keys: one current key signs, every unexpired key verifies (so keys can rotate). */
export interface KeyRing {
  /** The key that signs new tokens, with its key id. */
  current(): Promise<{ kid: string; key: CryptoKey }>;
  /** The public key for `kid`, or null when unknown or retired too long ago. */
  verificationKey(kid: string): Promise<CryptoKey | null>;
  /** Retires the current key and creates a new one. */
  rotate(): Promise<string>;
}

function sealKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'cloop', 'cloop signing keys v1', 32));
}

function seal(secret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

function unseal(secret: string, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/**
 * Keys live in `signing_keys`, private halves sealed with CLOOP_SECRET, so every API process
 * signs and verifies with the same keys. A key older than 30 days is rotated on first use.
 */
export function createKeyRing(db: Kysely<DB>, secret: string): KeyRing {
  let signing: { kid: string; key: CryptoKey; createdAt: number; loadedAt: number } | null = null;
  // kid → key and when it was retired (re-read after a while: another process may retire it).
  const publicKeys = new Map<string, { key: CryptoKey; retiredAt: number | null; readAt: number }>();

  async function create(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
    const kid = randomBytes(12).toString('base64url');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm };
    const privateJwk = await exportJWK(privateKey);
    await withSystem(db, async (tx) => {
      await tx.updateTable('signing_keys').set({ retired_at: new Date() }).where('retired_at', 'is', null).execute();
      await tx
        .insertInto('signing_keys')
        .values({ kid, algorithm, public_jwk: JSON.stringify(publicJwk), private_jwk_sealed: seal(secret, JSON.stringify(privateJwk)) })
        .execute();
    });
    signing = null;
    return kid;
  }

  async function loadCurrent() {
    const row = await withSystem(db, (tx) =>
      tx.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').limit(1).executeTakeFirst(),
    );
    if (!row || Date.now() - row.created_at.getTime() > rotateAfterMs) {
      await create();
      return loadCurrent();
    }
    const jwk = JSON.parse(unseal(secret, row.private_jwk_sealed)) as JWK;
    return { kid: row.kid, key: (await importJWK(jwk, algorithm)) as CryptoKey, createdAt: row.created_at.getTime(), loadedAt: Date.now() };
  }

  return {
    async current() {
      // Re-read every minute: another process may have rotated (and so retired) this key.
      if (!signing || Date.now() - signing.loadedAt > 60_000 || Date.now() - signing.createdAt > rotateAfterMs) signing = await loadCurrent();
      return signing;
    },
    async verificationKey(kid) {
      const now = Date.now();
      let entry = publicKeys.get(kid);
      if (!entry || now - entry.readAt > 60_000) {
        const row = await withSystem(db, (tx) => tx.selectFrom('signing_keys').select(['public_jwk', 'retired_at']).where('kid', '=', kid).executeTakeFirst());
        // Unknown kids are not cached, so a key another process just created is found on next use.
        if (!row) return null;
        entry = { key: (await importJWK(row.public_jwk as JWK, algorithm)) as CryptoKey, retiredAt: row.retired_at?.getTime() ?? null, readAt: now };
        publicKeys.set(kid, entry);
      }
      return entry.retiredAt === null || now - entry.retiredAt < keepRetiredMs ? entry.key : null;
    },
    rotate: create,
  };
}
