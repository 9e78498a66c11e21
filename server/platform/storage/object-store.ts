import type { Readable } from 'node:stream';

/** Metadata kept beside a stored object. */
export interface StoredObject {
  key: string;
  size: number;
}

/**
 * Uploaded originals. Keys are generated here (`<tenantId>/<random>`), never built from input;
 * every read and delete checks that the key belongs to the calling tenant.
 * Two homes: a local folder (`fs.ts`) and any S3-compatible store (`s3.ts`).
 */
export interface ObjectStore {
  readonly kind: 'fs' | 's3';
  /** Streams `body` into a new object for the tenant; nothing is left behind when the stream fails. */
  put(tenantId: string, body: Readable | Buffer, opts?: { contentType?: string; maxBytes?: number }): Promise<StoredObject>;
  /** Opens an object for reading; `object_not_found` when missing or not the tenant's. */
  get(tenantId: string, key: string): Promise<Readable>;
  /** Deletes an object; missing objects are not an error. */
  delete(tenantId: string, key: string): Promise<void>;
  /** Deletes every object of the tenant, referenced or not (retention purge); returns how many. Idempotent. */
  deleteTenant(tenantId: string): Promise<number>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
