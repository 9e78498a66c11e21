// Starts an extraction worker. Under tsx the entry is TypeScript, and on Node 20 tsx does not
// register itself in worker threads, so it is registered here before the entry is imported.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
