import { parentPort } from 'node:worker_threads';
import { isExtractErrorCode } from './extract-errors.ts';
import { runExtraction } from './run-extraction.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';

// Worker entry: serves extraction requests one at a time until the parent terminates it.
const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

port.on('message', (request: WorkerRequest) => {
  void runExtraction(request.kind, request.bytes, request.opts, request.limits).then(
    (doc) => port.postMessage({ id: request.id, ok: true, doc } satisfies WorkerReply),
    (err: unknown) => {
      const e = err as { code?: unknown; cause?: unknown; message?: unknown };
      const reply: WorkerReply = isExtractErrorCode(e?.code)
        ? { id: request.id, ok: false, code: e.code, cause: typeof e.cause === 'string' ? e.cause : undefined }
        : { id: request.id, ok: false, code: 'file_unreadable', cause: String(e?.message ?? err) };
      port.postMessage(reply);
    },
  );
});
port.postMessage({ ready: true });
