import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { extractError } from './extract-errors.ts';
import type { ExtractedDocument } from './types.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';

// Under tsx the sources are TypeScript; a compiled build would ship worker.js beside this file.
const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
const boot = new URL('./worker-boot.mjs', import.meta.url);

/** Extractions running at once; more wait their turn. */
const maxRunning = Math.max(1, Math.min(4, availableParallelism()));
/**
 * A worker is replaced after this many documents, so no state builds up for long. A new worker costs
 * about 1 s of CPU (loading, then a cold JIT for its first documents), so a crawl of a few hundred
 * pages should not pay that more than once per running slot.
 */
const maxJobsPerWorker = 1000;
/** An idle worker is kept this long for the next document (a crawl sends many). */
const idleMs = 30_000;
const maxIdle = 2;

interface Slot {
  worker: Worker;
  heapMb: number;
  jobs: number;
  ready: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * A document that finds every worker busy waits this long for one before a new worker is started:
 * a busy worker is usually free within milliseconds (a web page), while a new one costs about 1 s of
 * CPU. Slow documents (a big PDF) still get a second worker after this wait.
 */
const spawnAfterMs = 200;

interface Waiter {
  resolve: () => void;
  timer?: NodeJS.Timeout;
}

const idle: Slot[] = [];
const waiting: Waiter[] = [];
let running = 0;
let nextId = 1;

function spawn(heapMb: number): Slot {
  const worker = new Worker(boot, {
    workerData: { entry },
    // Nothing inherited: tsx's flags and `--max-old-space-size` do not belong in a worker.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  const slot: Slot = { worker, heapMb, jobs: 0, ready: false };
  // A dead idle worker must never take the parent down or be handed out again.
  worker.on('error', () => {});
  worker.once('exit', () => {
    const i = idle.indexOf(slot);
    if (i >= 0) idle.splice(i, 1);
  });
  return slot;
}

function takeIdle(heapMb: number): Slot | undefined {
  const i = idle.findIndex((s) => s.heapMb === heapMb);
  if (i < 0) return undefined;
  const [slot] = idle.splice(i, 1);
  clearTimeout(slot!.idleTimer);
  slot!.worker.ref();
  return slot;
}

function park(slot: Slot): void {
  if (slot.jobs >= maxJobsPerWorker || idle.length >= maxIdle) {
    void slot.worker.terminate();
    return;
  }
  slot.worker.unref();
  slot.idleTimer = setTimeout(() => {
    const i = idle.indexOf(slot);
    if (i >= 0) idle.splice(i, 1);
    void slot.worker.terminate();
  }, idleMs).unref();
  idle.push(slot);
}

async function acquire(): Promise<void> {
  // The first worker, or an idle one: go. Otherwise wait for a busy one to finish.
  if (running < maxRunning && (running === 0 || idle.length > 0)) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => {
    const waiter: Waiter = { resolve };
    if (running < maxRunning) waiter.timer = setTimeout(() => grow(waiter), spawnAfterMs);
    waiting.push(waiter);
  });
}

/** A waiter that waited `spawnAfterMs`: runs beside the busy workers (on a new worker) while there is room. */
function grow(waiter: Waiter): void {
  const i = waiting.indexOf(waiter);
  if (i < 0 || running >= maxRunning) return;
  waiting.splice(i, 1);
  running++;
  waiter.resolve();
}

function release(): void {
  const next = waiting.shift();
  if (next) {
    // Handed over: the finished worker is idle again by now (parked before its caller resumes).
    clearTimeout(next.timer);
    next.resolve();
  } else running--;
}

/** Sends one request to a worker; timeouts, crashes and running out of heap become extraction errors. */
function runOn(slot: Slot, request: WorkerRequest, timeMs: number): Promise<ExtractedDocument> {
  const { worker } = slot;
  return new Promise<ExtractedDocument>((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      fn();
    };
    const onMessage = (msg: WorkerReply | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        return;
      }
      if (msg.id !== request.id) return;
      slot.jobs++;
      done(() => {
        park(slot);
        if (msg.ok) resolve(msg.doc);
        else reject(extractError(msg.code, msg.cause));
      });
    };
    const onError = (err: Error & { code?: string }) => {
      done(() => {
        void worker.terminate();
        if (!slot.ready && err.code !== 'ERR_WORKER_OUT_OF_MEMORY') reject(new Error(`extraction worker did not start: ${err.message}`, { cause: err }));
        else reject(extractError('file_unreadable', err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'worker ran out of memory' : `worker crashed: ${err.message}`));
      });
    };
    const onExit = (code: number) => done(() => reject(extractError('file_unreadable', `worker exited with code ${code}`)));
    const timer = setTimeout(() => {
      done(() => {
        void worker.terminate();
        reject(extractError('extraction_timeout', `over ${timeMs} ms`));
      });
    }, timeMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
  });
}

/** Runs one extraction in a worker thread (reusing an idle one when it has the same heap limit). */
export async function extractInWorker(request: Omit<WorkerRequest, 'id'>): Promise<ExtractedDocument> {
  await acquire();
  try {
    const slot = takeIdle(request.limits.maxHeapMb) ?? spawn(request.limits.maxHeapMb);
    // A compact copy is transferred, so the caller's buffer stays usable.
    return await runOn(slot, { ...request, id: nextId++, bytes: new Uint8Array(request.bytes) }, request.limits.timeMs);
  } finally {
    release();
  }
}

/**
 * Starts a worker ahead of the first document, so a crawl's first page does not wait for one to load
 * (it fetches robots.txt and sitemaps meanwhile). Nothing happens while a worker with this heap limit
 * is running or idle; an unused one stops after the idle time like any other.
 */
export function warmExtractionWorker(heapMb: number): void {
  if (running > 0 || idle.some((s) => s.heapMb === heapMb)) return;
  park(spawn(heapMb));
}

/** Stops the idle workers (shutdown, tests); running extractions finish first. */
export async function closeExtractionWorkers(): Promise<void> {
  const slots = idle.splice(0);
  await Promise.all(
    slots.map((s) => {
      clearTimeout(s.idleTimer);
      return s.worker.terminate();
    }),
  );
}
