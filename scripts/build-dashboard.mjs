// `npm run build:dashboard`: builds the dashboard (React + Vite) into dist/dashboard/.
//   index.html    — the app shell, served at /app/ and as the fallback of every /app/* path
//   preview.html  — the widget preview frame (/app/preview.html), loads the real /widget.js
//   assets/*      — content-hashed JS, CSS and images, cached for a year
//   size.json     — bytes and gzipped bytes of the JS the first page load needs
//   *.gz, *.br    — compressed copies of the pages and text assets, so the server does not compress at start
// CLOOP_DASHBOARD_OUT_DIR builds elsewhere.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

// Always a production build (React's production bundle), even when run from a test runner that set
// NODE_ENV=test: Vite takes NODE_ENV from the environment when it is set.
process.env.NODE_ENV = 'production';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'dashboard');
const outDir = path.resolve(process.env.CLOOP_DASHBOARD_OUT_DIR || path.join(root, 'dist/dashboard'));

const started = performance.now();
await build({
  root: source,
  base: '/app/',
  configFile: false,
  mode: 'production',
  logLevel: 'warn',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    manifest: true,
    // No inline polyfill script: the pages run under `script-src 'self'`.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { index: path.join(source, 'index.html'), preview: path.join(source, 'preview.html') },
    },
  },
});

// The same files the server compresses (text, over 512 bytes), compressed once here.
const pages = ['index.html', 'preview.html'];
const assetNames = readdirSync(path.join(outDir, 'assets')).map((name) => path.join('assets', name));
for (const name of [...pages, ...assetNames]) {
  if (!/\.(js|css|svg|json|html)$/.test(name)) continue;
  const file = path.join(outDir, name);
  const bytes = readFileSync(file);
  if (bytes.length <= 512) continue;
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}

// The JS the first page load needs: the entry chunk and everything it imports statically.
const manifest = JSON.parse(readFileSync(path.join(outDir, '.vite/manifest.json'), 'utf8'));
const seen = new Set();
const walk = (key) => {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) walk(dep);
};
walk('index.html');
const files = [...seen].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
const bytes = files.map((f) => readFileSync(path.join(outDir, f)));
const size = {
  initialJs: files,
  bytes: bytes.reduce((n, b) => n + b.length, 0),
  gzipBytes: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
};
writeFileSync(path.join(outDir, 'size.json'), `${JSON.stringify(size, null, 2)}\n`);
console.log(
  `dashboard: initial JS ${(size.bytes / 1024).toFixed(1)} KB, ${(size.gzipBytes / 1024).toFixed(1)} KB gzipped → ` +
    `${path.relative(root, outDir) || '.'} in ${Math.round(performance.now() - started)} ms`,
);
