import type { FetchResult, Fetcher } from '../../platform/fetch/fetcher.ts';
import { loadRobots } from './robots.ts';
import { readSitemaps } from './sitemap.ts';
import { allowedByPatterns, normalizeUrl, sameHost } from './urls.ts';

/** Limits and manners of one crawl. */
export interface CrawlOptions {
  startUrl: string;
  maxPages: number;
  maxDepth: number;
  include: string[];
  exclude: string[];
  /** Requests in flight at once on the host. */
  concurrency: number;
  /** Pause after each request, per slot (robots.txt Crawl-delay wins when longer). */
  delayMs: number;
  signal: AbortSignal;
  /** Validators from the last sync, for conditional requests. */
  validators(url: string): { etag?: string | null; lastModified?: string | null } | undefined;
  /** Follow links found in pages (false: only the start URL and the sitemap). */
  followLinks: boolean;
  /** Read robots.txt and sitemaps (false for a single page). */
  discover: boolean;
}

/** What the crawl tells its caller as it goes. */
export interface CrawlEvents {
  /** The number of URLs known so far grew. */
  found(total: number): void;
  /** A page was fetched (status 200 or 304): the caller indexes it and returns the links and redirect it found. */
  page(p: { url: string; depth: number; result: FetchResult }): Promise<{ links: string[]; redirectTo?: string | undefined }>;
  /** A URL was not indexed, and why (`robots`, `off_host`, `not_found`, `url_not_allowed`, …). */
  skipped(url: string, reason: string): void;
}

const pageTypes = ['text/html', 'application/xhtml+xml', 'application/pdf'];

/**
 * Crawls one host politely: robots.txt, sitemaps (and indexes), then links, breadth first,
 * within the page and depth limits and the include/exclude patterns. Every request goes
 * through the SSRF-safe fetcher. Returns every URL that was fetched (for removing vanished pages).
 */
export async function crawlSite(fetcher: Fetcher, opts: CrawlOptions, events: CrawlEvents): Promise<Set<string>> {
  const start = normalizeUrl(opts.startUrl);
  if (!start) throw new Error('invalid start URL');
  const origin = new URL(start).origin;
  const robots = opts.discover ? await loadRobots(fetcher, origin) : { allowed: () => true, crawlDelay: null, sitemaps: [] };
  const delay = Math.max(opts.delayMs, (robots.crawlDelay ?? 0) * 1000);

  const known = new Set<string>();
  const offHost = new Set<string>();
  const fetched = new Set<string>();
  const frontier: { url: string; depth: number }[] = [];
  const enqueue = (raw: string, depth: number, base?: string) => {
    const url = normalizeUrl(raw, base);
    if (!url || known.has(url) || offHost.has(url)) return;
    if (!sameHost(url, start)) {
      offHost.add(url);
      return events.skipped(url, 'off_host');
    }
    if (!allowedByPatterns(url, opts.include, opts.exclude)) return;
    known.add(url);
    frontier.push({ url, depth });
  };

  enqueue(start, 0);
  if (opts.discover) {
    const sitemaps = robots.sitemaps.length ? robots.sitemaps : [`${origin}/sitemap.xml`];
    for (const u of await readSitemaps(fetcher, sitemaps, opts.maxPages * 4)) enqueue(u, 1);
  }
  events.found(known.size);

  let budget = opts.maxPages;
  let active = 0;
  const slot = async () => {
    while (!opts.signal.aborted) {
      const next = frontier.shift();
      if (!next) {
        // Pages in flight elsewhere may still add links: wait for them before giving up.
        if (active === 0) return;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (budget <= 0) return events.skipped(next.url, 'page_limit');
      if (!robots.allowed(next.url)) {
        events.skipped(next.url, 'robots');
        continue;
      }
      budget--;
      active++;
      try {
        await visit(next);
      } finally {
        active--;
      }
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
  };

  const visit = async ({ url, depth }: { url: string; depth: number }) => {
    const validators = opts.validators(url);
    const headers: Record<string, string> = {};
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    let result: FetchResult;
    try {
      result = await fetcher.fetch(url, { accept: pageTypes, headers, signal: opts.signal });
    } catch (err) {
      const e = err as { code?: string; details?: { reason?: string } };
      return events.skipped(url, e.details?.reason ? `${e.code}:${e.details.reason}` : (e.code ?? 'fetch_failed'));
    }
    const finalUrl = normalizeUrl(result.url) ?? url;
    if (!sameHost(finalUrl, start)) return events.skipped(url, 'off_host');
    if (finalUrl !== url) {
      if (fetched.has(finalUrl) || (known.has(finalUrl) && frontier.some((f) => f.url === finalUrl))) return events.skipped(url, 'redirect');
      known.add(finalUrl);
    }
    if (result.status === 404 || result.status === 410) return events.skipped(finalUrl, 'not_found');
    if (result.status !== 200 && result.status !== 304) return events.skipped(finalUrl, `http_${result.status}`);
    fetched.add(finalUrl);
    const found = await events.page({ url: finalUrl, depth, result });
    const before = known.size;
    if (found.redirectTo) enqueue(found.redirectTo, depth, finalUrl);
    if (opts.followLinks && depth < opts.maxDepth) for (const link of found.links) enqueue(link, depth + 1, finalUrl);
    if (known.size !== before) events.found(known.size);
  };

  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, slot));
  return fetched;
}
