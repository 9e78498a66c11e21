/** A crawlable URL in one canonical spelling: http(s), no fragment, no default port, host lowercased. */
export function normalizeUrl(raw: string, base?: string): string | null {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  url.hash = '';
  if ((url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443')) url.port = '';
  // Common tracking parameters never change the content.
  for (const p of [...url.searchParams.keys()]) if (/^(utm_\w+|fbclid|gclid|mc_cid|mc_eid)$/i.test(p)) url.searchParams.delete(p);
  return url.toString();
}

/** True when both URLs are on the same host (and port). */
export function sameHost(a: string, b: string): boolean {
  return new URL(a).host === new URL(b).host;
}

/** Turns a path pattern (`/docs/*`, `*.pdf`) into a test on the URL's path and query. */
export function pathMatcher(patterns: string[]): (url: string) => boolean {
  const regexes = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (url) => {
    const u = new URL(url);
    const path = u.pathname + u.search;
    return regexes.some((r) => r.test(path));
  };
}

/** Whether a URL may be crawled under a source's include and exclude patterns. */
export function allowedByPatterns(url: string, include: string[], exclude: string[]): boolean {
  if (include.length && !pathMatcher(include)(url)) return false;
  return !(exclude.length && pathMatcher(exclude)(url));
}
