import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** One page served from memory: a body, or any status with headers (a redirect, a 500). */
export interface Page {
  body?: string | Buffer;
  type?: string;
  status?: number;
  headers?: Record<string, string>;
}

/** How a static site behaves. */
export interface StaticSiteOptions {
  /** A directory served as the web root (`/a/` → `a/index.html`, `/a` → 301 to `/a/`). */
  root?: string;
  /** Pages served from memory (they win over `root`); a string is an HTML body. */
  pages?: Record<string, string | Page>;
  /** Rewrites this origin in served text (sitemap.xml, robots.txt) to the server's own, e.g. `http://localhost:8080`. */
  rewriteOrigin?: string;
  /** Send ETag and Last-Modified and answer conditional requests with 304 (default true). */
  validators?: boolean;
  /** Wait this long before answering each request (a slow site). */
  delayMs?: number;
}

/** One request the site answered. */
export interface Hit {
  path: string;
  status: number;
  userAgent: string;
  conditional: boolean;
}

/** Decides whether a request waits before it is answered (e.g. to force an order between two crawls). */
export type Gate = (pathname: string, before: number) => Promise<void> | undefined;

/** A loopback web server for crawl tests: counts requests per path and changes pages at runtime. */
export interface StaticSite {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Every request, in order. */
  hits: Hit[];
  /** How many requests a path received (any status). */
  count(pathname: string): number;
  /** Requests whose path matches. */
  hitsFor(match: (pathname: string) => boolean): Hit[];
  /** Replaces (or adds) a page; its validators change with its content. */
  setPage(pathname: string, page: string | Page): void;
  /** Makes a page answer 404 from now on. */
  deletePage(pathname: string): void;
  setDelay(ms: number): void;
  /** Holds requests: called as each arrives with its path and how many came before for that path; the answer waits for the returned promise. */
  setGate(gate: Gate | null): void;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

// A fixed date per content version keeps Last-Modified stable across requests.
const epoch = Date.parse('2025-01-01T00:00:00Z');

function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Starts a static site on 127.0.0.1 (random port). */
export async function startStaticSite(opts: StaticSiteOptions = {}): Promise<StaticSite> {
  const pages = new Map<string, Page>();
  const deleted = new Set<string>();
  const versions = new Map<string, number>();
  const hits: Hit[] = [];
  let delayMs = opts.delayMs ?? 0;
  let gate: Gate | null = null;
  const arrivals = new Map<string, number>();
  let origin = '';

  const setPage = (pathname: string, page: string | Page) => {
    pages.set(pathname, typeof page === 'string' ? { body: page } : page);
    deleted.delete(pathname);
    versions.set(pathname, (versions.get(pathname) ?? 0) + 1);
  };
  for (const [p, page] of Object.entries(opts.pages ?? {})) setPage(p, page);

  /** The page for a path: memory first, then the directory; null when missing. */
  async function resolve(pathname: string): Promise<Page | null> {
    if (deleted.has(pathname)) return null;
    const inMemory = pages.get(pathname);
    if (inMemory) return inMemory;
    if (!opts.root) return null;
    const root = path.resolve(opts.root);
    const file = path.resolve(root, `.${decodeURIComponent(pathname)}`);
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    const info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      if (!pathname.endsWith('/')) return { status: 301, headers: { location: `${pathname}/` } };
      return resolve(`${pathname}index.html`);
    }
    if (!info?.isFile()) return null;
    return { body: await readFile(file), type: types[path.extname(file)] ?? 'application/octet-stream' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const conditional = Boolean(req.headers['if-none-match'] || req.headers['if-modified-since']);
    const answer = (status: number, headers: Record<string, string>, body?: Buffer) => {
      hits.push({ path: pathname, status, userAgent: req.headers['user-agent'] ?? '', conditional });
      res.writeHead(status, headers);
      res.end(body);
    };
    const before = arrivals.get(pathname) ?? 0;
    arrivals.set(pathname, before + 1);
    await gate?.(pathname, before);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const page = await resolve(pathname);
    if (!page) return answer(404, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from('<html><body><h1>Not found</h1></body></html>'));
    let body = typeof page.body === 'string' ? Buffer.from(page.body) : (page.body ?? Buffer.alloc(0));
    if (opts.rewriteOrigin && /xml|text\/plain/.test(page.type ?? '')) body = Buffer.from(body.toString('utf8').replaceAll(opts.rewriteOrigin, origin));
    const status = page.status ?? 200;
    const headers: Record<string, string> = { 'content-type': page.type ?? 'text/html; charset=utf-8', ...page.headers };
    if (status === 200 && opts.validators !== false) {
      const etag = etagOf(body);
      const lastModified = new Date(epoch + (versions.get(pathname) ?? 0) * 86_400_000).toUTCString();
      headers.etag = etag;
      headers['last-modified'] = lastModified;
      const inm = req.headers['if-none-match'];
      const ims = req.headers['if-modified-since'];
      const fresh = inm !== undefined ? inm.split(',').map((s) => s.trim()).includes(etag) : ims !== undefined && Date.parse(ims) >= Date.parse(lastModified);
      if (fresh) return answer(304, { etag, 'last-modified': lastModified });
    }
    answer(status, headers, req.method === 'HEAD' ? undefined : body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    port,
    hits,
    count: (pathname) => hits.filter((h) => h.path === pathname).length,
    hitsFor: (match) => hits.filter((h) => match(h.path)),
    setPage,
    deletePage: (pathname) => {
      pages.delete(pathname);
      deleted.add(pathname);
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    setGate: (g) => {
      gate = g;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A small HTML page with a title, a heading, some paragraphs and links. */
export function htmlPage(title: string, paragraphs: string[], links: string[] = []): string {
  const list = links.map((l) => `<li><a href="${l}">${l}</a></li>`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><article><h1>${title}</h1>${paragraphs
    .map((p) => `<p>${p}</p>`)
    .join('')}</article><nav><ul>${list}</ul></nav></main></body></html>`;
}

/** A sitemap listing these absolute URLs. */
export function sitemapOf(urls: string[]): Page {
  return {
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.map((u) => `<url><loc>${u}</loc></url>`).join('\n')}\n</urlset>\n`,
  };
}

/** A robots.txt page. */
export function robotsOf(text: string): Page {
  return { type: 'text/plain; charset=utf-8', body: text };
}
