import { createRequire } from 'node:module';

// robots-parser is CommonJS with ESM-style typings; load it the CommonJS way.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, body: string) => {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
};
import type { Fetcher } from '../../platform/fetch/fetcher.ts';

/** The crawler's user agent token, as robots.txt files name it. */
export const userAgentToken = 'CloopBot';

/** What robots.txt says for CloopBot on one host. */
export interface RobotsRules {
  allowed(url: string): boolean;
  /** Seconds between requests the site asks for (capped at 10), or null. */
  crawlDelay: number | null;
  sitemaps: string[];
}

/**
 * Reads `/robots.txt` through the fetcher. Missing (4xx) → everything allowed; unreachable or
 * 5xx → nothing allowed (a site in trouble is left alone).
 */
export async function loadRobots(fetcher: Fetcher, origin: string): Promise<RobotsRules> {
  const url = `${origin}/robots.txt`;
  let body = '';
  try {
    const res = await fetcher.fetch(url, { accept: ['text/plain', 'text/html', 'application/octet-stream'], maxBytes: 512 * 1024 });
    if (res.status >= 500) return { allowed: () => false, crawlDelay: null, sitemaps: [] };
    if (res.status >= 200 && res.status < 300) body = res.body.toString('utf8');
  } catch (err) {
    const status = (err as { details?: { status?: number } }).details?.status;
    if (!status || status >= 500) return { allowed: () => false, crawlDelay: null, sitemaps: [] };
  }
  const robots = robotsParser(url, body);
  const delay = robots.getCrawlDelay(userAgentToken);
  return {
    allowed: (u) => robots.isAllowed(u, userAgentToken) !== false,
    crawlDelay: typeof delay === 'number' && delay > 0 ? Math.min(delay, 10) : null,
    sitemaps: robots.getSitemaps(),
  };
}
