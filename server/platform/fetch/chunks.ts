import type { Readable } from 'node:stream';

/** How `chunksOf` caps and ends a body. */
export interface ChunkOptions {
  /** More bytes than this fail with `tooLarge()`. */
  maxBytes: number;
  tooLarge(): unknown;
  /** What a failed body throws (the stream's error, or a premature close without one). */
  failure(err: unknown): unknown;
  /** Runs once: when the body ended, failed, went over the cap or the reader stopped (the body is then let go of). */
  finish(): void;
}

const prematureClose = Object.assign(new Error('the body closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

const ignore = () => {};

/**
 * A response body's chunks as a plain async iterator: a chunk already buffered is handed over at
 * once, otherwise the body's next event settles the read. Node's stream iterator (an async
 * generator) and a generator around it for the cap cost two promise hops per chunk; a provider's
 * answer is one chunk per token. A reader that stops early (a provider's `[DONE]` comes just before
 * the end of its body) lets the rest drain until the next turn of the event loop and destroys the
 * body only if it has not ended by then: destroying an unended body makes an abort error.
 */
export function chunksOf(body: Readable, opts: ChunkOptions): AsyncIterableIterator<Buffer> {
  let seen = 0;
  let finished = false;
  let wake: (() => void) | null = null;
  const onEvent = () => {
    const resume = wake;
    wake = null;
    resume?.();
  };
  body.on('readable', onEvent).on('end', onEvent).on('error', onEvent).on('close', onEvent);
  const finish = (early = false) => {
    if (finished) return;
    finished = true;
    body.off('readable', onEvent).off('end', onEvent).off('error', onEvent).off('close', onEvent);
    // Whatever happens to the body from now on, nobody reads it: its errors are nobody's.
    body.on('error', ignore);
    opts.finish();
    if (!early || body.destroyed) body.destroy();
    else {
      body.resume();
      setImmediate(() => body.destroy());
    }
  };
  const ended: IteratorResult<Buffer> = { done: true, value: undefined };
  return {
    async next(): Promise<IteratorResult<Buffer>> {
      for (;;) {
        if (finished) return ended;
        const chunk = body.destroyed ? null : (body.read() as Buffer | null);
        if (chunk !== null) {
          seen += chunk.length;
          if (seen <= opts.maxBytes) return { done: false, value: chunk };
          finish();
          throw opts.tooLarge();
        }
        if (body.readableEnded) {
          finish();
          return ended;
        }
        if (body.errored || body.destroyed) {
          finish();
          throw opts.failure(body.errored ?? prematureClose);
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return(): Promise<IteratorResult<Buffer>> {
      finish(true);
      return ended;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
