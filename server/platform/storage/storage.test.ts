import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsHome, s3Home } from '../../../test/storage-homes.ts';
import type { ObjectStore } from './object-store.ts';

/** Reads a stream to the end. */
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A stream of `count` random 64 KB chunks, and the digest of all of them. */
function randomStream(count: number): { stream: Readable; digest: string; size: number } {
  const chunks = Array.from({ length: count }, () => randomBytes(64 * 1024));
  const all = Buffer.concat(chunks);
  return { stream: Readable.from(chunks), digest: sha256(all), size: all.length };
}

/** Resolves to the AppError code a promise rejects with. */
async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe.each([fsHome(), s3Home()])('$name object store', (harness) => {
  let store: ObjectStore;
  let leftovers: (tenantId: string) => Promise<string[]>;

  beforeAll(async () => {
    ({ store, leftovers } = await harness.setup());
  });
  afterAll(async () => {
    await store?.close();
    await harness.teardown();
  });

  it('reports its kind and answers ping', async () => {
    expect(store.kind).toBe(harness.name);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('round-trips a Buffer', async () => {
    const tenant = randomUUID();
    const body = Buffer.from('hello, visitor');
    const stored = await store.put(tenant, body, { contentType: 'text/plain' });
    expect(stored.size).toBe(body.length);
    expect(await read(await store.get(tenant, stored.key))).toEqual(body);
  });

  it('round-trips a 3 MB multi-chunk stream', async () => {
    const tenant = randomUUID();
    const { stream, digest, size } = randomStream(48);
    const stored = await store.put(tenant, stream, { maxBytes: size });
    expect(stored.size).toBe(size);
    expect(sha256(await read(await store.get(tenant, stored.key)))).toBe(digest);
  });

  it('round-trips an empty object', async () => {
    const tenant = randomUUID();
    const stored = await store.put(tenant, Readable.from([]));
    expect(stored.size).toBe(0);
    expect((await read(await store.get(tenant, stored.key))).length).toBe(0);
  });

  it('generates unique keys under the tenant prefix', async () => {
    const tenant = randomUUID();
    const keys = await Promise.all(Array.from({ length: 5 }, () => store.put(tenant, Buffer.from('x')).then((o) => o.key)));
    for (const key of keys) expect(key).toMatch(new RegExp(`^${tenant}/[0-9a-f]{32}$`));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([
    { body: 'stream', make: () => randomStream(16).stream },
    { body: 'buffer', make: () => randomBytes(1024 * 1024) },
  ])('rejects a $body over maxBytes and leaves nothing behind', async ({ make }) => {
    const tenant = randomUUID();
    expect(await codeOf(store.put(tenant, make(), { maxBytes: 512 * 1024 }))).toBe('payload_too_large');
    expect(await leftovers(tenant)).toEqual([]);
  });

  it('leaves nothing behind when the upload stream fails', async () => {
    const tenant = randomUUID();
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(64 * 1024);
        throw new Error('client went away');
      })(),
    );
    await expect(store.put(tenant, failing)).rejects.toThrow('client went away');
    expect(await leftovers(tenant)).toEqual([]);
  });

  it("treats another tenant's key as not found, for read and delete", async () => {
    const owner = randomUUID();
    const other = randomUUID();
    const { key } = await store.put(owner, Buffer.from('secret'));
    expect(await codeOf(store.get(other, key))).toBe('object_not_found');
    expect(await codeOf(store.delete(other, key))).toBe('object_not_found');
    expect((await read(await store.get(owner, key))).toString()).toBe('secret');
  });

  // One row per attack: every key that is not exactly `<tenant>/<32 hex>` is refused before any I/O.
  const hex = 'a'.repeat(32);
  const attacks: { name: string; key: (tenant: string) => string; tenant?: (tenant: string) => string }[] = [
    { name: 'parent folder', key: () => '../x' },
    { name: 'escape from tenant folder', key: (t) => `${t}/../../etc/passwd` },
    { name: 'absolute path', key: () => '/etc/passwd' },
    { name: 'absolute path with tenant', key: (t) => `/${t}/${hex}` },
    { name: 'url-encoded traversal', key: (t) => `${t}/..%2F..%2Fetc%2Fpasswd` },
    { name: 'url-encoded separator', key: (t) => `${t}%2F${hex}` },
    { name: 'double-encoded traversal', key: () => '%252e%252e%252fetc%252fpasswd' },
    { name: 'backslash traversal', key: (t) => `${t}\\..\\..\\etc\\passwd` },
    { name: 'dot segment before name', key: (t) => `${t}/./${hex}` },
    { name: 'extra segment', key: (t) => `${t}/${hex}/${hex}` },
    { name: 'temp file name', key: (t) => `${t}/.${hex}.part` },
    { name: 'trailing newline', key: (t) => `${t}/${hex}\n` },
    { name: 'nul byte', key: (t) => `${t}/${hex}\0` },
    { name: 'uppercase hex', key: (t) => `${t}/${hex.toUpperCase()}` },
    { name: 'short name', key: (t) => `${t}/${hex.slice(1)}` },
    { name: 'tenant folder only', key: (t) => `${t}/` },
    { name: 'empty key', key: () => '' },
    { name: 'uppercase tenant', key: (t) => `${t.toUpperCase()}/${hex}` },
    { name: 'traversal as tenant id', key: () => `../${hex}`, tenant: () => '..' },
    { name: 'non-uuid tenant id', key: () => `tenant/${hex}`, tenant: () => 'tenant' },
  ];

  it.each(attacks)('refuses key: $name', async ({ key, tenant: asTenant }) => {
    const t = randomUUID();
    const tenant = asTenant ? asTenant(t) : t;
    expect(await codeOf(store.get(tenant, key(t)))).toBe('object_not_found');
    expect(await codeOf(store.delete(tenant, key(t)))).toBe('object_not_found');
  });

  it('finds nothing after delete', async () => {
    const tenant = randomUUID();
    const { key } = await store.put(tenant, Buffer.from('gone soon'));
    await store.delete(tenant, key);
    expect(await codeOf(store.get(tenant, key))).toBe('object_not_found');
    expect(await leftovers(tenant)).toEqual([]);
  });

  it("deletes every object of one tenant, stray ones included, and nothing of another's", async () => {
    const tenant = randomUUID();
    const other = randomUUID();
    for (let i = 0; i < 3; i++) await store.put(tenant, Buffer.from(`file ${i}`));
    const kept = await store.put(other, Buffer.from('not yours'));
    expect(await store.deleteTenant(tenant)).toBe(3);
    expect(await leftovers(tenant)).toEqual([]);
    expect((await read(await store.get(other, kept.key))).toString()).toBe('not yours');
    // Idempotent: a second run (a resumed purge) finds nothing and does not fail.
    expect(await store.deleteTenant(tenant)).toBe(0);
  });

  it('refuses a malformed tenant id for a whole-tenant delete', async () => {
    await expect(store.deleteTenant('..')).rejects.toThrow(TypeError);
    await expect(store.deleteTenant('')).rejects.toThrow(TypeError);
  });

  it('deletes a missing object without error', async () => {
    const tenant = randomUUID();
    await expect(store.delete(tenant, `${tenant}/${randomBytes(16).toString('hex')}`)).resolves.toBeUndefined();
  });

  it('reports a well-formed key that was never stored as not found', async () => {
    const tenant = randomUUID();
    expect(await codeOf(store.get(tenant, `${tenant}/${randomBytes(16).toString('hex')}`))).toBe('object_not_found');
  });
});
