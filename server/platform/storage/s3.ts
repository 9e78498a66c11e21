import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { appError } from '../../errors.ts';
import { ByteLimit } from './byte-limit.ts';
import { newObjectKey, tenantFolder, tenantObjectKey } from './keys.ts';
import type { ObjectStore, StoredObject } from './object-store.ts';

/** Connection settings for any S3-compatible store. */
export interface S3ObjectStoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Folder inside the bucket that holds every object key. */
  prefix?: string;
  /** Where uploads are spooled before sending (default: the OS temp folder). */
  spoolDir?: string;
}

// One DeleteObjects request takes at most 1,000 keys (the S3 limit); a listing page holds as many.
const deleteBatch = 1_000;

// A single PutObject cannot exceed 5 GiB, so that is the ceiling even without a caller limit.
const singlePutLimit = 5 * 1024 ** 3;

/** True when S3 says the object does not exist. */
function isMissing(err: unknown): boolean {
  return err instanceof NoSuchKey || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404);
}

/** Creates the object store backed by an S3 bucket; keys live under `<prefix>/<tenantId>/<random>`. */
export function createS3ObjectStore(opts: S3ObjectStoreOptions): ObjectStore {
  const client = new S3Client({
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.accessKeyId && opts.secretAccessKey
      ? { credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } }
      : {}),
    // Default CRC checksums use aws-chunked uploads that many S3-compatible stores mishandle.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = opts.bucket;
  const prefix = opts.prefix?.replace(/^\/+|\/+$/g, '') ?? '';
  const spoolDir = opts.spoolDir ?? tmpdir();
  const objectName = (key: string): string => (prefix ? `${prefix}/${key}` : key);

  /** Sends one object whose length is known up front. */
  async function send(key: string, body: Buffer | Readable, size: number, contentType?: string): Promise<void> {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: objectName(key),
        Body: body,
        ContentLength: size,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    );
  }

  return {
    kind: 's3',

    async put(tenantId, body, putOpts = {}): Promise<StoredObject> {
      const { key, name } = newObjectKey(tenantId);
      const maxBytes = Math.min(putOpts.maxBytes ?? singlePutLimit, singlePutLimit);
      if (Buffer.isBuffer(body)) {
        if (body.length > maxBytes) throw appError('payload_too_large');
        await send(key, body, body.length, putOpts.contentType);
        return { key, size: body.length };
      }
      // Spool to disk: PutObject needs the length before sending, and memory stays flat under load.
      const spool = join(spoolDir, `.cloop-${name}.part`);
      const limit = new ByteLimit(maxBytes);
      let upload: Readable | undefined;
      try {
        await pipeline(body, limit, createWriteStream(spool, { flags: 'wx' }));
        upload = createReadStream(spool);
        await send(key, upload, limit.bytes, putOpts.contentType);
      } finally {
        upload?.destroy();
        await rm(spool, { force: true });
      }
      return { key, size: limit.bytes };
    },

    async get(tenantId, key): Promise<Readable> {
      tenantObjectKey(tenantId, key);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectName(key) }));
        if (!(res.Body instanceof Readable)) throw new Error('S3 returned no readable body');
        return res.Body;
      } catch (err) {
        throw isMissing(err) ? appError('object_not_found') : err;
      }
    },

    async delete(tenantId, key): Promise<void> {
      tenantObjectKey(tenantId, key);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectName(key) }));
    },

    async deleteTenant(tenantId): Promise<number> {
      const folder = objectName(`${tenantFolder(tenantId)}/`);
      let deleted = 0;
      // List a page, delete it, list again: deleting while paging needs no continuation token.
      for (;;) {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, MaxKeys: deleteBatch }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (!keys.length) return deleted;
        const res = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
        if (res.Errors?.length) throw new Error(`S3 refused to delete ${res.Errors.length} objects (first: ${res.Errors[0]?.Code ?? 'unknown'})`);
        deleted += keys.length;
      }
    },

    async ping(): Promise<void> {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },

    async close(): Promise<void> {
      client.destroy();
    },
  };
}
