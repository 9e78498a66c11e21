import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchQuestions, openChat, percentile, pool, requestJson, startSession, type ChatResult } from './chat-client.ts';
import { spawnServer, stopServer, type Server } from './child.ts';

// `npm run bench:chat`: the widget chat over real HTTP against Cloop in its own process (embedded
// PGlite, in-process state store) streaming from a loopback OpenAI-compatible provider in a third
// process that answers after a fixed time to first token. Measures:
//  - the time to first token Cloop adds over the provider's fixed one, for 200 concurrent
//    conversations of two messages each, and the tokens/s delivered; a direct-to-provider run at the
//    same concurrency is the baseline measured in the same run;
//  - the budget race: 200 concurrent long answers against a daily cap of ~50 worst-case calls, in
//    waves, and how far the metered spend ever went past the cap;
//  - 1,000 idle streams the provider holds before the first token: how many are still open after
//    10 s, and Cloop's memory while it holds them.
// Prints one JSON line on stdout; progress goes to stderr. Knobs: BENCH_CONVERSATIONS, BENCH_IDLE_STREAMS,
// BENCH_IDLE_S, BENCH_PROVIDER_TTFT_MS.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const idleStreams = Number(process.env.BENCH_IDLE_STREAMS ?? 1_000);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 10);
const providerTtftMs = Number(process.env.BENCH_PROVIDER_TTFT_MS ?? 100);
const providerTokens = 40;
const raceChats = 200;

const log = (message: string) => process.stderr.write(`[bench:chat] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Resident memory of a process now, or its peak (`VmHWM`), from /proc. */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Time to the first content token straight from the provider (no Cloop), `n` at once: the baseline. */
async function directTtft(providerBase: string, n: number): Promise<number[]> {
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = http.request(`${providerBase}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' } }, (res) => {
        let first: number | null = null;
        res.setEncoding('utf8').on('data', (c: string) => {
          if (first === null && c.includes('"content":"tok')) first = performance.now() - started;
        });
        res.on('end', () => (first === null ? reject(new Error('no token from the provider')) : resolve(first)));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'bench-model', stream: true, messages: [{ role: 'user', content: 'baseline' }] }));
    });
  return Promise.all(Array.from({ length: n }, one));
}

const failed = (r: ChatResult) => r.status !== 200 || r.error !== null || r.answered === null || r.ttftMs === null;

const servers: Server[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloop-bench-chat-'));
process.once('SIGINT', () => {
  for (const s of servers) s.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

async function main(): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), NODE_ENV: 'production' };
  try {
    const provider = spawnServer({
      name: 'provider',
      file: path.join(repoRoot, 'bench', 'chat-provider.ts'),
      cwd: repoRoot,
      env: { ...baseEnv, BENCH_PROVIDER_TTFT_MS: String(providerTtftMs), BENCH_PROVIDER_TOKENS: String(providerTokens), BENCH_PROVIDER_ITL_MS: '5' },
      urlPath: '/stats',
    });
    servers.push(provider);
    const providerPort = await provider.port;
    const providerBase = `http://127.0.0.1:${providerPort}`;
    const providerStats = async () => (await requestJson(providerBase, '/stats')).body as { streams: number; heldNow: number; clientGone: number };

    const infoFile = path.join(tmp, 'info.json');
    const spawnedAt = performance.now();
    const cloop = spawnServer({
      name: 'cloop',
      file: path.join(repoRoot, 'bench', 'chat-server.ts'),
      cwd: repoRoot,
      env: {
        ...baseEnv,
        BENCH_CONFIG_NODE_ENV: 'development',
        BENCH_CHAT_INFO: infoFile,
        HOST: '127.0.0.1',
        PORT: '0',
        PUBLIC_URL: 'https://cloop.example',
        CLOOP_DATA_DIR: path.join(tmp, 'data'),
        CLOOP_ALLOW_EMBEDDED_DB: 'true',
        CLOOP_SECRET: randomBytes(32).toString('base64url'),
        LOG_LEVEL: 'info',
        LOG_FILE: path.join(tmp, 'cloop.log'),
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: `${providerBase}/v1/`,
        LLM_API_KEY: 'bench-key',
        LLM_MODEL: 'bench-model',
        // The production path: provider calls go through the SSRF-safe fetcher, which allows this one loopback port.
        FETCH_ALLOW_LIST: `127.0.0.1:${providerPort}`,
        // Output tokens carry the price, so that ~50 worst-case reservations make a cap that 600-token answers reach.
        LLM_PRICE_INPUT_PER_MTOK: '10',
        LLM_PRICE_OUTPUT_PER_MTOK: '1000',
        // Every bench visitor comes from 127.0.0.1: the rate limits must not be what is measured.
        RATE_LIMIT_CHAT: '1000000/60',
        RATE_LIMIT_PUBLIC: '1000000/60',
        RATE_LIMIT_ADMIN: '1000000/60',
        CHAT_LIMIT_PER_SITE: '1000000/60',
        CHAT_LIMIT_PER_VISITOR: '1000000/60',
        CHAT_NEW_CONVERSATIONS_PER_IP: '1000000/3600',
        CHAT_MAX_STREAMS_PER_SITE: '10000',
      },
      urlPath: '/healthz',
    });
    servers.push(cloop);
    const base = `http://127.0.0.1:${await cloop.port}`;
    const pid = cloop.child.pid as number;
    log(`cloop seeded and listening in ${((performance.now() - spawnedAt) / 1000).toFixed(1)} s`);
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { embedKey: string; raceEmbedKey: string; raceOwnerToken: string; raceCapUsd: number; reservationUsd: number };

    // 1. The baseline: the provider alone, at the same concurrency.
    const direct = await directTtft(providerBase, conversations);
    log(`provider alone: ttft p50 ${percentile(direct, 50).toFixed(1)} ms, p95 ${percentile(direct, 95).toFixed(1)} ms (fixed ${providerTtftMs} ms)`);

    // 2. Warm-up (JIT, caches, the first PGlite queries).
    await pool(Array.from({ length: 20 }, (_, i) => i), 10, async (i) => {
      const token = await startSession(base, info.embedKey);
      await openChat(base, info.embedKey, token, { message: benchQuestions[i % benchQuestions.length]! }).done;
    });
    const idleRss = memoryMb(pid, 'VmRSS');

    // 3. 200 concurrent conversations of two messages each.
    const tokens = await pool(Array.from({ length: conversations }, (_, i) => i), 50, () => startSession(base, info.embedKey));
    const loadStarted = performance.now();
    const results = (
      await Promise.all(
        tokens.map(async (token, i) => {
          const first = await openChat(base, info.embedKey, token, { message: benchQuestions[i % benchQuestions.length]! }).done;
          if (!first.conversationId) return [first];
          const second = await openChat(base, info.embedKey, token, { message: benchQuestions[(i + 1) % benchQuestions.length]!, conversationId: first.conversationId }).done;
          return [first, second];
        }),
      )
    ).flat();
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const ttfts = results.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
    const tokensReceived = results.reduce((n, r) => n + r.tokens, 0);
    const loadErrors = results.filter(failed).length;
    const errorKinds = (rs: ChatResult[]) => {
      const kinds: Record<string, number> = {};
      for (const r of rs.filter(failed)) {
        const kind = r.status !== 200 ? `http_${r.status}` : (r.error ?? (r.ttftMs === null ? 'no_token' : 'no_done'));
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
      return kinds;
    };
    log(`${conversations} conversations: ${results.length} answers in ${loadSeconds.toFixed(1)} s, ttft p50 ${percentile(ttfts, 50).toFixed(1)} ms, p95 ${percentile(ttfts, 95).toFixed(1)} ms, ${loadErrors} errors ${JSON.stringify(errorKinds(results))}`);

    // 4. The budget race, in waves until the cap refuses a whole wave.
    const raceTokens = await pool(Array.from({ length: raceChats }, (_, i) => i), 50, () => startSession(base, info.raceEmbedKey));
    let overspendMax = Number.NEGATIVE_INFINITY;
    let spent = 0;
    let raceErrors = 0;
    const raceErrorKinds: Record<string, number> = {};
    const answeredPerWave: number[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const wave_ = await Promise.all(raceTokens.map((token, i) => openChat(base, info.raceEmbedKey, token, { message: `[long] ${benchQuestions[i % benchQuestions.length]}` }).done));
      const bad = wave_.filter((r) => r.status !== 200 || r.error !== null || r.answered === null);
      raceErrors += bad.length;
      for (const r of bad) raceErrorKinds[r.status !== 200 ? `http_${r.status}` : (r.error ?? 'no_done')] = (raceErrorKinds[r.status !== 200 ? `http_${r.status}` : (r.error ?? 'no_done')] ?? 0) + 1;
      answeredPerWave.push(wave_.filter((r) => r.answered).length);
      const usage = await requestJson(base, '/api/usage', { headers: { authorization: `Bearer ${info.raceOwnerToken}` } });
      if (usage.status !== 200) throw new Error(`usage: ${usage.status} ${JSON.stringify(usage.body)}`);
      spent = (usage.body as { todayCostUsd: number }).todayCostUsd;
      overspendMax = Math.max(overspendMax, spent - info.raceCapUsd);
      if (answeredPerWave.at(-1) === 0) break;
    }
    log(`budget race: cap ${info.raceCapUsd} USD, one call ≤ ${round6(info.reservationUsd)} USD, answered per wave ${answeredPerWave.join(', ')}, spent ${round6(spent)} USD, ${raceErrors} errors ${JSON.stringify(raceErrorKinds)}`);

    // 5. Idle streams: the provider holds every one before its first token. Admitting 1,000 takes
    // Cloop a while (each one is stored and retrieved for first), so each stream's 10 s are counted
    // from its own first event; the provider's count of streams held at once shows the concurrency.
    const idleTokens = await pool(Array.from({ length: Math.ceil(idleStreams / 10) }, (_, i) => i), 50, () => startSession(base, info.embedKey));
    const idleStarted = performance.now();
    const idle = Array.from({ length: idleStreams }, (_, i) => openChat(base, info.embedKey, idleTokens[i % idleTokens.length]!, { message: `[hold] ${benchQuestions[i % benchQuestions.length]}` }));
    const idleMs = idleSeconds * 1000;
    let heldMax = 0;
    let rssAtHeldMax = memoryMb(pid, 'VmRSS');
    for (;;) {
      const { heldNow } = await providerStats();
      if (heldNow > heldMax) [heldMax, rssAtHeldMax] = [heldNow, memoryMb(pid, 'VmRSS')];
      const admitted = idle.every((s) => s.result.phaseAt !== null || s.result.closed);
      const lastPhase = Math.max(...idle.map((s) => s.result.phaseAt ?? 0));
      if ((admitted && performance.now() >= lastPhase + idleMs) || performance.now() - idleStarted > 90_000) break;
      await sleep(250);
    }
    const admitSeconds = (Math.max(...idle.map((s) => s.result.phaseAt ?? 0)) - idleStarted) / 1000;
    const stillOpen = idle.filter((s) => s.result.phaseAt !== null && (!s.result.closed || s.result.closedAt! - s.result.phaseAt >= idleMs)).length;
    const openNow = idle.filter((s) => s.result.opened && !s.result.closed).length;
    const heldAfter = (await providerStats()).heldNow;
    for (const s of idle) s.abort();
    // Every hang-up must reach the provider: Cloop closes the upstream stream of each one.
    const releaseStarted = performance.now();
    while ((await providerStats()).heldNow > 0 && performance.now() - releaseStarted < 60_000) await sleep(100);
    const released = (await providerStats()).heldNow === 0;
    const releaseMs = Math.round(performance.now() - releaseStarted);
    log(
      `idle streams: ${stillOpen} of ${idleStreams} open ${idleSeconds} s after their first event (admitted in ${admitSeconds.toFixed(1)} s; ` +
        `${heldMax} held at once, RSS then ${rssAtHeldMax.toFixed(0)} MB; ${openNow} open at the end); upstream released ${released ? `in ${releaseMs} ms` : `NOT within 60 s (${(await providerStats()).heldNow} still held)`}`,
    );
    const idleStreamsRss = rssAtHeldMax;

    const peakRss = memoryMb(pid, 'VmHWM');
    for (const s of servers) log(`${s.name} ${await stopServer(s)}`);
    servers.length = 0;

    const added = ttfts.map((t) => t - providerTtftMs);
    return {
      bench: 'chat',
      ttft_added_p50_ms: round1(percentile(added, 50)),
      ttft_added_p95_ms: round1(percentile(added, 95)),
      tokens_per_s: Math.round(tokensReceived / loadSeconds),
      errors: loadErrors + raceErrors,
      error_kinds: errorKinds(results),
      race_error_kinds: raceErrorKinds,
      peak_rss_mb: round1(peakRss),
      idle_streams: stillOpen,
      idle_streams_rss_mb: round1(idleStreamsRss),
      budget_overspend_max: round6(Math.max(0, overspendMax)),
      provider_ttft_fixed_ms: providerTtftMs,
      provider_ttft_direct_p50_ms: round1(percentile(direct, 50)),
      provider_ttft_direct_p95_ms: round1(percentile(direct, 95)),
      cloop_ttft_p50_ms: round1(percentile(ttfts, 50)),
      cloop_ttft_p95_ms: round1(percentile(ttfts, 95)),
      conversations,
      answers: results.length,
      tokens_per_answer: providerTokens,
      idle_rss_mb: round1(idleRss),
      idle_streams_requested: idleStreams,
      idle_streams_held_max: heldMax,
      idle_streams_open_at_end: openNow,
      idle_streams_held_at_end: heldAfter,
      idle_streams_admit_s: round1(admitSeconds),
      idle_streams_released: released,
      idle_streams_release_ms: released ? releaseMs : null,
      budget_cap_usd: info.raceCapUsd,
      budget_one_call_max_usd: round6(info.reservationUsd),
      budget_spent_usd: round6(spent),
      budget_overspend_raw_usd: round6(overspendMax),
      budget_answered_per_wave: answeredPerWave,
      state: 'memory',
      database: 'pglite',
      duration_s: round1((performance.now() - startedAt) / 1000),
      node: process.version,
      cpus: os.availableParallelism(),
    };
  } finally {
    await Promise.all(servers.map((s) => stopServer(s)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  const result = await main();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (err) {
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
