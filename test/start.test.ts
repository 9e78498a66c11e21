import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './harness.ts';
import { fileUpload } from './multipart.ts';

// `npm start` runs the bundle from scripts/build-server.mjs on plain node: this builds it (in its
// own folder, as deep as dist/server) and proves it starts on an empty data directory, answers a
// signed-in request, indexes an uploaded document through the extraction worker and the job queue,
// finds it by search, and stops cleanly on Ctrl-C. Anything the bundle cannot find beside itself
// (migrations, the extraction worker, the widget and dashboard folders) fails here.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, '.test-data', `server-${process.pid}`);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cloop-start-'));

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe('npm start (the built server)', () => {
  it('starts on an empty data directory, signs someone in, and stops cleanly on SIGINT', { timeout: 240_000 }, async () => {
    const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-server.mjs')], { env: { ...process.env, CLOOP_SERVER_OUT_DIR: outDir }, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);

    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', HOME: os.homedir(), PORT: String(port), HOST: '127.0.0.1', CLOOP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, [path.join(outDir, 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    try {
      const base = `http://127.0.0.1:${port}`;
      await eventually(async () => {
        if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${out}`);
        return (await fetch(`${base}/readyz`).catch(() => null))?.status === 200;
      }, 180_000, 100);
      const token = (await eventually(() => /#signin=(\S+)/.exec(out)?.[1], 10_000))!;
      const signin = await fetch(`${base}/api/auth/signin-link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(signin.status).toBe(200);
      const { accessToken } = (await signin.json()) as { accessToken: string };
      const auth = { authorization: `Bearer ${accessToken}` };
      const sites = await fetch(`${base}/api/sites`, { headers: auth });
      expect(sites.status).toBe(200);
      const site = await fetch(`${base}/api/sites`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Library', domains: ['library.example'] }) });
      expect(site.status, await site.clone().text()).toBe(201);
      const siteId = ((await site.json()) as { id: string }).id;
      const upload = fileUpload('parking.md', '# Parking\n\nVisitors park behind the library, next to the bicycle racks.\n', 'text/markdown');
      const created = await fetch(`${base}/api/sites/${siteId}/sources/upload`, { method: 'POST', headers: { ...auth, ...upload.headers }, body: new Uint8Array(upload.payload) });
      expect(created.status, await created.clone().text()).toBe(201);
      const sourceId = ((await created.json()) as { id: string }).id;
      const source = await eventually(async () => {
        const s = (await (await fetch(`${base}/api/sites/${siteId}/sources/${sourceId}`, { headers: auth })).json()) as { status: string };
        return s.status === 'ready' || s.status === 'failed' ? s : undefined;
      }, 60_000, 100);
      expect(source, out).toMatchObject({ status: 'ready' });
      const search = await fetch(`${base}/api/sites/${siteId}/search`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'where do visitors park' }) });
      expect(search.status).toBe(200);
      expect(JSON.stringify(await search.json())).toContain('bicycle racks');
      expect((await fetch(`${base}/widget.js`)).status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await exited;
    expect(code, out).toBe(0);
  });
});
