import { Transform, type TransformCallback } from 'node:stream';
import { appError } from '../../errors.ts';

/** A pass-through that counts bytes and fails with `payload_too_large` once more than `maxBytes` flow. */
export class ByteLimit extends Transform {
  /** Bytes passed through so far. */
  bytes = 0;

  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) done(appError('payload_too_large'));
    else done(null, chunk);
  }
}
