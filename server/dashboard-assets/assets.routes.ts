import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { appError } from '../errors.ts';
import { pickEncoding, precompressed } from '../widget-assets/assets.routes.ts';

/** Where `npm run build:dashboard` (scripts/build-dashboard.mjs) writes the app. */
export const defaultDashboardDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/dashboard');

/**
 * The pages' Content-Security-Policy: only our own scripts, styles and connections; no inline code.
 * The widget preview loads `/widget.js` from this origin, so `'self'` covers it.
 */
export const dashboardCsp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The preview page is framed by the dashboard itself, and by nothing else. */
export const previewCsp = dashboardCsp.replace("frame-ancestors 'none'", "frame-ancestors 'self'");

/** Cache policies: pages revalidate every time; content-hashed assets never change. */
export const dashboardCache = { page: 'no-cache', asset: 'public, max-age=31536000, immutable' };

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
};
const compressible = new Set(['.js', '.css', '.svg', '.json', '.html']);

/** One file, read and compressed once at start-up. */
interface Asset {
  type: string;
  identity: Buffer;
  gzip: Buffer | null;
  br: Buffer | null;
  etag: string;
}

function loadAsset(file: string): Asset {
  const identity = readFileSync(file);
  const ext = path.extname(file);
  const squeeze = compressible.has(ext) && identity.length > 512;
  return {
    type: types[ext] ?? 'application/octet-stream',
    identity,
    gzip: squeeze ? (precompressed(file, '.gz') ?? gzipSync(identity, { level: 9 })) : null,
    br: squeeze ? (precompressed(file, '.br') ?? brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })) : null,
    etag: createHash('sha256').update(identity).digest('base64url').slice(0, 27),
  };
}

/** The built app: its two pages and its hashed assets (by name under `assets/`). */
interface Bundle {
  index: Asset;
  preview: Asset;
  assets: Map<string, Asset>;
}

function loadBundle(dir: string): Bundle {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(path.join(dir, 'assets'))) {
    // `x.js.br` and `x.js.gz` are the build's compressed copies of `x.js`, not assets of their own.
    if (!/\.(br|gz)$/.test(name)) assets.set(name, loadAsset(path.join(dir, 'assets', name)));
  }
  return { index: loadAsset(path.join(dir, 'index.html')), preview: loadAsset(path.join(dir, 'preview.html')), assets };
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string): FastifyReply {
  const encoding = asset.gzip ? pickEncoding(request.headers['accept-encoding']) : 'identity';
  const etag = `"${asset.etag}-${encoding}"`;
  reply.header('content-type', asset.type).header('cache-control', cacheControl).header('etag', etag).header('vary', 'Accept-Encoding');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()))) return reply.code(304).send();
  const body = encoding === 'identity' ? asset.identity : asset[encoding];
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply.send(body);
}

/** What the plugin needs. `dir` defaults to dist/dashboard (tests pass their own). */
export interface DashboardAssetsOptions {
  config: Pick<Config, 'env'>;
  dir?: string;
}

/**
 * Serves the dashboard: `GET /` → `/app/`; `/app/assets/*` (hashed, cached for a year);
 * `/app/preview.html` (the widget preview frame, framable by the dashboard only); every other
 * `/app/*` path → index.html (the app routes in the browser), `no-cache`, under a strict CSP.
 * The built files are read once at start-up; when they are missing every route answers 503.
 */
export async function dashboardRoutes(app: FastifyInstance, { config, dir = defaultDashboardDir }: DashboardAssetsOptions): Promise<void> {
  let bundle: Bundle | null = null;
  try {
    bundle = loadBundle(dir);
  } catch (err) {
    app.log.warn({ dir, err: (err as Error).message }, 'dashboard not built: run `npm run build:dashboard`; /app answers 503 until then');
  }
  const built = (): Bundle => {
    if (!bundle) throw appError('service_unavailable', 'The dashboard is not built yet. Run `npm run build:dashboard` and restart the server.');
    return bundle;
  };
  // In development a rebuilt asset under the same name (never in production: names carry hashes) must show.
  const assetCache = config.env === 'development' ? dashboardCache.page : dashboardCache.asset;
  const route = { config: { rateTier: 'public', auth: 'none' } } as const;

  app.get('/', route, async function root(_request, reply) {
    return reply.redirect('/app/', 302);
  });

  app.get('/app', route, async function appRoot(_request, reply) {
    return reply.redirect('/app/', 301);
  });

  app.get('/app/*', route, async function dashboard(request, reply) {
    const b = built();
    const rest = (request.params as { '*': string })['*'];
    if (rest.startsWith('assets/')) {
      const asset = b.assets.get(rest.slice('assets/'.length));
      if (!asset) throw appError('not_found', 'There is no such file.');
      return send(request, reply, asset, assetCache);
    }
    if (rest === 'preview.html') {
      reply.header('content-security-policy', previewCsp).header('x-frame-options', 'SAMEORIGIN');
      return send(request, reply, b.preview, dashboardCache.page);
    }
    reply.header('content-security-policy', dashboardCsp);
    return send(request, reply, b.index, dashboardCache.page);
  });
}
