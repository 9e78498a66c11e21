import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { pickEncoding, widgetAssetsRoutes } from './assets.routes.ts';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const loaderJs = '(()=>{/* loader */})();\n'.repeat(20);
const appJs = '(()=>{/* app */})();\n'.repeat(50);
const appVersion = createHash('sha256').update(appJs).digest('hex').slice(0, 16);

let database: Database;
let dir: string;
const apps: TestApp[] = [];

/** A test app with the widget assets plugin over `assetDir`. */
async function appWith(assetDir: string, env: Record<string, string> = {}): Promise<TestApp> {
  const t = await buildTestApp(database, { ...env, WIDGET_ASSETS_DIR: assetDir });
  apps.push(t);
  return t;
}

beforeAll(async () => {
  database = await openTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'cloop-widget-assets-'));
  writeFileSync(path.join(dir, 'widget.js'), loaderJs);
  writeFileSync(path.join(dir, 'app.js'), appJs);
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('widget assets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWith(dir);
  });

  it.each([
    { url: '/widget.js', body: loaderJs, cache: 'public, max-age=300' },
    { url: `/widget/v1/app.js?v=${appVersion}`, body: appJs, cache: 'public, max-age=31536000, immutable' },
    { url: '/widget/v1/app.js', body: appJs, cache: 'public, max-age=300' },
    { url: '/widget/v1/app.js?v=0123456789abcdef', body: appJs, cache: 'public, max-age=300' },
  ])('GET $url is cross-origin loadable JavaScript with cache policy "$cache"', async ({ url, body, cache }) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe(cache);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{27}-identity"$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).toBe(body);
  });

  it.each([
    { accept: 'gzip, deflate, br', encoding: 'br' },
    { accept: 'gzip', encoding: 'gzip' },
    { accept: 'br;q=0, gzip;q=0.5', encoding: 'gzip' },
    { accept: 'identity', encoding: undefined },
  ])('answers Accept-Encoding "$accept" with $encoding', async ({ accept, encoding }) => {
    const res = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': accept } });
    expect(res.headers['content-encoding']).toBe(encoding);
    expect(res.headers.vary).toContain('Accept-Encoding');
    const raw = res.rawPayload;
    const body = encoding === 'br' ? brotliDecompressSync(raw) : encoding === 'gzip' ? gunzipSync(raw) : raw;
    expect(body.toString('utf8')).toBe(loaderJs);
  });

  it('answers 304 to a matching If-None-Match, per encoding', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip' } });
    const etag = first.headers.etag as string;
    const again = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const otherEncoding = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'br', 'if-none-match': etag } });
    expect(otherEncoding.statusCode).toBe(200);
  });

  it('answers HEAD without a body', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('declares the public rate tier and no authentication on every route', () => {
    const widgetRoutes = t.app.routeTable.filter((r) => r.url === '/widget.js' || r.url === '/widget/v1/app.js');
    expect(widgetRoutes.map((r) => r.method).sort()).toEqual(['GET', 'GET', 'HEAD', 'HEAD']);
    for (const r of widgetRoutes) expect(r).toMatchObject({ tier: 'public', auth: 'none' });
  });

  it('reads the files once at start-up', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'cloop-widget-assets-'));
    writeFileSync(path.join(other, 'widget.js'), 'first();');
    writeFileSync(path.join(other, 'app.js'), 'app();');
    const t2 = await appWith(other);
    writeFileSync(path.join(other, 'widget.js'), 'second();');
    expect((await t2.app.inject({ method: 'GET', url: '/widget.js' })).body).toBe('first();');
    rmSync(other, { recursive: true, force: true });
  });
});

describe('widget assets compressed by the build', () => {
  it('serves the build\'s copies as they are, and compresses anew when a copy is older than its file', async () => {
    const built = mkdtempSync(path.join(os.tmpdir(), 'cloop-widget-assets-'));
    // Quality 1 and level 1: bytes the server's own quality 11 / level 9 would not produce.
    const quick = { br: brotliCompressSync(loaderJs, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }), gz: gzipSync(loaderJs, { level: 1 }) };
    writeFileSync(path.join(built, 'widget.js'), loaderJs);
    writeFileSync(path.join(built, 'widget.js.br'), quick.br);
    writeFileSync(path.join(built, 'widget.js.gz'), quick.gz);
    writeFileSync(path.join(built, 'app.js.br'), brotliCompressSync('stale();'));
    writeFileSync(path.join(built, 'app.js'), appJs);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(built, 'app.js.br'), past, past);
    const t = await appWith(built);
    const get = (url: string, accept: string) => t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': accept } });
    expect((await get('/widget.js', 'br')).rawPayload).toEqual(quick.br);
    expect((await get('/widget.js', 'gzip')).rawPayload).toEqual(quick.gz);
    expect(brotliDecompressSync((await get('/widget/v1/app.js', 'br')).rawPayload).toString('utf8')).toBe(appJs);
    expect(gunzipSync((await get('/widget/v1/app.js', 'gzip')).rawPayload).toString('utf8')).toBe(appJs);
    rmSync(built, { recursive: true, force: true });
  });
});

describe('widget assets in development', () => {
  it('asks browsers to revalidate every time', async () => {
    const t = await appWith(dir, { NODE_ENV: 'development' });
    const res = await t.app.inject({ method: 'GET', url: `/widget/v1/app.js?v=${appVersion}` });
    expect(res.headers['cache-control']).toBe('no-cache');
  });
});

describe('widget assets not built', () => {
  it('answers 503 service_unavailable in the error shape', async () => {
    const t = await appWith(path.join(dir, 'missing'));
    for (const url of ['/widget.js', '/widget/v1/app.js']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ error: { code: 'service_unavailable', message: expect.any(String), requestId: res.headers['x-request-id'] } });
    }
    expect(t.logs.text()).toContain('widget bundles not found');
  });
});

describe('pickEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, br', 'br'],
    ['BR;q=0.1', 'br'],
    ['br;q=0', 'identity'],
    ['deflate, gzip;q=1.0, *;q=0.5', 'gzip'],
  ])('%s → %s', (header, expected) => {
    expect(pickEncoding(header)).toBe(expected);
  });
});
