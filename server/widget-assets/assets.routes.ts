import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { appError } from '../errors.ts';

/** Where `npm run build:widget` (scripts/build-widget.mjs) writes the bundles. */
export const defaultWidgetDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/widget');

/** Cache policies. The loader URL is pasted into customer pages, so it must pick up releases soon. */
export const cachePolicy = {
  loader: 'public, max-age=300',
  /** `app.js?v=<content hash>`: the loader names the exact build, so that URL never changes meaning. */
  appVersioned: 'public, max-age=31536000, immutable',
  /** `app.js` without the current hash (a loader from an older release still in a cache). */
  appOther: 'public, max-age=300',
  /** Development: revalidate every time (ETag), so a rebuilt widget shows after a restart. */
  development: 'no-cache',
};

/** One file, read and compressed once at start-up. */
interface Asset {
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  hash: string;
}

/**
 * The build's compressed copy of `file` (`file.br`, `file.gz`), when it is at least as new as the
 * file: brotli at quality 11 costs ~1 s of CPU per 400 KB, so the build scripts compress once.
 */
export function precompressed(file: string, suffix: '.br' | '.gz'): Buffer | null {
  try {
    return statSync(`${file}${suffix}`).mtimeMs >= statSync(file).mtimeMs ? readFileSync(`${file}${suffix}`) : null;
  } catch {
    return null;
  }
}

function loadAsset(file: string): Asset {
  const identity = readFileSync(file);
  return {
    identity,
    gzip: precompressed(file, '.gz') ?? gzipSync(identity, { level: 9 }),
    br: precompressed(file, '.br') ?? brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    hash: createHash('sha256').update(identity).digest('hex'),
  };
}

type Encoding = 'br' | 'gzip' | 'identity';

/** The best encoding the client accepts (`q=0` refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name && (q === undefined || Number(q) > 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return 'identity';
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string): FastifyReply {
  const encoding = pickEncoding(request.headers['accept-encoding']);
  // One ETag per representation: a cache must not answer a gzip request with a brotli body.
  const etag = `"${asset.hash.slice(0, 27)}-${encoding}"`;
  reply
    .header('content-type', 'text/javascript; charset=utf-8')
    .header('cache-control', cacheControl)
    .header('etag', etag)
    .header('vary', 'Accept-Encoding')
    // A public script embedded by any site: loadable cross-origin (also with crossorigin="anonymous" + SRI).
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('access-control-allow-origin', '*');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}` || tag.trim() === '*')) {
    return reply.code(304).send();
  }
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply.send(asset[encoding]);
}

/** What the plugin needs. `dir` defaults to dist/widget (tests pass their own). */
export interface WidgetAssetsOptions {
  config: Pick<Config, 'env'>;
  dir?: string;
}

/**
 * Serves the embeddable widget: `GET /widget.js` (the loader) and `GET /widget/v1/app.js` (the chat UI).
 * The built files are read once at start-up; when they are missing the routes answer 503
 * `service_unavailable` (the server does not build: esbuild is a dev dependency — `npm start` runs
 * `npm run build:widget` first).
 */
export async function widgetAssetsRoutes(app: FastifyInstance, { config, dir = defaultWidgetDir }: WidgetAssetsOptions): Promise<void> {
  let assets: { loader: Asset; app: Asset; appVersion: string } | null = null;
  try {
    const appAsset = loadAsset(path.join(dir, 'app.js'));
    // The same hash scripts/build-widget.mjs compiles into the loader.
    assets = { loader: loadAsset(path.join(dir, 'widget.js')), app: appAsset, appVersion: appAsset.hash.slice(0, 16) };
  } catch (err) {
    app.log.warn({ dir, err: (err as Error).message }, 'widget bundles not found: run `npm run build:widget`; /widget.js answers 503 until then');
  }
  const dev = config.env === 'development';
  const route = { config: { rateTier: 'public', auth: 'none' } } as const;

  app.get('/widget.js', route, async function widgetLoader(request, reply) {
    if (!assets) throw appError('service_unavailable');
    return send(request, reply, assets.loader, dev ? cachePolicy.development : cachePolicy.loader);
  });

  app.get('/widget/v1/app.js', route, async function widgetApp(request, reply) {
    if (!assets) throw appError('service_unavailable');
    const versioned = (request.query as { v?: unknown }).v === assets.appVersion;
    return send(request, reply, assets.app, dev ? cachePolicy.development : versioned ? cachePolicy.appVersioned : cachePolicy.appOther);
  });
}
