import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { prepareTemplate } from '../server/db/database.ts';
import { freshDatabase } from './chat-load.ts';
import { spawnServer, stopServer, type Server } from './child.ts';
import { benchLog, runBench } from './run.ts';

// `npm run bench:http`: Cloop's full hook chain on GET /healthz against a bare Fastify hello-world and a
// "standard stack" (helmet + pino to a file), each server in its own process, measured in interleaved
// rounds. Prints one JSON line on stdout; progress goes to stderr.
// Knobs: BENCH_ROUNDS, BENCH_ROUND_S, BENCH_CLOOP_STATE=redis (production config with REDIS_URL),
// BENCH_CLOOP_CPU_PROF=<dir> (writes a .cpuprofile of the Cloop child on exit), BENCH_DATABASE_URL
// (+ BENCH_REDIS_URL): also start-up and idle memory of the production configuration (server_*).

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const roundSeconds = Number(process.env.BENCH_ROUND_S ?? 5);
const warmupSeconds = 1;
const idleMs = 2_000;
const connections = 50;
const pipelining = 1;
const cloopState = process.env.BENCH_CLOOP_STATE === 'redis' ? 'redis' : 'memory';
const cpuProfDir = process.env.BENCH_CLOOP_CPU_PROF;

const log = benchLog('bench:http');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** One request without keep-alive (probes must not hold sockets open during the load). */
function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    const headers = { ...opts.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: false, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url} timed out`))).on('error', reject);
    req.end(body);
  });
}
const get = (url: string) => call(url);

/** Signs in with the link the server wrote (as a person would with the one `npm start` prints) and loads two API pages. */
async function signedInRequests(base: string, linkFile: string): Promise<number> {
  for (let waited = 0; !existsSync(linkFile); waited += 50) {
    if (waited > 30_000) throw new Error('cloop: no sign-in link within 30 s');
    await sleep(50);
  }
  const token = readFileSync(linkFile, 'utf8').split('#signin=')[1];
  const signin = await call(`${base}/api/auth/signin-link`, { method: 'POST', json: { token } });
  if (signin.status !== 200) throw new Error(`cloop: sign-in answered ${signin.status} ${signin.body}`);
  const authorization = `Bearer ${(JSON.parse(signin.body) as { accessToken: string }).accessToken}`;
  for (const page of ['/api/me', '/api/sites']) {
    const res = await call(`${base}${page}`, { headers: { authorization } });
    if (res.status !== 200) throw new Error(`cloop: GET ${page} answered ${res.status} ${res.body}`);
  }
  return 3;
}

/** Resident memory of one process, from /proc (the pid is the node server itself, not a wrapper). */
function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

function fileMb(file: string): number {
  try {
    return statSync(file).size / (1024 * 1024);
  } catch {
    return 0;
  }
}

interface Sample {
  rps: number;
  p99: number;
  requests: number;
  /** Server CPU per answered request: steadier than req/s when other work shares the machine. */
  cpuUsPerRequest: number;
}

/** Runs one autocannon pass; any socket error, timeout or (for Cloop) non-2xx answer fails the benchmark. */
async function load(server: Server, seconds: number): Promise<Sample> {
  const pid = server.child.pid as number;
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({ url: server.url, connections, pipelining, duration: seconds });
  const cpuUsed = cpuMs(pid) - cpuBefore;
  const problems = [
    result.errors && `${result.errors} errors`,
    result.timeouts && `${result.timeouts} timeouts`,
    result.non2xx && `${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)})`,
  ].filter(Boolean);
  if (problems.length) throw new Error(`${server.name}: ${problems.join(', ')}`);
  if (result['2xx'] === 0) throw new Error(`${server.name}: no responses`);
  return { rps: result.requests.average, p99: result.latency.p99, requests: result['2xx'], cpuUsPerRequest: (cpuUsed * 1000) / result['2xx'] };
}

/** Checks that a response really went through the stack being measured. */
function expectHeaders(name: string, headers: http.IncomingHttpHeaders, required: string[]): void {
  const missing = required.filter((h) => headers[h] === undefined);
  if (missing.length) throw new Error(`${name}: response lacks ${missing.join(', ')}`);
}

const servers: Server[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloop-bench-'));

// Ctrl-C: no child or temp dir is left behind.
process.once('SIGINT', () => {
  for (const s of servers) s.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
});

async function main(): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const cloopLog = path.join(tmp, 'cloop.log');
  const stdLog = path.join(tmp, 'std.log');
  const spawn = (name: string, file: string, env: Record<string, string>, urlPath: string, nodeArgs: string[] = []) => {
    // Cloop runs as `npm start` runs it: the bundle from `npm run build:server`, on node alone.
    const built = file.endsWith('.js');
    const server = spawnServer({ name, file: built ? path.join(repoRoot, 'dist', 'server', file) : path.join(repoRoot, 'bench', 'servers', file), cwd: repoRoot, env, urlPath, nodeArgs, tsx: !built });
    servers.push(server);
    return server;
  };

  /** Spawns a Cloop server and waits for its /readyz: seconds (wall and CPU) from spawn to ready. */
  const startCloop = async (name: string, env: Record<string, string>, nodeArgs: string[] = []) => {
    const spawnedAt = performance.now();
    const server = spawn(name, 'bench-cloop.js', env, '/healthz', nodeArgs);
    const port = await server.port;
    for (;;) {
      const ready = await get(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      if (ready?.status === 200) break;
      if (performance.now() - spawnedAt > 60_000) throw new Error(`${name}: /readyz not 200 within 60 s (last: ${ready?.status ?? 'no answer'})`);
      await sleep(50);
    }
    const readySeconds = (performance.now() - spawnedAt) / 1000;
    // CPU used to get ready: steadier than the wall clock when other work shares the machine.
    const readyCpuSeconds = cpuMs(server.child.pid as number) / 1000;
    log(`${name} ready in ${readySeconds.toFixed(2)} s (${readyCpuSeconds.toFixed(2)} s CPU)`);
    return { server, readySeconds, readyCpuSeconds };
  };

  try {
    // Every child runs with NODE_ENV=production and no inherited NODE_OPTIONS or CLOOP_ settings.
    const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), NODE_ENV: 'production' };
    const cloopEnv: Record<string, string> = {
      ...baseEnv,
      // Production requires REDIS_URL; with the in-process store the config runs as development,
      // which changes nothing on the /healthz path (config.env gates start-up checks and sign-in/site rules).
      ...(cloopState === 'redis' ? { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : { BENCH_CONFIG_NODE_ENV: 'development' }),
      HOST: '127.0.0.1',
      PORT: '0',
      PUBLIC_URL: 'https://cloop.example',
      CLOOP_DATA_DIR: path.join(tmp, 'data'),
      CLOOP_ALLOW_EMBEDDED_DB: 'true',
      CLOOP_SECRET: randomBytes(32).toString('base64url'),
      RATE_LIMIT_PUBLIC: '1000000000/60',
      LOG_LEVEL: 'info',
      LOG_FILE: cloopLog,
    };

    // 1. Start on an empty data dir, then idle memory after a sign-in — alone on the machine. As after
    // `npm start`'s prestart, the embedded database's template exists (built here if missing, untimed).
    await prepareTemplate();
    const signinFile = path.join(tmp, 'signin-link');
    cloopEnv.BENCH_SIGNIN_FILE = signinFile;
    // The bundle is built first, as `npm start`'s prestart does, and timed on its own: start-up is
    // what follows, from spawning the server process to its first 200 on /readyz.
    const builtAt = performance.now();
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-server.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error('npm run build:server failed');
    const buildSeconds = (performance.now() - builtAt) / 1000;
    const started = await startCloop('cloop', cloopEnv, cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []);
    const { server: cloop, readySeconds, readyCpuSeconds } = started;
    // Sign-in links are off in production (the Redis variant): idle memory is then read without requests.
    const signedInRequestCount = cloopState === 'redis' ? 0 : await signedInRequests(`http://127.0.0.1:${await cloop.port}`, signinFile);
    await sleep(idleMs);
    const idleRss = rssMb(cloop.child.pid as number);

    const health = await get(cloop.url);
    if (health.status !== 200) throw new Error(`cloop: GET /healthz answered ${health.status}`);
    expectHeaders('cloop', health.headers, ['strict-transport-security', 'content-security-policy', 'x-request-id', 'ratelimit-limit']);

    // 2. The baselines.
    const bare = spawn('bare', 'bare.ts', baseEnv, '/');
    const standard = spawn('standard', 'standard.ts', { ...baseEnv, BENCH_LOG_FILE: stdLog }, '/');
    await Promise.all([bare.port, standard.port]);
    for (const s of [bare, standard]) {
      const res = await get(s.url);
      if (res.status !== 200 || res.body !== '{"hello":"world"}') throw new Error(`${s.name}: unexpected answer ${res.status} ${res.body}`);
    }
    expectHeaders('standard', (await get(standard.url)).headers, ['strict-transport-security', 'content-security-policy']);

    // 3. Warm-up, then interleaved rounds; the starting server rotates so none always runs first.
    const order = [cloop, bare, standard];
    for (const s of order) await load(s, warmupSeconds);
    const samples = new Map<Server, Sample[]>(order.map((s) => [s, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < order.length; i++) {
        const s = order[(r + i) % order.length] as Server;
        const sample = await load(s, roundSeconds);
        samples.get(s)?.push(sample);
        log(`round ${r + 1}/${rounds} ${s.name}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms, ${sample.cpuUsPerRequest.toFixed(1)} µs CPU/req`);
      }
    }
    const loadedRss = rssMb(cloop.child.pid as number);

    for (const s of servers) log(`${s.name} ${await stopServer(s)}`);
    servers.length = 0;

    // 4. With BENCH_DATABASE_URL (+ BENCH_REDIS_URL): the production configuration — PostgreSQL
    // (a fresh, empty database: start-up includes its migrations) and Redis instead of the embedded
    // engine and state — started alone, then its idle memory after a few requests.
    let serverMode: Record<string, number> = {};
    if (process.env.BENCH_DATABASE_URL) {
      const database = await freshDatabase(process.env.BENCH_DATABASE_URL);
      try {
        const prodEnv: Record<string, string> = { ...cloopEnv, DATABASE_URL: database.url, REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_FILE: path.join(tmp, 'cloop-server.log') };
        for (const key of ['BENCH_CONFIG_NODE_ENV', 'CLOOP_ALLOW_EMBEDDED_DB', 'BENCH_SIGNIN_FILE']) delete prodEnv[key];
        const prod = await startCloop('cloop-server', prodEnv);
        for (const page of ['/readyz', '/healthz', '/api/auth/providers']) {
          const res = await get(`http://127.0.0.1:${await prod.server.port}${page}`);
          if (res.status !== 200) throw new Error(`cloop-server: GET ${page} answered ${res.status}`);
        }
        await sleep(idleMs);
        serverMode = { server_ready_s: round3(prod.readySeconds), server_ready_cpu_s: round3(prod.readyCpuSeconds), server_idle_rss_mb: round1(rssMb(prod.server.child.pid as number)) };
        log(`cloop-server ${await stopServer(prod.server)}`);
        servers.length = 0;
      } finally {
        await database.drop();
      }
    }

    const rps = (s: Server) => median((samples.get(s) ?? []).map((x) => x.rps));
    const p99 = (s: Server) => median((samples.get(s) ?? []).map((x) => x.p99));
    const cpu = (s: Server) => round1(median((samples.get(s) ?? []).map((x) => x.cpuUsPerRequest)));
    const [cloopRps, bareRps, standardRps] = [rps(cloop), rps(bare), rps(standard)];
    return {
      bench: 'http',
      cloop_rps: Math.round(cloopRps),
      bare_rps: Math.round(bareRps),
      standard_rps: Math.round(standardRps),
      ratio: round3(cloopRps / bareRps),
      standard_ratio: round3(standardRps / bareRps),
      cloop_vs_standard: round3(cloopRps / standardRps),
      cloop_p99_ms: p99(cloop),
      bare_p99_ms: p99(bare),
      standard_p99_ms: p99(standard),
      cloop_cpu_us_per_req: cpu(cloop),
      bare_cpu_us_per_req: cpu(bare),
      standard_cpu_us_per_req: cpu(standard),
      ready_s: round3(readySeconds),
      build_s: round3(buildSeconds),
      ready_cpu_s: round3(readyCpuSeconds),
      idle_rss_mb: round1(idleRss),
      idle_after_requests: signedInRequestCount,
      ...serverMode,
      loaded_rss_mb: round1(loadedRss),
      cloop_rps_rounds: (samples.get(cloop) ?? []).map((x) => Math.round(x.rps)),
      bare_rps_rounds: (samples.get(bare) ?? []).map((x) => Math.round(x.rps)),
      standard_rps_rounds: (samples.get(standard) ?? []).map((x) => Math.round(x.rps)),
      cloop_state: cloopState,
      cloop_config_env: cloopState === 'redis' ? 'production' : 'development',
      cloop_log_mb: round1(fileMb(cloopLog)),
      standard_log_mb: round1(fileMb(stdLog)),
      rounds,
      round_s: roundSeconds,
      connections,
      pipelining,
      duration_s: round1((performance.now() - startedAt) / 1000),
      node: process.version,
      cpus: os.availableParallelism(),
    };
  } finally {
    await Promise.all(servers.map(stopServer));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runBench('bench:http', main);
