// The real Cloop server for the dashboard's browser tests: buildApp from server/app.ts on loopback
// (embedded backends or the CI PostgreSQL, offline answerer, workers in process), a fresh dashboard
// and widget build, and the help-center corpus served by a loopback static site.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { firstOwnerSigninLink, signinLinkFor } from '../server/auth/auth.service.ts';
import { loadConfig } from '../server/config.ts';
import { createDeps, type Deps } from '../server/deps.ts';
import { startWorkers } from '../server/jobs.ts';
import { LogCapture, testRedisUrl } from '../test/harness.ts';
import { openIsolatedTestDatabase } from '../test/isolated-database.ts';
import { startStaticSite, type StaticSite } from '../test/static-site.ts';
import { repoRoot } from './browser.ts';

/** The help center corpus (DuckDuckGo help pages), rendered to static HTML. */
export const helpCenterRoot = path.resolve(repoRoot, '../shared/corpora/site/html');

/**
 * Builds the dashboard and the widget into their default places (dist/dashboard, dist/widget): the
 * server's plugins read them at start-up, whether this test or server/app.ts registers them.
 */
export function buildAssets(): void {
  for (const script of ['scripts/build-dashboard.mjs', 'scripts/build-widget.mjs']) {
    const { CLOOP_DASHBOARD_OUT_DIR: _d, CLOOP_WIDGET_OUT_DIR: _w, ...env } = process.env;
    const result = spawnSync(process.execPath, [path.join(repoRoot, script)], { encoding: 'utf8', env });
    if (result.status !== 0) throw new Error(`${script} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A running Cloop with its help-center site. */
export interface RunningCloop {
  /** `http://127.0.0.1:<port>` (also the PUBLIC_URL). */
  origin: string;
  app: FastifyInstance;
  deps: Deps;
  helpCenter: StaticSite;
  logs: LogCapture;
  /** A single-use sign-in link for `email` (creating the user and their workspace on first use). */
  signinLink(email?: string): Promise<string>;
  /** The link `npm start` prints when no sign-in provider is configured (for the first Owner). */
  printedSigninLink(): Promise<string>;
  close(): Promise<void>;
}

/** Starts everything; `close()` stops it and removes the temporary files. */
export async function startCloop(): Promise<RunningCloop> {
  buildAssets();
  const helpCenter = await startStaticSite({ root: helpCenterRoot, rewriteOrigin: 'http://localhost:8080' });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const dataDir = path.join(os.tmpdir(), `cloop-e2e-${randomUUID()}`);
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: origin,
    CLOOP_DATA_DIR: dataDir,
    CLOOP_SECRET: 'e2e-secret-e2e-secret-e2e-secret-0123456789',
    LOG_LEVEL: 'info',
    FETCH_ALLOW_LIST: `127.0.0.1:${helpCenter.port}`,
    CRAWL_DELAY_MS: '25', // slow enough that the live progress has steps to show
    // One browser makes every request from one address: the per-IP windows must not get in the way.
    RATE_LIMIT_ADMIN: '100000/60',
    RATE_LIMIT_PUBLIC: '100000/60',
    RATE_LIMIT_AUTH: '100000/60',
    RATE_LIMIT_CHAT: '100000/60',
    ...(testRedisUrl ? { REDIS_URL: testRedisUrl, REDIS_KEY_PREFIX: `e2e-${randomUUID()}:` } : {}),
  });
  const logs = new LogCapture();
  // Its own database in the server pass: its job workers must not take other files' jobs (or theirs its).
  const database = await openIsolatedTestDatabase();
  const deps = await createDeps(config, { database, logStream: logs });
  const app = await buildApp(deps);
  await startWorkers(deps);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    origin,
    app,
    deps,
    helpCenter,
    logs,
    signinLink: (email = `owner-${randomUUID()}@example.com`) => signinLinkFor(deps, email),
    printedSigninLink: () => firstOwnerSigninLink(deps),
    async close() {
      await app.close();
      await deps.close();
      await database.close();
      await helpCenter.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
