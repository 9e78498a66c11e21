import { writeFileSync } from 'node:fs';
import { buildApp } from '../../server/app.ts';
import { firstOwnerSigninLink } from '../../server/auth/auth.service.ts';
import { loadConfig } from '../../server/config.ts';
import { lockDataDir } from '../../server/db/data-dir-lock.ts';
import { createDeps } from '../../server/deps.ts';
import { startupSettleMs, startWorkers } from '../../server/jobs.ts';
import { announceAndWatch } from './lifecycle.ts';

// The real server, wired as server/main.ts wires it. The process runs with NODE_ENV=production;
// BENCH_CONFIG_NODE_ENV lets the config run as 'development' so the in-process state store is allowed.
const env = { ...process.env, NODE_ENV: process.env.BENCH_CONFIG_NODE_ENV ?? process.env.NODE_ENV };
const config = loadConfig(env);
const release = config.database.kind === 'pglite' ? lockDataDir(config.dataDir) : () => {};
const deps = await createDeps(config);
const app = await buildApp(deps);
if (config.runWorkers) await startWorkers(deps, { firstTickAfterMs: startupSettleMs });
await app.listen({ port: config.port, host: config.host });
announceAndWatch(app, async () => {
  await app.close();
  await deps.close();
  release();
});
// As `npm start` prints one: the benchmark signs in with it before it reads idle memory.
if (process.env.BENCH_SIGNIN_FILE && config.signinLinks) writeFileSync(process.env.BENCH_SIGNIN_FILE, await firstOwnerSigninLink(deps));
