// `npm run build:server`: bundles the server into dist/server/ as plain JavaScript, so `npm start`
// runs on node alone. Under the tsx loader the same start costs ~50–80 MB more memory and 1–3 s
// more CPU (a loader thread, and every module resolved and transformed through it).
//   main.js        — `npm start` (server/main.ts)
//   worker.js      — the extraction worker thread (worker-pool.ts looks for worker.js beside itself)
//   bench-cloop.js — the server `npm run bench:http` measures (bench/servers/cloop.ts)
//   worker-boot.mjs, migrations/ — files the bundled code finds next to itself
// The server entries carry their packages too: loading one bundle instead of ~600 package files
// (ESM resolution, the CommonJS export scan, a compile per file) saves ~0.5 s of CPU and ~13 MB at
// start (bench:http). PGlite stays in node_modules: it finds its WebAssembly and data files beside
// its own module. The extraction worker keeps its packages (pdf.js, mammoth) in node_modules too:
// it starts rarely and those packages load their own assets. Paths the code derives from its own
// location ('../../dist/widget', the repository root) hold because dist/server/ is as deep as
// server/<feature>/.
import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// CLOOP_SERVER_OUT_DIR builds elsewhere (the start-up test); keep it two levels under the repository.
const outDir = path.resolve(process.env.CLOOP_SERVER_OUT_DIR || path.join(root, 'dist/server'));
// Built aside and renamed into place: a running server never sees half a build.
const tmp = `${outDir}.${process.pid}.tmp`;

const started = performance.now();
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const common = {
  outdir: tmp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Dynamic imports (the Redis and S3 clients, only when configured) stay separate, lazily loaded
  // chunks beside the entries (same folder: their own-location paths must resolve like the entries').
  splitting: true,
  chunkNames: 'chunk-[hash]',
  target: 'node20',
  outExtension: { '.js': '.js' },
  logLevel: 'warning',
};
await Promise.all([
  build({
    ...common,
    entryPoints: { main: path.join(root, 'server/main.ts'), 'bench-cloop': path.join(root, 'bench/servers/cloop.ts') },
    external: ['@electric-sql/*'],
    // Bundled CommonJS packages call require(); an ES module has none, so the bundle makes one.
    banner: { js: "import { createRequire as __cloopRequire } from 'node:module'; const require = __cloopRequire(import.meta.url);" },
  }),
  build({ ...common, entryPoints: { worker: path.join(root, 'server/knowledge/extract/worker.ts') }, packages: 'external' }),
]);
cpSync(path.join(root, 'server/knowledge/extract/worker-boot.mjs'), path.join(tmp, 'worker-boot.mjs'));
cpSync(path.join(root, 'server/db/migrations'), path.join(tmp, 'migrations'), { recursive: true });
rmSync(outDir, { recursive: true, force: true });
renameSync(tmp, outDir);
console.log(`server: → ${path.relative(root, outDir)} in ${Math.round(performance.now() - started)} ms`);
