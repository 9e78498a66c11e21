import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type InjectOptions } from 'fastify';
import type { Database } from '../db/database.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { requireRateTier } from './rate-limit.ts';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** A test app with two extra routes that only tests register: a JSON echo and a route that fails. */
async function appWithTestRoutes(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await buildTestApp(database, env);
  t.app.post('/test/echo', { config: { rateTier: 'public' } }, async (request) => ({ got: request.body }));
  t.app.get('/test/explode', { config: { rateTier: 'public' } }, async () => {
    throw new Error('password=hunter2 at db.internal:5432');
  });
  return t;
}

describe('every response', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWithTestRoutes();
  });
  afterAll(() => t.close());

  it('carries security headers and a request id, and no version disclosure', async () => {
    const a = await t.app.inject({ method: 'GET', url: '/healthz' });
    const b = await t.app.inject({ method: 'GET', url: '/no/such/route' });
    for (const res of [a, b]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.server).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
      // http:// public URL: no HSTS
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    expect(b.json().error.requestId).toBe(b.headers['x-request-id']);
  });

  it('ignores a request id sent by the client', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'forged' } });
    expect(res.headers['x-request-id']).not.toBe('forged');
  });
});

describe('HSTS', () => {
  it('is sent when the public URL is https', async () => {
    const t = await buildTestApp(database, { PUBLIC_URL: 'https://cloop.example' });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    } finally {
      await t.close();
    }
  });
});

describe('health and security.txt', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(database, { SECURITY_CONTACT: 'mailto:sec@cloop.example', SECURITY_TXT_EXPIRES: '2027-06-01T00:00:00.000Z' });
  });
  afterAll(() => t.close());

  it('answers /healthz and /readyz', async () => {
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ database: 'ok', state: 'ok' });
  });

  it('serves RFC 9116 security.txt from config', async () => {
    const res = await t.app.inject({ url: '/.well-known/security.txt' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('Contact: mailto:sec@cloop.example');
    expect(res.body).toContain('Expires: 2027-06-01T00:00:00.000Z');
  });
});

describe('bad input gets the error shape and the right status', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWithTestRoutes({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t.close());

  const json = { 'content-type': 'application/json' };
  const cases: { name: string; req: InjectOptions; status: number; code: string }[] = [
    { name: 'malformed JSON', req: { method: 'POST', url: '/test/echo', headers: json, payload: '{"a":' }, status: 400, code: 'invalid_json' },
    { name: 'empty JSON body', req: { method: 'POST', url: '/test/echo', headers: json, payload: '' }, status: 400, code: 'invalid_json' },
    { name: 'prototype poisoning', req: { method: 'POST', url: '/test/echo', headers: json, payload: '{"__proto__":{"admin":true}}' }, status: 400, code: 'invalid_json' },
    { name: 'wrong content type', req: { method: 'POST', url: '/test/echo', headers: { 'content-type': 'text/plain' }, payload: 'hi' }, status: 415, code: 'unsupported_media_type' },
    { name: 'form content type', req: { method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' }, status: 415, code: 'unsupported_media_type' },
    { name: 'body over the limit', req: { method: 'POST', url: '/test/echo', headers: json, payload: JSON.stringify({ a: 'x'.repeat(4096) }) }, status: 413, code: 'payload_too_large' },
    { name: 'unknown route', req: { method: 'GET', url: '/api/nothing-here' }, status: 404, code: 'route_not_found' },
    { name: 'wrong method', req: { method: 'DELETE', url: '/healthz' }, status: 405, code: 'method_not_allowed' },
    { name: 'unknown error', req: { method: 'GET', url: '/test/explode' }, status: 500, code: 'internal' },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const res = await t.app.inject(c.req);
      expect(res.statusCode).toBe(c.status);
      const body = res.json();
      expect(body).toEqual({ error: { code: c.code, message: expect.any(String), requestId: res.headers['x-request-id'] } });
      expect(res.body).not.toContain('hunter2');
      expect(res.body).not.toContain('db.internal');
    });
  }

  it('names the allowed methods on 405', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/healthz' });
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('accepts a valid body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', headers: json, payload: '{"a":1}' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ got: { a: 1 } });
  });

  it('keeps serving after every bad request', async () => {
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('rate limiting', () => {
  it('is exact under 500 concurrent requests against a limit of 100', async () => {
    const t = await buildTestApp(database, { RATE_LIMIT_PUBLIC: '100/60' });
    try {
      const results = await Promise.all(Array.from({ length: 500 }, () => t.app.inject({ url: '/healthz' })));
      const ok = results.filter((r) => r.statusCode === 200);
      const limited = results.filter((r) => r.statusCode === 429);
      expect(ok).toHaveLength(100);
      expect(limited).toHaveLength(400);
      const retryAfter = Number(limited[0]!.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited[0]!.json().error.code).toBe('rate_limited');
    } finally {
      await t.close();
    }
  });

  it('ignores a spoofed X-Forwarded-For from an untrusted peer', async () => {
    const t = await buildTestApp(database, { RATE_LIMIT_PUBLIC: '5/60' });
    try {
      const statuses = [];
      for (let i = 0; i < 10; i++) {
        const res = await t.app.inject({ url: '/healthz', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
        statuses.push(res.statusCode);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    } finally {
      await t.close();
    }
  });

  it('honours X-Forwarded-For from a trusted proxy', async () => {
    const t = await buildTestApp(database, { RATE_LIMIT_PUBLIC: '5/60', TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const statuses = [];
      for (let i = 0; i < 10; i++) {
        const res = await t.app.inject({ url: '/healthz', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
        statuses.push(res.statusCode);
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      // One client behind the proxy is still limited.
      const same = [];
      for (let i = 0; i < 7; i++) {
        same.push((await t.app.inject({ url: '/healthz', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.7' } })).statusCode);
      }
      expect(same.filter((s) => s === 429).length).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('refuses to register a route without a rate-limit tier', async () => {
    const app = Fastify();
    app.addHook('onRoute', requireRateTier);
    expect(() => app.get('/untiered', async () => 'x')).toThrow(/rateTier/);
    await app.close();
  });

  it('every route of the app declares a tier', async () => {
    const t = await buildTestApp(database);
    try {
      await t.app.ready();
      const urls = t.app.routeTable.map((r) => `${r.method} ${r.url}`);
      expect(urls).toEqual(expect.arrayContaining(['GET /healthz', 'GET /readyz', 'GET /.well-known/security.txt']));
      for (const route of t.app.routeTable) expect(['chat', 'auth', 'admin', 'public']).toContain(route.tier);
    } finally {
      await t.close();
    }
  });
});

describe('logs', () => {
  it('never contain credentials, cookies or secret query values', async () => {
    const t = await appWithTestRoutes();
    try {
      await t.app.inject({
        url: '/healthz?token=tok-SECRET-1&code=code-SECRET-2&state=state-SECRET-3&page=2',
        headers: { authorization: 'Bearer bearer-SECRET-4', cookie: 'sid=cookie-SECRET-5' },
      });
      await t.app.inject({ url: '/test/explode?access_token=tok-SECRET-6' });
      const text = t.logs.text();
      expect(text).toContain('/healthz?token=[REDACTED]');
      expect(text).toContain('page=2');
      for (const secret of ['tok-SECRET-1', 'code-SECRET-2', 'state-SECRET-3', 'bearer-SECRET-4', 'cookie-SECRET-5', 'tok-SECRET-6']) {
        expect(text).not.toContain(secret);
      }
      for (const line of t.logs.lines) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await t.close();
    }
  });

  it('keeps what a process logged to a file when it exits at once (a start-up failure)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cloop-log-'));
    try {
      const file = path.join(dir, 'logs', 'cloop.log');
      const logger = pathToFileURL(path.join(import.meta.dirname, 'logger.ts')).href;
      const code = `import { createLogger } from ${JSON.stringify(logger)}; createLogger({ level: 'info', file: ${JSON.stringify(file)} }).fatal('cannot start'); process.exit(3);`;
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(3);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ level: 'fatal', msg: 'cannot start' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

