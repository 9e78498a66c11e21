import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { askRunningServer } from '../server/cli/control-socket.ts';
import { openDatabase } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { normalizeUrl } from '../server/knowledge/crawl/urls.ts';
import { createFetcher } from '../server/platform/fetch/fetcher.ts';
import { startStaticSite, type StaticSite } from '../test/static-site.ts';
import { benchLog, runBench } from './run.ts';

// `npm run bench:ingest`: the real server (server/main.ts, embedded PGlite in a fresh data dir, local
// embedder) in a child process crawls the help center served on loopback, then indexes the 872-page
// DOCX. Baseline in the same run: the same fetcher fetching every sitemap page with the crawl's
// concurrency and nothing else. One JSON line on stdout; progress on stderr.
// Knobs: BENCH_BASELINE_ROUNDS (default 3), BENCH_CPU_PROF=<dir> (.cpuprofile of the server child),
// BENCH_INGEST_DROP_HNSW=1 (experiment: migrate the data dir first and drop the HNSW index, which sites
// below retrieval.ts exactScanBelow never use, to measure what its upkeep costs the embedded database).

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const siteRoot = path.resolve(repoRoot, '../shared/corpora/site/html');
const docxFile = path.resolve(repoRoot, '../shared/corpora/docs/handbook-872p.docx');
const sitemapHost = 'http://localhost:8080';
const crawlConcurrency = 4; // the server's CRAWL_CONCURRENCY default, used by the baseline too
const baselineRounds = Number(process.env.BENCH_BASELINE_ROUNDS ?? 3);
const cpuProfDir = process.env.BENCH_CPU_PROF;
const dropHnsw = process.env.BENCH_INGEST_DROP_HNSW === '1';

const log = benchLog('bench:ingest');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** VmRSS and VmHWM (peak) of one process in MB, from /proc. */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const clockTicks = 100; // USER_HZ on Linux

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** A port nobody listens on right now (the child binds it a moment later). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The sitemap's page URLs as the crawler spells them, on the loopback origin. */
function sitemapUrls(origin: string): string[] {
  const xml = readFileSync(path.join(siteRoot, 'sitemap.xml'), 'utf8');
  return [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => normalizeUrl(m[1]!.replace(sitemapHost, origin))!);
}

/** Baseline: fetch every sitemap page through the SSRF-safe fetcher with the crawl's concurrency; no parsing, no storage. */
async function fetchOnly(site: StaticSite, urls: string[]): Promise<{ seconds: number; bytes: number }> {
  const fetcher = createFetcher({ allowedPorts: [80, 443], allowList: [`127.0.0.1:${site.port}`], userAgent: 'CloopBot/1.0 (+bench)' });
  try {
    const queue = [...urls];
    let bytes = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: crawlConcurrency }, async () => {
        for (let url = queue.shift(); url; url = queue.shift()) {
          const res = await fetcher.fetch(url, { accept: ['text/html'] });
          if (res.status !== 200) throw new Error(`baseline: ${url} answered ${res.status}`);
          bytes += res.body.length;
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, bytes };
  } finally {
    await fetcher.close();
  }
}

/** A tiny client for the child's dashboard API. */
function apiClient(base: string) {
  let token = '';
  const call = async <T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
    const isForm = body instanceof FormData;
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  return { call, setToken: (t: string) => (token = t) };
}

type Source = { id: string; status: string; error: string | null; progress: Record<string, unknown>; lastSyncAt: string | null };

/** Polls a source until it finishes; returns it with when it started running (first non-queued poll). */
async function waitFinished(api: ReturnType<typeof apiClient>, siteId: string, sourceId: string, onTick: () => void, timeoutMs = 150_000) {
  const deadline = performance.now() + timeoutMs;
  let runningAt: number | null = null;
  for (;;) {
    const s = await api.call<Source>('GET', `/api/sites/${siteId}/sources/${sourceId}`);
    onTick();
    if (runningAt === null && s.status !== 'queued') runningAt = performance.now();
    if (['ready', 'failed', 'cancelled'].includes(s.status)) return { source: s, runningAt: runningAt ?? performance.now(), doneAt: performance.now() };
    if (performance.now() > deadline) throw new Error(`source ${sourceId} not finished within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

let child: ChildProcess | null = null;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloop-bench-ingest-'));
process.once('SIGINT', () => {
  child?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

async function main(): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const loadBefore = os.loadavg();
  const site = await startStaticSite({ root: siteRoot, rewriteOrigin: sitemapHost });
  try {
    const urls = sitemapUrls(site.origin);
    log(`static site on ${site.origin}: ${urls.length} sitemap pages`);

    // 1. Baseline: raw fetching (the first round also warms the OS file cache for the crawl).
    const rounds: number[] = [];
    let baselineBytes = 0;
    for (let r = 0; r < baselineRounds; r++) {
      const b = await fetchOnly(site, urls);
      rounds.push(b.seconds);
      baselineBytes = b.bytes;
    }
    const baselineSeconds = [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
    log(`baseline fetch-only: ${rounds.map((s) => s.toFixed(2)).join(' / ')} s for ${urls.length} pages (${round1(baselineBytes / 1024 / 1024)} MB)`);

    // 2. The real server, as `npm start` runs it, in a fresh data dir.
    const port = await freePort();
    const dataDir = path.join(tmp, 'data');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.homedir(),
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      CLOOP_DATA_DIR: dataDir,
      CLOOP_SECRET: randomBytes(32).toString('base64url'),
      FETCH_ALLOW_LIST: `127.0.0.1:${site.port}`,
      CRAWL_DELAY_MS: '0',
      RATE_LIMIT_ADMIN: '100000/60',
      LOG_LEVEL: 'warn',
      LOG_FILE: path.join(tmp, 'cloop.log'),
    };
    if (dropHnsw) {
      const prepared = await openDatabase({ kind: 'pglite', dir: path.join(dataDir, 'pglite') });
      await prepared.rawTransaction((tx) => tx.query('drop index chunks_embedding'));
      await prepared.close();
      log('experiment: HNSW index dropped before the server starts');
    }
    const spawnedAt = performance.now();
    const profArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : [];
    child = spawn(process.execPath, [...profArgs, '--import', 'tsx', path.join(repoRoot, 'server', 'main.ts')], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = once(child, 'exit');
    const pid = child.pid!;
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
      const ready = await fetch(`${base}/readyz`).catch(() => null);
      if (ready?.status === 200) break;
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      if (performance.now() - spawnedAt > 60_000) throw new Error('server not ready within 60 s');
      await sleep(100);
    }
    log(`server ready in ${((performance.now() - spawnedAt) / 1000).toFixed(1)} s (pid ${pid}, ${Math.round(memoryMb(pid).rss)} MB)`);

    // 3. Sign in with a link from the running server (signinLinkFor behind the CLI's control socket), business tier, one site.
    const api = apiClient(base);
    const link = await askRunningServer(dataDir, { cmd: 'signin-link', email: 'bench@example.com' });
    const signinToken = String(link?.url ?? '').split('#signin=')[1];
    if (!signinToken) throw new Error(`no sign-in link: ${JSON.stringify(link)}`);
    const session = await api.call<{ accessToken: string; tenantId: string }>('POST', '/api/auth/signin-link', { token: signinToken });
    api.setToken(session.accessToken);
    await api.call('PUT', '/api/tenant/tier', { tier: 'business' });
    const siteId = (await api.call<{ id: string }>('POST', '/api/sites', { name: 'Help center' })).id;

    // 4. The crawl.
    let peakDuringCrawl = 0;
    const sample = () => (peakDuringCrawl = Math.max(peakDuringCrawl, memoryMb(pid).rss));
    const crawlCpuStart = cpuSeconds(pid);
    const crawlStart = performance.now();
    const created = await api.call<Source>('POST', `/api/sites/${siteId}/sources`, { kind: 'website', url: `${site.origin}/` });
    const crawl = await waitFinished(api, siteId, created.id, sample);
    if (crawl.source.status !== 'ready') throw new Error(`crawl ended ${crawl.source.status}: ${crawl.source.error}`);
    const crawlWall = (crawl.doneAt - crawlStart) / 1000;
    const crawlRunning = (crawl.doneAt - crawl.runningAt) / 1000;
    const progress = crawl.source.progress as { indexed?: number; chunks?: number; fetched?: number; skipped?: number; found?: number };
    const crawlPeak = memoryMb(pid).peak;
    const crawlCpu = cpuSeconds(pid) - crawlCpuStart;
    log(`crawl: ${crawlWall.toFixed(1)} s wall (${crawlRunning.toFixed(1)} s running, ${crawlCpu.toFixed(1)} s server CPU): ${JSON.stringify({ ...progress, errors: undefined })}`);

    // 5. The 872-page DOCX: upload to ready.
    const form = new FormData();
    form.append('file', new Blob([readFileSync(docxFile)], { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }), path.basename(docxFile));
    const docxCpuStart = cpuSeconds(pid);
    const uploadStart = performance.now();
    const uploaded = await api.call<Source>('POST', `/api/sites/${siteId}/sources/upload`, form);
    const docx = await waitFinished(api, siteId, uploaded.id, sample);
    if (docx.source.status !== 'ready') throw new Error(`docx ended ${docx.source.status}: ${docx.source.error}`);
    const docxSeconds = (docx.doneAt - uploadStart) / 1000;
    const docxCpu = cpuSeconds(pid) - docxCpuStart;
    const docxChunks = Number((docx.source.progress as { chunks?: number }).chunks ?? 0);
    log(`docx: ready in ${docxSeconds.toFixed(1)} s (${((docx.doneAt - docx.runningAt) / 1000).toFixed(1)} s running, ${docxCpu.toFixed(1)} s server CPU), ${docxChunks} chunks`);
    const finalPeak = memoryMb(pid).peak;

    // 6. Stop the server, then read the index it left (the data dir has one owner at a time).
    child.kill('SIGTERM');
    await exited;
    child = null;
    const database = await openDatabase({ kind: 'pglite', dir: path.join(dataDir, 'pglite') });
    const index = await withTenant(database.db, session.tenantId, async (tx) => {
      const docs = await tx.selectFrom('documents').select(['url', 'status', 'chunk_count']).where('site_id', '=', siteId).where('source_id', '=', created.id).execute();
      const sameOrdinal = await sql<{ n: number }>`select count(*)::int as n from (select 1 from chunks where site_id = ${siteId} group by document_id, ordinal having count(*) > 1) d`.execute(tx);
      const sameHash = await sql<{ n: number }>`select coalesce(sum(n - 1), 0)::int as n from (select count(*) as n from documents where site_id = ${siteId} and status = 'indexed' group by content_hash having count(*) > 1) d`.execute(tx);
      const chunks = await sql<{ n: number }>`select count(*)::int as n from chunks c join documents d on d.id = c.document_id where d.source_id = ${created.id}`.execute(tx);
      return { docs, sameOrdinal: sameOrdinal.rows[0]!.n, sameHash: sameHash.rows[0]!.n, crawlChunks: chunks.rows[0]!.n };
    });
    await database.close();

    const indexed = new Set(index.docs.filter((d) => d.status === 'indexed').map((d) => d.url));
    const missing = urls.filter((u) => !indexed.has(u));
    if (missing.length) log(`sitemap pages not indexed (${missing.length}): ${missing.slice(0, 10).join(' ')}`);
    const pagesIndexed = urls.length - missing.length;
    const loadAfter = os.loadavg();
    return {
      bench: 'ingest',
      ...(dropHnsw ? { experiment: 'no_hnsw_index' } : {}),
      pages_indexed: pagesIndexed,
      sitemap_pages: urls.length,
      documents_indexed: indexed.size,
      pages_fetched: progress.fetched ?? null,
      chunks: index.crawlChunks,
      pages_per_s: round1(pagesIndexed / crawlWall),
      chunks_per_s: round1(index.crawlChunks / crawlWall),
      crawl_wall_s: round2(crawlWall),
      crawl_running_s: round2(crawlRunning),
      crawl_cpu_s: round2(crawlCpu),
      pages_per_cpu_s: round1(pagesIndexed / crawlCpu),
      duplicates: index.sameOrdinal + index.sameHash,
      duplicate_chunk_ordinals: index.sameOrdinal,
      duplicate_content_hashes: index.sameHash,
      baseline_fetch_s: round2(baselineSeconds),
      baseline_pages_per_s: round1(urls.length / baselineSeconds),
      overhead_ratio: round1(crawlWall / baselineSeconds),
      docx_ready_s: round2(docxSeconds),
      docx_chunks: docxChunks,
      docx_cpu_s: round2(docxCpu),
      peak_rss_mb: Math.round(finalPeak),
      crawl_peak_rss_mb: Math.round(Math.max(crawlPeak, peakDuringCrawl)),
      wall_s: round1((performance.now() - startedAt) / 1000),
      loadavg_before: loadBefore.map(round2),
      loadavg_after: loadAfter.map(round2),
      cpus: os.availableParallelism(),
      node: process.version,
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      await gone;
    }
    await site.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runBench('bench:ingest', main);
