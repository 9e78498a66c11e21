import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.ts';
import { buildTestApp, openTestDatabase } from '../../test/harness.ts';
import { dashboardCsp, dashboardRoutes, previewCsp } from './assets.routes.ts';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

const indexHtml = '<!doctype html><html><head><script type="module" src="/app/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
const previewHtml = '<!doctype html><html><head><script type="module" src="/app/assets/preview-def456.js"></script></head><body></body></html>';
const appJs = 'console.log("dashboard");\n'.repeat(100);
const appCss = 'body{margin:0}\n'.repeat(100);
// The build's compressed copy, at a quality the server would not use: proof it is served as built.
const appJsBr = brotliCompressSync(appJs, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });

let database: Database;
let dir: string;
const apps: TestApp[] = [];

/** A test app with the dashboard plugin over `assetDir`. */
async function appWith(assetDir: string, env: Record<string, string> = {}): Promise<TestApp> {
  const t = await buildTestApp(database, { ...env, DASHBOARD_ASSETS_DIR: assetDir });
  apps.push(t);
  return t;
}

beforeAll(async () => {
  database = await openTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'cloop-dashboard-assets-'));
  mkdirSync(path.join(dir, 'assets'));
  mkdirSync(path.join(dir, '.vite'));
  writeFileSync(path.join(dir, 'index.html'), indexHtml);
  writeFileSync(path.join(dir, 'preview.html'), previewHtml);
  writeFileSync(path.join(dir, 'assets/index-abc123.js'), appJs);
  writeFileSync(path.join(dir, 'assets/index-abc123.js.br'), appJsBr);
  writeFileSync(path.join(dir, 'assets/index-abc123.css'), appCss);
  writeFileSync(path.join(dir, '.vite/manifest.json'), '{"secret":"build details"}');
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard assets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWith(dir);
  });

  it('redirects / and /app to /app/', async () => {
    const root = await t.app.inject({ url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/app/');
    const app = await t.app.inject({ url: '/app' });
    expect(app.statusCode).toBe(301);
    expect(app.headers.location).toBe('/app/');
  });

  it.each(['/app/', '/app/sites/123/conversations', '/app/team?x=1', '/app/start/abc', '/app/.vite/manifest.json', '/app/size.json'])(
    'GET %s is the app shell: no-cache, strict CSP, never framed',
    async (url) => {
      const res = await t.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(indexHtml);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(dashboardCsp);
      expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['set-cookie']).toBeUndefined();
    },
  );

  it('serves the build\'s compressed copy of an asset, never the copy as an asset of its own', async () => {
    expect((await t.app.inject({ url: '/app/assets/index-abc123.js', headers: { 'accept-encoding': 'br' } })).rawPayload).toEqual(appJsBr);
    expect((await t.app.inject({ url: '/app/assets/index-abc123.js.br' })).statusCode).toBe(404);
  });

  it('serves hashed assets for a year, compressed when asked, with a 304 on revalidation', async () => {
    const plain = await t.app.inject({ url: '/app/assets/index-abc123.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(appJs);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await t.app.inject({ url: '/app/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(appJs);
    const br = await t.app.inject({ url: '/app/assets/index-abc123.css', headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(appCss);
    const again = await t.app.inject({ url: '/app/assets/index-abc123.js', headers: { 'if-none-match': plain.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers a missing asset with 404 in the error shape, not the app shell', async () => {
    // Files are looked up by name in what was read at start-up: no path ever reaches the file system.
    for (const url of ['/app/assets/nope.js', '/app/assets/%2e%2e%2findex.html', '/app/assets/%2e%2e%2f.vite%2fmanifest.json', '/app/assets/']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('lets only the dashboard itself frame the widget preview page', async () => {
    const res = await t.app.inject({ url: '/app/preview.html' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(previewHtml);
    expect(res.headers['content-security-policy']).toBe(previewCsp);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('revalidates the app shell with its ETag', async () => {
    const first = await t.app.inject({ url: '/app/' });
    const again = await t.app.inject({ url: '/app/leads', headers: { 'if-none-match': first.headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('declares every route public and unauthenticated', () => {
    const mine = t.app.routeTable.filter((r) => r.url === '/' || r.url.startsWith('/app'));
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const r of mine) expect(r).toMatchObject({ tier: 'public', auth: 'none' });
  });
});

describe('dashboard assets when the app is not built', () => {
  it('answers 503 in the error shape, naming the build command', async () => {
    const t = await appWith(path.join(dir, 'missing'));
    for (const url of ['/app/', '/app/assets/index-abc123.js', '/app/preview.html']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'service_unavailable', message: expect.stringContaining('npm run build:dashboard') } });
    }
    // The redirect still works: it needs no files.
    expect((await t.app.inject({ url: '/' })).statusCode).toBe(302);
  });
});
