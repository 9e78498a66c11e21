import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchQuestions, openChat, percentile, pool, requestJson, startSession, type ChatResult } from './chat-client.ts';
import { burstConversations, cpuMs, freshDatabase, heapAfterGc, memoryMb, pacedConversations, type LoadRun } from './chat-load.ts';
import { spawnServer, stopServer, type Server } from './child.ts';
import { benchLog, runBench } from './run.ts';

// `npm run bench:chat`: the widget chat over real HTTP against Cloop in its own process streaming
// from a loopback OpenAI-compatible provider in a third process that answers after a fixed time to
// first token. Cloop runs on embedded PGlite and the in-process state store, or on PostgreSQL and
// Redis when BENCH_DATABASE_URL and BENCH_REDIS_URL are set (as production runs). Measures:
//  - the time to first token Cloop adds over the provider's fixed one, for 200 conversations open at
//    once as visitors hold them (bench/chat-load.ts): each visitor opens the chat at a random moment
//    in the first 5 s, sends a message, reads the streamed answer, thinks 2–8 s (uniform; on the
//    short side of reading an answer and typing a question, so the load is heavier than typical) and
//    sends the next, 4 messages each. These are the headline figures; beside them the provider's
//    own overhead over its fixed time (`provider_overhead_p50_ms`, 5 requests at a time, nothing
//    else running), which the headline counts as Cloop's;
//  - the same 200 as a burst (every first message in the same millisecond, then every second one):
//    a stress figure reported separately (`burst_*`); a direct-to-provider run at the same
//    concurrency is the burst's baseline, measured in the same run;
//  - the budget race: 200 concurrent long answers against a daily cap of ~50 worst-case calls, in
//    waves, and how far the metered spend ever went past the cap;
//  - 1,000 idle streams (opened over 10 s) the provider holds before the first token: how many are still open after
//    10 s, Cloop's memory while it holds them, and what each one costs (RSS, and heap after a GC).
// Prints one JSON line on stdout; progress goes to stderr. Knobs: BENCH_CONVERSATIONS, BENCH_MESSAGES,
// BENCH_RAMP_S, BENCH_THINK_S (min-max), BENCH_SEED, BENCH_IDLE_STREAMS, BENCH_IDLE_S, BENCH_IDLE_RAMP_S,
// BENCH_PROVIDER_TTFT_MS, BENCH_DATABASE_URL (a dedicated database: the bench adds tenants to it),
// BENCH_DATABASE_POOL_MAX, BENCH_REDIS_URL, BENCH_CLOOP_NODE_ARGS (extra node flags for Cloop's process, e.g.
// `--cpu-prof --cpu-prof-dir=/tmp/prof`; the paced run's window is logged on the monotonic clock such
// profiles use, so their samples can be cut to it).

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const messagesPerConversation = Number(process.env.BENCH_MESSAGES ?? 4);
const rampSeconds = Number(process.env.BENCH_RAMP_S ?? 5);
const [thinkMin, thinkMax] = (process.env.BENCH_THINK_S ?? '2-8').split('-').map(Number) as [number, number];
const seed = Number(process.env.BENCH_SEED ?? 1);
const idleStreams = Number(process.env.BENCH_IDLE_STREAMS ?? 1_000);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 10);
const idleRampSeconds = Number(process.env.BENCH_IDLE_RAMP_S ?? 10);
const providerTtftMs = Number(process.env.BENCH_PROVIDER_TTFT_MS ?? 100);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const redisUrl = process.env.BENCH_REDIS_URL;
const providerTokens = 40;
const raceChats = 200;

const log = benchLog('bench:chat');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

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
  const database = databaseUrl ? await freshDatabase(databaseUrl) : null;
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
    const memoryFile = path.join(tmp, 'memory.json');
    const spawnedAt = performance.now();
    const cloop = spawnServer({
      name: 'cloop',
      file: path.join(repoRoot, 'bench', 'chat-server.ts'),
      cwd: repoRoot,
      env: {
        ...baseEnv,
        // 'development' lets the bench seed owners by sign-in link and allows the in-process state store;
        // it changes nothing on the chat path (config.env gates start-up checks and sign-in/site rules).
        BENCH_CONFIG_NODE_ENV: 'development',
        ...(database ? { DATABASE_URL: database.url, ...(process.env.BENCH_DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: process.env.BENCH_DATABASE_POOL_MAX } : {}) } : {}),
        // A key prefix of its own: counters of earlier runs (budget, stream slots) are not this run's.
        ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench-chat-${randomBytes(4).toString('hex')}:` } : {}),
        BENCH_CHAT_INFO: infoFile,
        BENCH_CHAT_MEMORY: memoryFile,
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
      // A full GC before each memory reading, so the per-stream heap figure is what streams hold.
      nodeArgs: ['--expose-gc', ...(process.env.BENCH_CLOOP_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    });
    servers.push(cloop);
    const base = `http://127.0.0.1:${await cloop.port}`;
    const pid = cloop.child.pid as number;
    log(`cloop seeded and listening in ${((performance.now() - spawnedAt) / 1000).toFixed(1)} s`);
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { embedKey: string; raceEmbedKey: string; raceOwnerToken: string; raceCapUsd: number; reservationUsd: number };

    // 1. Warm-up (JIT, caches, the first queries).
    await pool(Array.from({ length: 20 }, (_, i) => i), 10, async (i) => {
      const token = await startSession(base, info.embedKey);
      await openChat(base, info.embedKey, token, { message: benchQuestions[i % benchQuestions.length]! }).done;
    });
    const idleRss = memoryMb(pid, 'VmRSS');

    const failed = (r: ChatResult) => r.status !== 200 || r.error !== null || r.answered === null || r.ttftMs === null;
    const errorKinds = (rs: ChatResult[]) => {
      const kinds: Record<string, number> = {};
      for (const r of rs.filter(failed)) {
        const kind = r.status !== 200 ? `http_${r.status}` : (r.error ?? (r.ttftMs === null ? 'no_token' : 'no_done'));
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
      return kinds;
    };
    const summary = (run: LoadRun) => {
      const ttfts = run.results.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
      const added = ttfts.map((t) => t - providerTtftMs);
      return {
        ttfts,
        added,
        tokensPerS: Math.round(run.results.reduce((n, r) => n + r.tokens, 0) / run.seconds),
        errors: run.results.filter(failed).length,
        kinds: errorKinds(run.results),
        text: `${run.results.length} answers in ${run.seconds.toFixed(1)} s (${run.openMax} conversations open at most, ${run.streamingMax} answers streaming at most), ttft added p50 ${percentile(added, 50).toFixed(1)} ms, p95 ${percentile(added, 95).toFixed(1)} ms, ${run.results.filter(failed).length} errors ${JSON.stringify(errorKinds(run.results))}`,
      };
    };

    // The provider's own overhead over its fixed time to first token (reading the request, timer
    // slack), a few at a time and nothing else running: the headline counts it as Cloop's, since it
    // subtracts exactly the fixed time; reported beside it.
    const directQuiet: number[] = [];
    for (let i = 0; i < 10; i++) directQuiet.push(...(await directTtft(providerBase, 5)));
    const providerOverheadMs = percentile(directQuiet, 50) - providerTtftMs;
    log(`provider alone, 5 at once: ttft p50 ${percentile(directQuiet, 50).toFixed(1)} ms (${providerOverheadMs.toFixed(1)} ms over its fixed ${providerTtftMs} ms)`);

    // 2. The headline: 200 conversations open at once, paced as visitors pace them.
    const pacedTokens = await pool(Array.from({ length: conversations }, (_, i) => i), 50, () => startSession(base, info.embedKey));
    const cpuBefore = cpuMs(pid);
    const pacedFromUs = process.hrtime.bigint() / 1000n;
    const pacedRun = await pacedConversations(base, info.embedKey, pacedTokens, { messages: messagesPerConversation, rampMs: rampSeconds * 1000, thinkMs: [thinkMin * 1000, thinkMax * 1000], seed });
    const paced = summary(pacedRun);
    const cpuPerAnswer = (cpuMs(pid) - cpuBefore) / pacedRun.results.length;
    log(`${conversations} paced conversations: ${paced.text}; Cloop used ${cpuPerAnswer.toFixed(1)} ms of CPU per answer (monotonic µs ${pacedFromUs}–${process.hrtime.bigint() / 1000n})`);

    // 3. The stress figure: the same number at once, with the provider alone at that concurrency as its baseline.
    const direct = await directTtft(providerBase, conversations);
    log(`provider alone, ${conversations} at once: ttft p50 ${percentile(direct, 50).toFixed(1)} ms, p95 ${percentile(direct, 95).toFixed(1)} ms (fixed ${providerTtftMs} ms)`);
    const burstTokens = await pool(Array.from({ length: conversations }, (_, i) => i), 50, () => startSession(base, info.embedKey));
    const burstRun = await burstConversations(base, info.embedKey, burstTokens);
    const burst = summary(burstRun);
    log(`${conversations} conversations in a burst: ${burst.text}`);

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

    // 5. Idle streams: the provider holds every one before its first token. They open over
    // BENCH_IDLE_RAMP_S (idle streams accumulate; the all-at-once burst is step 3's figure), and
    // each stream's 10 s are counted from its own first event. Cloop's own first-token timeout
    // (20 s, then one retry) bounds how long a stream can wait, so the window stays well below it.
    const idleTokens = await pool(Array.from({ length: Math.ceil(idleStreams / 10) }, (_, i) => i), 50, () => startSession(base, info.embedKey));
    const beforeIdle = await heapAfterGc(pid, memoryFile);
    const idleStarted = performance.now();
    const idle: ReturnType<typeof openChat>[] = [];
    const opening = (async () => {
      for (let i = 0; i < idleStreams; i++) {
        idle.push(openChat(base, info.embedKey, idleTokens[i % idleTokens.length]!, { message: `[hold] ${benchQuestions[i % benchQuestions.length]}` }));
        const due = idleStarted + ((i + 1) / idleStreams) * idleRampSeconds * 1000;
        if (due > performance.now()) await sleep(due - performance.now());
      }
    })();
    const idleMs = idleSeconds * 1000;
    let heldMax = 0;
    let rssAtHeldMax = memoryMb(pid, 'VmRSS');
    let whileIdle: NodeJS.MemoryUsage | null = null;
    let heldAtReading = 0;
    for (;;) {
      const { heldNow } = await providerStats();
      if (heldNow > heldMax) [heldMax, rssAtHeldMax] = [heldNow, memoryMb(pid, 'VmRSS')];
      const admitted = idle.length === idleStreams && idle.every((s) => s.result.phaseAt !== null || s.result.closed);
      // What the held streams cost: the server's memory after a GC once all are in, less before they opened.
      if (admitted && !whileIdle) [whileIdle, heldAtReading] = [await heapAfterGc(pid, memoryFile), (await providerStats()).heldNow];
      const lastPhase = Math.max(...idle.map((s) => s.result.phaseAt ?? 0));
      if ((admitted && performance.now() >= lastPhase + idleMs) || performance.now() - idleStarted > 90_000) break;
      await sleep(250);
    }
    await opening;
    whileIdle ??= await heapAfterGc(pid, memoryFile);
    const perStreamKb = (field: keyof NodeJS.MemoryUsage) => (heldAtReading > 0 ? Math.round(((whileIdle![field] - beforeIdle[field]) / heldAtReading / 1024) * 10) / 10 : null);
    const admitSeconds = (Math.max(...idle.map((s) => s.result.phaseAt ?? 0)) - idleStarted) / 1000;
    const stillOpen = idle.filter((s) => s.result.phaseAt !== null && (!s.result.closed || s.result.closedAt! - s.result.phaseAt >= idleMs)).length;
    const idleErrorKinds: Record<string, number> = {};
    for (const s of idle.filter((x) => x.result.closed && (x.result.phaseAt === null || x.result.closedAt! - x.result.phaseAt < idleMs))) {
      const kind = s.result.status !== 200 ? `http_${s.result.status}` : (s.result.error ?? 'closed');
      idleErrorKinds[kind] = (idleErrorKinds[kind] ?? 0) + 1;
    }
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
        `${heldMax} held at once, RSS then ${rssAtHeldMax.toFixed(0)} MB; ${openNow} open at the end; dropped ${JSON.stringify(idleErrorKinds)}; per held stream (${heldAtReading} held) ${perStreamKb('rss')} KB RSS, ${perStreamKb('heapUsed')} KB heap, ${perStreamKb('external')} KB external); upstream released ${released ? `in ${releaseMs} ms` : `NOT within 60 s (${(await providerStats()).heldNow} still held)`}`,
    );
    const idleStreamsRss = rssAtHeldMax;

    const peakRss = memoryMb(pid, 'VmHWM');
    for (const s of servers) log(`${s.name} ${await stopServer(s)}`);
    servers.length = 0;

    return {
      bench: 'chat',
      ttft_added_p50_ms: round1(percentile(paced.added, 50)),
      ttft_added_p95_ms: round1(percentile(paced.added, 95)),
      tokens_per_s: paced.tokensPerS,
      errors: paced.errors + burst.errors + raceErrors,
      error_kinds: paced.kinds,
      burst_ttft_added_p50_ms: round1(percentile(burst.added, 50)),
      burst_ttft_added_p95_ms: round1(percentile(burst.added, 95)),
      burst_tokens_per_s: burst.tokensPerS,
      burst_error_kinds: burst.kinds,
      race_error_kinds: raceErrorKinds,
      peak_rss_mb: round1(peakRss),
      idle_streams: stillOpen,
      idle_streams_rss_mb: round1(idleStreamsRss),
      idle_streams_rss_before_mb: round1(beforeIdle.rss / 1048576),
      idle_streams_dropped: idleErrorKinds,
      idle_streams_ramp_s: idleRampSeconds,
      idle_stream_rss_kb: perStreamKb('rss'),
      idle_stream_heap_kb: perStreamKb('heapUsed'),
      idle_stream_external_kb: perStreamKb('external'),
      budget_overspend_max: round6(Math.max(0, overspendMax)),
      provider_ttft_fixed_ms: providerTtftMs,
      provider_overhead_p50_ms: round1(providerOverheadMs),
      ttft_p50_ms: round1(percentile(paced.ttfts, 50)),
      ttft_p95_ms: round1(percentile(paced.ttfts, 95)),
      cpu_ms_per_answer: round1(cpuPerAnswer),
      ttft_added_p99_ms: round1(percentile(paced.added, 99)),
      ttft_added_max_ms: round1(Math.max(...paced.added)),
      conversations,
      conversations_open_max: pacedRun.openMax,
      answers_streaming_max: pacedRun.streamingMax,
      messages_per_conversation: messagesPerConversation,
      ramp_s: rampSeconds,
      think_s: [thinkMin, thinkMax],
      answers: pacedRun.results.length,
      burst_answers: burstRun.results.length,
      burst_provider_ttft_direct_p50_ms: round1(percentile(direct, 50)),
      burst_provider_ttft_direct_p95_ms: round1(percentile(direct, 95)),
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
      state: redisUrl ? 'redis' : 'memory',
      database: databaseUrl ? 'postgres' : 'pglite',
      duration_s: round1((performance.now() - startedAt) / 1000),
      node: process.version,
      cpus: os.availableParallelism(),
    };
  } finally {
    await Promise.all(servers.map((s) => stopServer(s)));
    await database?.drop().catch((err: Error) => log(`could not drop the bench database: ${err.message}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runBench('bench:chat', main);
