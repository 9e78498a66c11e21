import { isIP } from 'node:net';
import { checkAddress } from './address.ts';
import { findAllowEntry, mentionsPort, type AllowEntry } from './allow-list.ts';
import { sanitizeUrl, urlNotAllowed } from './fetch-errors.ts';

/** Resolves a host name to every address it has (the injected form of `dns.promises.lookup(host, { all: true })`). */
export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** What a URL may reach: the operator's ports and allow-list, and how names are resolved. */
export interface TargetPolicy {
  allowedPorts: ReadonlySet<number>;
  allowList: readonly AllowEntry[];
  lookup: Lookup;
  onAllowListUse?: (url: string) => void;
}

/** A URL that passed every check, with the only addresses a connection may go to. */
export interface VettedTarget {
  url: URL;
  /** The vetted IP addresses (no brackets), in resolver order; connections go here and nowhere else. */
  addresses: string[];
  port: number;
}

/** Longest URL the fetcher accepts, before and after resolving it against a redirect's base. */
export const maxUrlLength = 2048;

/**
 * Parses `raw` (relative to `base` for a redirect's Location) and checks scheme, credentials, port,
 * then resolves the host once and checks every address. Throws `url_not_allowed` with the reason.
 */
export async function vetUrl(raw: string, base: URL | undefined, hop: number, policy: TargetPolicy, signal: AbortSignal): Promise<VettedTarget> {
  // A redirect hop also names the URL whose Location it came from.
  const from = base ? { redirectedFrom: sanitizeUrl(base) } : {};
  const shown = { url: sanitizeUrl(raw).slice(0, 200), hop, ...from };
  if (raw.length > maxUrlLength) throw urlNotAllowed('invalid_url', shown);
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw urlNotAllowed('invalid_url', shown);
  }
  const at = { url: sanitizeUrl(url), hop, ...from };
  if (url.href.length > maxUrlLength) throw urlNotAllowed('invalid_url', at);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw urlNotAllowed('scheme', at);
  if (url.username || url.password) throw urlNotAllowed('credentials', at);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostname) throw urlNotAllowed('invalid_url', at);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const portAllowed = policy.allowedPorts.has(port);
  // Refuse a bad port before resolving anything: no DNS query leaves for it.
  if (!portAllowed && !mentionsPort(policy.allowList, port)) throw urlNotAllowed('port', at, { port });

  const addresses = isIP(hostname) ? [hostname] : await resolve(hostname, policy.lookup, signal, at);
  const entry = findAllowEntry(policy.allowList, { hostname, port, addresses, portAllowed });
  if (!portAllowed && !entry) throw urlNotAllowed('port', at, { port });
  const refused = addresses.map((a) => checkAddress(a)).find((c) => !c.allowed);
  if (refused && !entry) throw urlNotAllowed('address', at, { range: refused.range });
  if (entry && (refused || !portAllowed)) policy.onAllowListUse?.(at.url);
  return { url, addresses, port };
}

async function resolve(hostname: string, lookup: Lookup, signal: AbortSignal, at: { url: string; hop: number }): Promise<string[]> {
  let found: { address: string; family: number }[];
  try {
    found = await abortable(lookup(hostname), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw urlNotAllowed('dns', at);
  }
  const addresses = found.map((f) => f.address.replace(/^\[|\]$/g, ''));
  // Anything that is not a canonical IP (or no answer at all) is treated as "no such host".
  if (addresses.length === 0 || addresses.some((a) => isIP(a) === 0)) throw urlNotAllowed('dns', at);
  return addresses;
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
