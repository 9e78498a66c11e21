import { XMLParser } from 'fast-xml-parser';
import type { Fetcher } from '../../platform/fetch/fetcher.ts';

const parser = new XMLParser({ ignoreAttributes: true, processEntities: true, htmlEntities: false });
const maxSitemaps = 50;

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Every page URL listed by the given sitemaps and the sitemap indexes they point to
 * (at most 50 sitemap files and `maxUrls` URLs). Unreadable sitemaps are skipped.
 */
export async function readSitemaps(fetcher: Fetcher, sitemapUrls: string[], maxUrls: number): Promise<string[]> {
  const queue = [...new Set(sitemapUrls)];
  const seen = new Set<string>();
  const pages: string[] = [];
  while (queue.length && seen.size < maxSitemaps && pages.length < maxUrls) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    let xml: string;
    try {
      const res = await fetcher.fetch(url, { accept: ['application/xml', 'text/xml', 'text/plain', 'application/octet-stream'], maxBytes: 10 * 1024 * 1024 });
      if (res.status !== 200) continue;
      xml = res.body.toString('utf8');
    } catch {
      continue;
    }
    let doc: { urlset?: { url?: unknown }; sitemapindex?: { sitemap?: unknown } };
    try {
      doc = parser.parse(xml) as typeof doc;
    } catch {
      continue;
    }
    for (const entry of list(doc.sitemapindex?.sitemap as { loc?: string } | { loc?: string }[] | undefined)) {
      if (typeof entry?.loc === 'string') queue.push(entry.loc.trim());
    }
    for (const entry of list(doc.urlset?.url as { loc?: string } | { loc?: string }[] | undefined)) {
      if (typeof entry?.loc === 'string' && pages.length < maxUrls) pages.push(entry.loc.trim());
    }
  }
  return pages;
}
