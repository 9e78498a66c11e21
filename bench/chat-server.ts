import { renameSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { lockDataDir } from '../server/db/data-dir-lock.ts';
import { createDeps, type Deps } from '../server/deps.ts';
import { startWorkers } from '../server/jobs.ts';
import { newOwner } from '../test/sessions.ts';
import { seedPages } from '../test/widget-helpers.ts';
import { benchDomain, benchPages } from './chat-client.ts';
import { announceAndWatch } from './servers/lifecycle.ts';

// Cloop for `npm run bench:chat`: the real server wired as server/main.ts wires it (embedded PGlite,
// in-process state store, job workers), with the provider the environment names. Before listening it
// seeds two tenants through the real routes — one for the load, one whose daily cap the budget race
// runs against — and writes what the client needs to BENCH_CHAT_INFO. BENCH_CONFIG_NODE_ENV lets the
// config run as 'development' so the in-process state store is allowed (as bench/servers/cloop.ts).
// On SIGUSR2 it runs a full GC (when started with --expose-gc) and writes process.memoryUsage() to
// BENCH_CHAT_MEMORY, so the bench can count what each idle stream costs.

const env = { ...process.env, NODE_ENV: process.env.BENCH_CONFIG_NODE_ENV ?? process.env.NODE_ENV };
const config = loadConfig(env);
const release = config.database.kind === 'pglite' ? lockDataDir(config.dataDir) : () => {};
const deps = await createDeps(config);
const app = await buildApp(deps);

/** A new Owner with one site holding the bench pages, and the tenant's daily cap set. */
async function seedTenant(a: FastifyInstance, d: Deps, capUsd: number) {
  const owner = await newOwner(a, d);
  const patched = await a.inject({ method: 'PATCH', url: '/api/tenant', headers: owner.headers, payload: { dailyBudgetUsd: capUsd } });
  if (patched.statusCode !== 200) throw new Error(`cap: ${patched.statusCode} ${patched.body}`);
  const created = await a.inject({ method: 'POST', url: '/api/sites', headers: owner.headers, payload: { name: 'Bench Outdoor', domains: [benchDomain] } });
  if (created.statusCode !== 201) throw new Error(`site: ${created.statusCode} ${created.body}`);
  const site = created.json() as { id: string; embedKey: string };
  await seedPages(d, owner.tenantId, site.id, benchPages);
  return { embedKey: site.embedKey, ownerToken: owner.accessToken };
}

// One chat call's worst case, as chat.service reserves it (6,000 prompt tokens + the output cap).
const reservationUsd = (6_000 * config.llmPrices.inputPerMTok + config.chat.maxOutputTokens * config.llmPrices.outputPerMTok) / 1e6;
const raceCapUsd = Math.round(50 * reservationUsd * 100) / 100;
const load = await seedTenant(app, deps, 100_000);
const race = await seedTenant(app, deps, raceCapUsd);
writeFileSync(process.env.BENCH_CHAT_INFO!, JSON.stringify({ embedKey: load.embedKey, raceEmbedKey: race.embedKey, raceOwnerToken: race.ownerToken, raceCapUsd, reservationUsd }));

const memoryFile = process.env.BENCH_CHAT_MEMORY;
if (memoryFile) {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    writeFileSync(`${memoryFile}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${memoryFile}.tmp`, memoryFile);
  });
}

if (config.runWorkers) await startWorkers(deps);
await app.listen({ port: config.port, host: config.host });
announceAndWatch(app, async () => {
  await app.close();
  await deps.close();
  release();
});
