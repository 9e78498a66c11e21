// `npm run build:widget`: bundles the embeddable widget with esbuild into dist/widget/.
//   widget.js — the loader (IIFE), served at /widget.js
//   app.js    — the chat UI (IIFE), served at /widget/v1/app.js
//   manifest.json — the app's content hash (the loader asks for app.js?v=<hash>) and sizes
// The app is built first: its hash is compiled into the loader, so a new loader fetches a new app
// and an app URL with the current hash can be cached as immutable.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.env.CLOOP_WIDGET_OUT_DIR ?? path.join(root, 'dist/widget'));

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome91', 'firefox90', 'safari14.1'],
  charset: 'ascii',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
};

/** Writes a file atomically: parallel test workers may build while others read. */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

const started = performance.now();
const app = await build({ ...common, entryPoints: [path.join(root, 'widget/app/main.ts')] });
const appJs = app.outputFiles[0].contents;
const appVersion = createHash('sha256').update(appJs).digest('hex').slice(0, 16);
const loader = await build({
  ...common,
  entryPoints: [path.join(root, 'widget/loader.ts')],
  define: { __CLOOP_APP_VERSION__: JSON.stringify(appVersion) },
});
const loaderJs = loader.outputFiles[0].contents;

mkdirSync(outDir, { recursive: true });
// Each bundle with its compressed copies (written after it: the server uses a copy no older than
// its file), so the server does not spend a second of brotli at every start.
for (const [name, bytes] of [['app.js', appJs], ['widget.js', loaderJs]]) {
  writeAtomic(path.join(outDir, name), bytes);
  writeAtomic(path.join(outDir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  writeAtomic(path.join(outDir, `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
}
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const manifest = {
  appVersion,
  loader: { bytes: loaderJs.length, gzipBytes: gz(loaderJs) },
  app: { bytes: appJs.length, gzipBytes: gz(appJs) },
};
writeAtomic(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `widget: loader ${manifest.loader.gzipBytes} B gz, app ${manifest.app.gzipBytes} B gz ` +
    `(${manifest.loader.gzipBytes + manifest.app.gzipBytes} B total) → ${path.relative(root, outDir) || '.'} in ${Math.round(performance.now() - started)} ms`,
);
