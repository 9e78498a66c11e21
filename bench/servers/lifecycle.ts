import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Announces the listening port on stdout (the one line the parent reads) and stops the server
 * on SIGTERM or when the parent's stdin pipe closes, so no child outlives the benchmark.
 */
export function announceAndWatch(app: FastifyInstance, stop: () => Promise<void>): void {
  process.stdout.write(`${(app.server.address() as AddressInfo).port}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.stdin.on('end', shutdown).on('error', shutdown).resume();
}
