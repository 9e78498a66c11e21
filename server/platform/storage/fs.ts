import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { appError } from '../../errors.ts';
import { ByteLimit } from './byte-limit.ts';
import { newObjectKey, tenantFolder, tenantObjectKey } from './keys.ts';
import type { ObjectStore, StoredObject } from './object-store.ts';

/** Creates the object store that keeps originals under `<rootDir>/<tenantId>/<random>`. */
export function createFsObjectStore(rootDir: string): ObjectStore {
  // Paths are only ever built from validated keys, so nothing outside rootDir is reachable.
  const pathOf = (tenantId: string, name: string): string => join(rootDir, tenantId, name);

  return {
    kind: 'fs',

    async put(tenantId, body, opts = {}): Promise<StoredObject> {
      const { key, name } = newObjectKey(tenantId);
      await mkdir(join(rootDir, tenantId), { recursive: true });
      const part = pathOf(tenantId, `.${name}.part`);
      const limit = new ByteLimit(opts.maxBytes ?? Infinity);
      try {
        const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        await pipeline(source, limit, createWriteStream(part, { flags: 'wx' }));
        // The rename is atomic, so readers see either no object or the whole one.
        await rename(part, pathOf(tenantId, name));
      } catch (err) {
        await rm(part, { force: true });
        throw err;
      }
      return { key, size: limit.bytes };
    },

    async get(tenantId, key): Promise<Readable> {
      const { name } = tenantObjectKey(tenantId, key);
      // Open before returning so a missing file is an error here, not later on the stream.
      const handle = await open(pathOf(tenantId, name), 'r').catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? appError('object_not_found') : err;
      });
      return handle.createReadStream();
    },

    async delete(tenantId, key): Promise<void> {
      const { name } = tenantObjectKey(tenantId, key);
      await rm(pathOf(tenantId, name), { force: true });
    },

    async deleteTenant(tenantId): Promise<number> {
      const dir = join(rootDir, tenantFolder(tenantId));
      const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      await rm(dir, { recursive: true, force: true });
      return names.filter((n) => !n.startsWith('.')).length;
    },

    async ping(): Promise<void> {
      await mkdir(rootDir, { recursive: true });
      const probe = join(rootDir, `.ping-${randomBytes(8).toString('hex')}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    },

    async close(): Promise<void> {},
  };
}
