// The two homes of the object store for tests: a temporary folder, and a real S3-protocol server
// (s3rver on loopback) with a bucket — each with a way to see what a tenant left behind.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createFsObjectStore } from '../server/platform/storage/fs.ts';
import type { ObjectStore } from '../server/platform/storage/object-store.ts';
import { createS3ObjectStore } from '../server/platform/storage/s3.ts';

/** One home for the store under test, plus a way to see what it left on disk or in the bucket. */
export interface StorageHome {
  name: string;
  setup(): Promise<{ store: ObjectStore; leftovers(tenantId: string): Promise<string[]> }>;
  teardown(): Promise<void>;
}

/** The bucket s3Home creates. */
export const testBucket = 'cloop-test';

/** Lists a folder, treating a missing one as empty. */
async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

export function fsHome(): StorageHome {
  let root = '';
  return {
    name: 'fs',
    async setup() {
      root = await mkdtemp(join(tmpdir(), 'cloop-fs-store-'));
      return { store: createFsObjectStore(root), leftovers: (tenantId) => list(join(root, tenantId)) };
    },
    async teardown() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function s3Home(): StorageHome {
  let dir = '';
  let server: S3rver | undefined;
  let admin: S3Client | undefined;
  return {
    name: 's3',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'cloop-s3-store-'));
      const spoolDir = join(dir, 'spool');
      await mkdir(spoolDir);
      server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 'data'), configureBuckets: [{ name: testBucket }] });
      const { port } = await server.run();
      const conn = {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      };
      admin = new S3Client(conn);
      const store = createS3ObjectStore({
        ...conn,
        bucket: testBucket,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        prefix: 'originals',
        spoolDir,
      });
      const c = admin;
      return {
        store,
        async leftovers(tenantId) {
          const res = await c.send(new ListObjectsV2Command({ Bucket: testBucket, Prefix: `originals/${tenantId}/` }));
          const objects = (res.Contents ?? []).map((o) => o.Key ?? '');
          return [...objects, ...(await list(spoolDir))];
        },
      };
    },
    async teardown() {
      admin?.destroy();
      await server?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
