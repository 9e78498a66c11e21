import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { createFetcher, type Fetcher, type FetcherConfig, type Lookup } from './fetcher.ts';

// ---------- helpers ----------

interface TestServer {
  port: number;
  origin: string;
  /** TCP connections accepted (a TLS handshake or a refused-after-connect counts too). */
  readonly connections: number;
  requests: { url: string; method: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function listen(server: Server, requests: TestServer['requests']): Promise<TestServer> {
  let connections = 0;
  server.on('connection', () => connections++);
  server.on('secureConnection', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback HTTP server that records every request. */
function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    res.on('error', () => {});
    handler(req, res);
  });
  return listen(server, requests);
}

/** A resolver that answers every name with the same addresses, counting calls. */
function resolveAllTo(...addresses: string[]): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    calls.push(host);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

const userAgent = 'CloopBot/1.0 (+http://cloop.test/bot)';

function fetcherWith(cfg: Partial<FetcherConfig>): Fetcher {
  return createFetcher({ allowedPorts: [80, 443], allowList: [], userAgent, ...cfg });
}

/** Awaits a promise that must fail with an AppError; returns its code and details. */
async function failure(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, details: err.details as Record<string, unknown> };
  }
  throw new Error('expected the fetch to fail');
}

const refusalReasons = ['scheme', 'port', 'credentials', 'address', 'dns', 'too_many_redirects', 'invalid_url'];

// ---------- 1. the SSRF corpus ----------

const corpusDir = fileURLToPath(new URL('../../../../shared/corpora/ssrf/', import.meta.url));
const corpusFile = join(corpusDir, 'ssrf-urls.txt');

describe.skipIf(!existsSync(corpusFile))('the SSRF corpus: every line is refused before any connection', () => {
  const lines = existsSync(corpusFile) ? readFileSync(corpusFile, 'utf8').split('\n') : [];
  if (lines.at(-1) === '') lines.pop();
  let canary: TestServer;
  let fetcher: Fetcher;
  let rotating: Fetcher;
  const privateAnswers = ['10.0.0.1', '169.254.169.254', '::1', 'fd00:ec2::254', '192.168.1.1', '100.100.100.200', '::ffff:127.0.0.1'];

  beforeAll(async () => {
    canary = await serve((_req, res) => res.end('canary'));
    // Every name rebinds to the canary's address, and the canary's port is an allowed port:
    // any hole in the checks would show up as a connection to the canary.
    fetcher = fetcherWith({ allowedPorts: [80, 443, canary.port], lookup: resolveAllTo('127.0.0.1') });
    rotating = fetcherWith({
      allowedPorts: [80, 443, canary.port],
      lookup: async (host) => {
        const address = privateAnswers[host.length % privateAnswers.length] as string;
        return [{ address, family: address.includes(':') ? 6 : 4 }];
      },
    });
  });
  afterAll(async () => {
    await fetcher.close();
    await rotating.close();
    await canary.close();
  });

  const rows = lines.map((url, i) => ({ name: `line ${i + 1}: ${JSON.stringify(url).slice(0, 90)}`, url }));
  /** The same URL aimed at the canary's port (kept only where it parses as http/https). */
  const retargeted = () =>
    rows.flatMap(({ name, url }) => {
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return [];
        u.port = String(canary.port);
        return [{ name: `${name} → canary port`, url: u.href }];
      } catch {
        return [];
      }
    });

  it('has the 175 corpus lines', () => expect(rows.length).toBe(175));

  it.each(rows)('$name (names resolve to loopback)', async ({ url }) => {
    const { code, details } = await failure(fetcher.fetch(url));
    expect(code).toBe('url_not_allowed');
    expect(refusalReasons).toContain(details.reason);
  });

  it.each(rows)('$name (names resolve to private addresses)', async ({ url }) => {
    const { code } = await failure(rotating.fetch(url));
    expect(code).toBe('url_not_allowed');
  });

  it('refuses every corpus URL aimed at the canary port', async () => {
    const targets = retargeted();
    expect(targets.length).toBeGreaterThan(100);
    for (const { name, url } of targets) {
      const { code } = await failure(fetcher.fetch(url));
      expect(code, name).toBe('url_not_allowed');
    }
  });

  it('never let a single connection reach the canary', () => expect(canary.connections).toBe(0));
});

// ---------- URL rules ----------

describe('URL rules', () => {
  const fetcher = fetcherWith({ lookup: resolveAllTo('93.184.216.34') });
  afterAll(() => fetcher.close());

  const rows: { url: string; reason: string }[] = [
    { url: 'ftp://example.com/', reason: 'scheme' },
    { url: 'file:///etc/passwd', reason: 'scheme' },
    { url: 'javascript:alert(1)', reason: 'scheme' },
    { url: 'data:text/html,hi', reason: 'scheme' },
    { url: 'ws://example.com/', reason: 'scheme' },
    { url: 'http://example.com:22/', reason: 'port' },
    { url: 'http://example.com:8080/', reason: 'port' },
    { url: 'https://example.com:6379/', reason: 'port' },
    { url: 'http://a@b.example/', reason: 'credentials' },
    { url: 'http://user:secret@example.com/', reason: 'credentials' },
    { url: 'https://:secret@example.com/', reason: 'credentials' },
    { url: 'http://', reason: 'invalid_url' },
    { url: 'not a url', reason: 'invalid_url' },
    { url: 'http://[::1/', reason: 'invalid_url' },
    { url: `http://example.com/${'a'.repeat(2030)}`, reason: 'invalid_url' },
    { url: 'http://[::ffff:127.0.0.1]/', reason: 'address' },
    { url: 'http://[::127.0.0.1]/', reason: 'address' },
    { url: 'http://[::ffff:0:7f00:1]/', reason: 'address' },
    { url: 'http://[64:ff9b::a9fe:a9fe]/', reason: 'address' },
    { url: 'http://[64:ff9b:1::a9fe:a9fe]/', reason: 'address' },
    { url: 'http://[2002:a9fe:a9fe::]/', reason: 'address' },
    { url: 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', reason: 'address' },
    { url: 'http://[fe80::1]/', reason: 'address' },
    { url: 'http://[fec0::1]/', reason: 'address' },
    { url: 'http://[ff02::1]/', reason: 'address' },
    { url: 'http://[3fff::1]/', reason: 'address' },
    { url: 'http://[5f00::1]/', reason: 'address' },
    { url: 'http://2130706433/', reason: 'address' },
    { url: 'http://0x7f.1/', reason: 'address' },
    { url: 'http://017700000001/', reason: 'address' },
    { url: 'http://224.0.0.1/', reason: 'address' },
    { url: 'http://255.255.255.255/', reason: 'address' },
    { url: 'http://0.0.0.0/', reason: 'address' },
  ];

  it.each(rows)('$url → $reason', async ({ url, reason }) => {
    const { code, details } = await failure(fetcher.fetch(url));
    expect(code).toBe('url_not_allowed');
    expect(details.reason).toBe(reason);
    expect(details.hop).toBe(0);
    expect(String(details.url)).not.toMatch(/secret|a@b/);
  });

  it('vet() applies the same rules without connecting', async () => {
    await expect(fetcher.vet('http://EXAMPLE.com/a#b')).resolves.toBe('http://example.com/a#b');
    expect((await failure(fetcher.vet('http://169.254.169.254/'))).details.reason).toBe('address');
  });
});

// ---------- 2. DNS: every address is vetted, and the vetted one is the one connected to ----------

describe('DNS resolution', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>${req.headers.host}</p>`);
    });
  });
  afterAll(() => site.close());

  const mixed: { answers: string[] }[] = [
    { answers: ['93.184.216.34', '10.0.0.1'] },
    { answers: ['10.0.0.1', '93.184.216.34'] },
    { answers: ['93.184.216.34', '169.254.169.254'] },
    { answers: ['2606:4700:4700::1111', '::1'] },
    { answers: ['8.8.8.8', '::ffff:10.0.0.1'] },
    { answers: ['1.1.1.1', 'fd00::1'] },
  ];
  it.each(mixed)('refuses a name resolving to $answers (one private address is enough)', async ({ answers }) => {
    const fetcher = fetcherWith({ lookup: resolveAllTo(...answers) });
    const { code, details } = await failure(fetcher.fetch('https://mixed.example/'));
    await fetcher.close();
    expect(code).toBe('url_not_allowed');
    expect(details.reason).toBe('address');
    expect(details.range).toEqual(expect.any(String));
  });

  it.each([
    { name: 'a lookup error', lookup: (async () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' }))) as Lookup },
    { name: 'no answer', lookup: (async () => []) as Lookup },
    { name: 'an answer that is not an IP', lookup: (async () => [{ address: 'evil.example', family: 4 }]) as Lookup },
  ])('reports $name as dns', async ({ lookup }) => {
    const fetcher = fetcherWith({ lookup });
    const { code, details } = await failure(fetcher.fetch('http://nowhere.example/'));
    await fetcher.close();
    expect([code, details.reason]).toEqual(['url_not_allowed', 'dns']);
  });

  it('connects to the vetted address, never to a second answer (DNS rebinding)', async () => {
    let calls = 0;
    const lookup: Lookup = async () => [{ address: calls++ === 0 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    const used: string[] = [];
    const fetcher = fetcherWith({ lookup, allowList: [`127.0.0.1:${site.port}`], onAllowListUse: (u) => used.push(u) });
    const before = site.connections;

    const res = await fetcher.fetch(`http://rebind.test:${site.port}/page`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(`<p>rebind.test:${site.port}</p>`);
    expect(calls).toBe(1);
    expect(site.connections - before).toBe(1);
    expect(used).toEqual([`http://rebind.test:${site.port}/page`]);

    // The second resolution now says 10.0.0.1: refused, and nothing new reaches the server.
    const { details } = await failure(fetcher.fetch(`http://rebind.test:${site.port}/page`));
    expect(details.reason).toBe('port');
    expect(site.connections - before).toBe(1);
    await fetcher.close();
  });

  it('uses the system resolver by default, and the allow-list is off by default', async () => {
    const closed = fetcherWith({ allowedPorts: [80, 443, site.port] });
    expect((await failure(closed.fetch(`http://localhost:${site.port}/`))).details.reason).toBe('address');
    await closed.close();

    const used: string[] = [];
    const open = fetcherWith({ allowList: [`localhost:${site.port}`], onAllowListUse: (u) => used.push(u) });
    expect((await open.fetch(`http://localhost:${site.port}/`)).status).toBe(200);
    expect(used).toEqual([`http://localhost:${site.port}/`]);
    // The entry names one port: another port on the same host stays refused.
    expect((await failure(open.fetch(`http://localhost:${site.port + 1}/`))).details.reason).toBe('port');
    await open.close();
  });

  it('sends the bot headers and the original Host', async () => {
    const fetcher = fetcherWith({ lookup: resolveAllTo('127.0.0.1'), allowList: [`127.0.0.1:${site.port}`] });
    await fetcher.fetch(`http://Docs.Example:${site.port}/x?y=1#frag`, { accept: ['text/html'], headers: { 'If-None-Match': '"v1"', Host: 'evil.example' } });
    const req = site.requests.at(-1);
    expect(req?.url).toBe('/x?y=1');
    expect(req?.headers).toMatchObject({
      host: `docs.example:${site.port}`,
      'user-agent': userAgent,
      'accept-encoding': 'gzip, deflate, br',
      accept: 'text/html',
      'if-none-match': '"v1"',
    });
    await fetcher.close();
  });
});

// ---------- TLS: SNI and certificate checks are for the host name, not the vetted IP ----------

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('TLS to a vetted address', () => {
  let dir: string;
  let server: TestServer;
  const servernames: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloop-tls-'));
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=cloop.test', '-addext', 'subjectAltName=DNS:cloop.test'], { stdio: 'ignore' });
    const key = readFileSync(keyFile);
    const cert = readFileSync(certFile);
    const requests: TestServer['requests'] = [];
    const https = createHttpsServer(
      {
        key,
        cert,
        SNICallback: (name, cb) => {
          servernames.push(name);
          cb(null, createSecureContext({ key, cert }));
        },
      },
      (req, res) => {
        requests.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
        res.end('secret');
      },
    );
    https.on('tlsClientError', () => {});
    server = await listen(https as unknown as Server, requests);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the host name as SNI and refuses a certificate it cannot verify', async () => {
    const fetcher = fetcherWith({ lookup: resolveAllTo('127.0.0.1'), allowList: [`cloop.test:${server.port}`] });
    const { code, details } = await failure(fetcher.fetch(`https://cloop.test:${server.port}/`));
    await fetcher.close();
    expect(code).toBe('fetch_failed');
    expect(details.reason).toBe('network');
    expect(String(details.error)).toMatch(/CERT/);
    expect(servernames).toEqual(['cloop.test']);
    expect(server.requests).toHaveLength(0);
  });
});

// ---------- 3. redirects ----------

describe('redirects', () => {
  let site: TestServer;
  let other: TestServer;
  let canary: TestServer;
  let fetcher: Fetcher;

  beforeAll(async () => {
    canary = await serve((_req, res) => res.end('canary'));
    other = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
    });
    site = await serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const chain = /^\/chain\/(\d+)$/.exec(u.pathname);
      if (u.pathname === '/to') res.writeHead(302, { location: u.searchParams.get('u') ?? '' }).end();
      else if (chain) {
        const n = Number(chain[1]);
        if (n > 0) res.writeHead(302, { location: `/chain/${n - 1}` }).end('moved');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('done');
      } else if (u.pathname === '/relative') res.writeHead(301, { location: 'final?from=relative' }).end();
      else if (u.pathname === '/final') res.writeHead(200, { 'content-type': 'text/html' }).end('final');
      else if (u.pathname === '/echo') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
      else res.writeHead(404).end();
    });
    fetcher = fetcherWith({
      lookup: async (host) => [{ address: host === 'metadata.test' ? '169.254.169.254' : '127.0.0.1', family: 4 }],
      allowList: [`127.0.0.1:${site.port}`, `127.0.0.1:${other.port}`],
    });
  });
  afterAll(async () => {
    await fetcher.close();
    await Promise.all([site.close(), other.close(), canary.close()]);
  });

  const to = (target: string) => `${site.origin}/to?u=${encodeURIComponent(target)}`;
  const refused: { name: string; target: () => string; reason: string }[] = [
    { name: 'cloud metadata', target: () => 'http://169.254.169.254/latest/meta-data/', reason: 'address' },
    { name: 'a name resolving to metadata', target: () => 'http://metadata.test/', reason: 'address' },
    { name: 'loopback on a port that is not allowed', target: () => `http://127.0.0.1:${canary.port}/`, reason: 'port' },
    { name: 'file:', target: () => 'file:///etc/passwd', reason: 'scheme' },
    { name: 'gopher:', target: () => `gopher://127.0.0.1:${site.port}/_x`, reason: 'scheme' },
    { name: 'credentials', target: () => `http://user:secret@127.0.0.1:${site.port}/final`, reason: 'credentials' },
    { name: 'IPv4-mapped loopback', target: () => `http://[::ffff:127.0.0.1]:${site.port}/`, reason: 'port' },
    { name: 'an unparsable Location', target: () => 'http://[::1', reason: 'invalid_url' },
  ];
  it.each(refused)('re-vets each hop: redirect to $name → $reason', async ({ target, reason }) => {
    const { code, details } = await failure(fetcher.fetch(to(target())));
    expect(code).toBe('url_not_allowed');
    expect(details).toMatchObject({ reason, hop: 1, redirectedFrom: to(target()) });
    expect(String(details.url)).not.toContain('secret');
  });

  it('follows 5 redirects and refuses a 6th', async () => {
    const ok = await fetcher.fetch(`${site.origin}/chain/5`);
    expect([ok.status, ok.body.toString(), ok.redirects.length]).toEqual([200, 'done', 5]);
    const { details } = await failure(fetcher.fetch(`${site.origin}/chain/6`));
    expect(details).toMatchObject({ reason: 'too_many_redirects', hop: 5, url: `${site.origin}/chain/1` });
    expect((await failure(fetcher.fetch(`${site.origin}/chain/1`, { maxRedirects: 0 }))).details.reason).toBe('too_many_redirects');
  });

  it('resolves a relative Location against the current URL', async () => {
    const res = await fetcher.fetch(`${site.origin}/relative`);
    expect(res).toMatchObject({ status: 200, url: `${site.origin}/final?from=relative`, redirects: [`${site.origin}/relative`] });
    expect(res.body.toString()).toBe('final');
  });

  it('keeps credentials on the same origin and drops them on another', async () => {
    const headers = { authorization: 'Bearer t', cookie: 'a=b' };
    const same = await fetcher.fetch(to(`${site.origin}/echo`), { headers });
    expect(JSON.parse(same.body.toString())).toMatchObject(headers);
    const cross = JSON.parse((await fetcher.fetch(to(`${other.origin}/`), { headers })).body.toString()) as Record<string, string>;
    expect(cross.authorization).toBeUndefined();
    expect(cross.cookie).toBeUndefined();
  });

  it('never reached the canary', () => expect(canary.connections).toBe(0));
});

// ---------- 4. caps ----------

describe('caps and content checks', () => {
  const mb = 1024 * 1024;
  const zeros = Buffer.alloc(50 * mb);
  const bombs = {
    gzip: gzipSync(zeros, { level: 9 }),
    deflate: deflateSync(zeros, { level: 9 }),
    br: brotliCompressSync(zeros, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }),
  };
  const html = Buffer.from('<html><body>hello, crawler</body></html>');
  const encoded: Record<string, Buffer> = {
    gzip: gzipSync(html),
    deflate: deflateSync(html),
    'deflate-raw': deflateRawSync(html),
    br: brotliCompressSync(html),
  };
  let site: TestServer;
  let fetcher: Fetcher;

  beforeAll(async () => {
    site = await serve((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const [, kind, arg = ''] = path.split('/');
      if (kind === 'big') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 11 * mb });
        res.end(Buffer.alloc(11 * mb, 97));
      } else if (kind === 'big-chunked') {
        res.writeHead(200, { 'content-type': 'text/html' });
        Readable.from((function* () {
          for (let i = 0; i < 176; i++) yield Buffer.alloc(64 * 1024, 97);
        })()).pipe(res);
      } else if (kind === 'bomb') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': arg });
        res.end(bombs[arg as keyof typeof bombs]);
      } else if (kind === 'encoded') {
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': arg === 'deflate-raw' ? 'deflate' : arg });
        res.end(encoded[arg]);
      } else if (kind === 'slow-headers') {
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end('late'), 1500).unref();
      } else if (kind === 'slow-body') {
        res.writeHead(200, { 'content-type': 'text/html' });
        const t = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(t));
      } else if (kind === 'cut') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        setTimeout(() => res.destroy(), 50).unref();
      } else if (kind === 'events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let n = 0;
        const t = setInterval(() => (++n <= 5 ? res.write(`data: ${n}\n\n`) : (clearInterval(t), res.end())), 10);
        res.on('close', () => clearInterval(t));
      } else if (kind === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else if (kind === 'no-type') res.writeHead(200).end('?');
      else if (kind === 'status') res.writeHead(Number(arg), { 'content-type': 'text/html' }).end('status');
      else if (kind === 'cached') {
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
        else res.writeHead(200, { etag: '"v1"', 'content-type': 'text/html' }).end('fresh');
      } else if (kind === 'unknown-encoding') res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'zstd' }).end('x');
      else res.writeHead(404).end();
    });
    fetcher = fetcherWith({ allowList: [`127.0.0.1:${site.port}`] });
  });
  afterAll(async () => {
    await fetcher.close();
    await site.close();
  });

  const url = (p: string) => `${site.origin}${p}`;
  const failures: { name: string; path: string; opts?: Parameters<Fetcher['fetch']>[1]; reason: string; details?: Record<string, unknown> }[] = [
    { name: '11 MB with Content-Length', path: '/big', reason: 'too_large', details: { which: 'wire', limit: 10 * mb } },
    { name: '11 MB chunked', path: '/big-chunked', reason: 'too_large', details: { which: 'wire' } },
    { name: 'gzip bomb (50 MB of zeros)', path: '/bomb/gzip', reason: 'too_large', details: { which: 'decoded', limit: 10 * mb } },
    { name: 'deflate bomb', path: '/bomb/deflate', reason: 'too_large', details: { which: 'decoded' } },
    { name: 'brotli bomb', path: '/bomb/br', reason: 'too_large', details: { which: 'decoded' } },
    { name: 'a bomb under a small cap', path: '/bomb/gzip', opts: { maxBytes: 64 * 1024 }, reason: 'too_large', details: { which: 'decoded', limit: 64 * 1024 } },
    { name: 'slow headers', path: '/slow-headers', opts: { ttfbMs: 200 }, reason: 'timeout', details: { phase: 'headers', limitMs: 200 } },
    { name: 'slow body', path: '/slow-body', opts: { totalMs: 400 }, reason: 'timeout', details: { phase: 'total', limitMs: 400 } },
    { name: 'wrong content type', path: '/json', opts: { accept: ['text/html', 'application/xhtml+xml'] }, reason: 'content_type', details: { contentType: 'application/json' } },
    { name: 'missing content type', path: '/no-type', opts: { accept: ['text/html'] }, reason: 'content_type' },
    { name: '404 with okOnly', path: '/status/404', opts: { okOnly: true }, reason: 'http_status', details: { status: 404 } },
    { name: '500 with okOnly', path: '/status/500', opts: { okOnly: true }, reason: 'http_status', details: { status: 500 } },
    { name: 'an encoding it did not ask for', path: '/unknown-encoding', reason: 'network' },
  ];
  it.each(failures)('$name → $reason', async ({ path, opts, reason, details }) => {
    const started = Date.now();
    const err = await failure(fetcher.fetch(url(path), opts));
    expect(err.code).toBe('fetch_failed');
    expect(err.details).toMatchObject({ reason, url: url(path), hop: 0, ...details });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each(Object.keys(encoded))('decodes %s', async (enc) => {
    const res = await fetcher.fetch(url(`/encoded/${enc}`), { accept: ['text/*'] });
    expect(res.body.equals(html)).toBe(true);
    expect(res.contentType).toBe('text/html');
  });

  it('returns other statuses without okOnly, and 304 with an empty body', async () => {
    expect((await fetcher.fetch(url('/status/404'), { accept: ['text/html'] })).status).toBe(404);
    const fresh = await fetcher.fetch(url('/cached'));
    expect([fresh.status, fresh.body.toString(), fresh.headers.etag]).toEqual([200, 'fresh', '"v1"']);
    const cached = await fetcher.fetch(url('/cached'), { headers: { 'if-none-match': '"v1"' }, okOnly: true });
    expect([cached.status, cached.body.length]).toEqual([304, 0]);
  });

  it('HEAD reads no body, so a large declared length is fine', async () => {
    const res = await fetcher.fetch(url('/big'), { method: 'HEAD' });
    expect([res.status, res.body.length, res.headers['content-length']]).toEqual([200, 0, String(11 * mb)]);
  });

  /** Reads a streamed body to its end; its text, or the AppError it failed with. */
  async function readStream(path: string, opts?: Parameters<Fetcher['stream']>[1]) {
    const res = await fetcher.stream(url(path), opts);
    let text = '';
    try {
      for await (const chunk of res.body) text += chunk.toString();
      return { text };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { text, error: { code: err.code, details: err.details as Record<string, unknown> } };
    }
  }

  it('stream: hands over each chunk as it arrives, to the end of the body', async () => {
    expect(await readStream('/events')).toEqual({ text: [1, 2, 3, 4, 5].map((n) => `data: ${n}\n\n`).join('') });
  });

  it.each([
    { name: 'a body over the cap', path: '/big-chunked', opts: {}, reason: 'too_large', details: { which: 'wire', limit: 10 * mb } },
    { name: 'a small cap', path: '/events', opts: { maxBytes: 20 }, reason: 'too_large', details: { limit: 20 } },
    { name: 'a connection cut midway', path: '/cut', opts: {}, reason: 'network' },
    { name: 'a body slower than totalMs', path: '/slow-body', opts: { totalMs: 300 }, reason: 'timeout', details: { phase: 'total' } },
  ])('stream: $name → $reason', async ({ path, opts, reason, details }) => {
    const { error } = await readStream(path, opts);
    expect(error?.code).toBe('fetch_failed');
    expect(error?.details).toMatchObject({ reason, ...details });
  });

  it("stream: the caller's abort ends a pending read with the caller's reason, and stopping early closes the body", async () => {
    const ac = new AbortController();
    const res = await fetcher.stream(url('/slow-body'), { signal: ac.signal });
    const chunks = res.body[Symbol.asyncIterator]();
    expect((await chunks.next()).done).toBe(false);
    setTimeout(() => ac.abort(new Error('visitor left')), 50);
    const drain = async () => {
      while (!(await chunks.next()).done);
    };
    await expect(drain()).rejects.toThrow('visitor left');
    const early = await fetcher.stream(url('/events'));
    const it = early.body[Symbol.asyncIterator]();
    expect((await it.next()).value.toString()).toBe('data: 1\n\n');
    await it.return?.();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("passes the caller's abort through as an abort", async () => {
    const ac = new AbortController();
    const p = fetcher.fetch(url('/slow-headers'), { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('caller gave up')), 50);
    await expect(p).rejects.toThrow('caller gave up');
  });
});
