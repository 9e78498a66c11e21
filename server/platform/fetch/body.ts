import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** Thrown when a body passes its cap; `which` says whether the bytes on the wire or the decoded bytes did. */
export class BodyTooLarge extends Error {
  constructor(readonly which: 'wire' | 'decoded', readonly limit: number) {
    super(`response body is larger than ${limit} bytes (${which})`);
    this.name = 'BodyTooLarge';
  }
}

/** Thrown for a `Content-Encoding` the fetcher does not decode (it only asks for gzip, deflate and br). */
export class UnsupportedEncoding extends Error {
  constructor(readonly encoding: string) {
    super(`unsupported content-encoding: ${encoding}`);
    this.name = 'UnsupportedEncoding';
  }
}

/** Counts bytes flowing through and fails as soon as more than `limit` have passed. */
class Cap extends Transform {
  private seen = 0;

  constructor(
    private readonly limit: number,
    private readonly which: 'wire' | 'decoded',
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new BodyTooLarge(this.which, this.limit));
    else done(null, chunk);
  }
}

/** Decodes `deflate` whether the server sent it zlib-wrapped (per the RFC) or raw (as some servers do). */
class AnyInflate extends Transform {
  private inner: Transform | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.inner) {
      // A zlib stream starts with a CMF byte whose low nibble is 8 (deflate); raw deflate cannot be relied on to.
      const first = chunk[0] ?? 0;
      this.inner = (first & 0x0f) === 8 ? createInflate() : createInflateRaw();
      this.inner.on('data', (c: Buffer) => this.push(c));
      this.inner.on('error', (e) => this.destroy(e));
    }
    this.inner.write(chunk, done);
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) return done();
    this.inner.once('end', () => done());
    this.inner.end();
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.inner?.destroy();
    done(err);
  }
}

function decoderFor(encoding: string): Transform | null {
  switch (encoding) {
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return new AnyInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UnsupportedEncoding(encoding);
  }
}

/**
 * Reads a response body into one Buffer, decoding `Content-Encoding` as it streams. Both the wire
 * bytes and the decoded bytes are capped at `maxBytes`, so a compression bomb stops at the cap
 * instead of being inflated in full.
 */
export async function readBody(body: Readable, contentEncoding: string | undefined, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  if (codings.length > 2) throw new UnsupportedEncoding(codings.join(', '));
  // Codings are listed in the order they were applied, so they are undone last to first.
  const decoders = codings
    .reverse()
    .map(decoderFor)
    .filter((d): d is Transform => d !== null);

  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await pipeline([body, new Cap(maxBytes, 'wire'), ...decoders, new Cap(maxBytes, 'decoded'), sink], { signal });
  return Buffer.concat(chunks);
}
