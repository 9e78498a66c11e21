import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { AppError } from '../../errors.ts';
import { parseAllowList } from './allow-list.ts';
import { BodyTooLarge, readBody, UnsupportedEncoding } from './body.ts';
import { chunksOf } from './chunks.ts';
import { fetchFailed, sanitizeUrl, urlNotAllowed, type HopInfo } from './fetch-errors.ts';
import { vetUrl, type Lookup, type TargetPolicy, type VettedTarget } from './target.ts';

export { checkAddress } from './address.ts';
export type { Lookup } from './target.ts';

/** Per-call limits and request details; every field has a safe default. */
export interface FetchOptions {
  /** Accepted media types (`text/html`, `text/*`); a 2xx response of another type fails with `content_type`. */
  accept?: string[];
  /** Cap on the body, applied both on the wire and after decompression. Default 10 MB. */
  maxBytes?: number;
  /** Time allowed until each hop's response headers arrive. Default 10 s. */
  ttfbMs?: number;
  /** Time allowed for the whole call, redirects and body included. Default 30 s. */
  totalMs?: number;
  /** Extra request headers (e.g. `If-None-Match`); `Host` and `Accept-Encoding` are the fetcher's own. */
  headers?: Record<string, string>;
  /** Redirects followed before `too_many_redirects`. Default 5. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** POST is for API calls to operator-configured providers; its redirects are not followed. */
  method?: 'GET' | 'HEAD' | 'POST';
  /** Request body (POST only). */
  body?: string | Buffer;
  /** Fail with `http_status` unless the final status is 2xx or 304. */
  okOnly?: boolean;
}

/** The final response of a fetch, after redirects. */
export interface FetchResult {
  /** Final URL after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  contentType: string | null;
  body: Buffer;
  /** Every URL that answered with a redirect, in order (the final `url` is not among them). */
  redirects: string[];
}

/** A response whose body is read as it arrives (the chat provider's token stream). */
export interface StreamResult {
  status: number;
  headers: Record<string, string>;
  /** The raw body, capped at `maxBytes` and ended by the total timeout or the caller's signal. */
  body: AsyncIterable<Buffer>;
}

/** The one way anything on the server makes an outbound HTTP request. */
export interface Fetcher {
  fetch(url: string, opts?: FetchOptions): Promise<FetchResult>;
  /**
   * One request without redirects whose body streams (provider APIs): the same vetting, connect
   * rules and caps as `fetch`; the body is not decompressed (identity encoding is requested).
   */
  stream(url: string, opts?: FetchOptions): Promise<StreamResult>;
  /** Runs the same checks as a fetch's first hop (scheme, port, credentials, DNS, address) without connecting; resolves to the normalized URL. */
  vet(url: string, opts?: { signal?: AbortSignal }): Promise<string>;
  close(): Promise<void>;
}

/** Operator settings for outbound requests; `lookup` and `onAllowListUse` are the injection points. */
export interface FetcherConfig {
  /** Every port a URL may use (normally 80, 443 and the configured extras). */
  allowedPorts: number[];
  /** Hosts, addresses or CIDRs permitted even when they resolve to special-purpose addresses. */
  allowList: string[];
  /** The full `User-Agent`, e.g. `CloopBot/1.0 (+https://cloop.example/bot)`. */
  userAgent: string;
  lookup?: (host: string) => Promise<{ address: string; family: number }[]>;
  /** Called with the (sanitized) URL each time the allow-list lets a request through that would otherwise be refused. */
  onAllowListUse?: (url: string) => void;
}

const defaults = { maxBytes: 10 * 1024 * 1024, ttfbMs: 10_000, totalMs: 30_000, maxRedirects: 5 };
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
/** Headers the fetcher sets itself (or that only make sense per connection); callers cannot override them. */
const reservedHeaders = new Set(['host', 'accept-encoding', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection']);
/** Headers that must not follow a redirect to another origin. */
const credentialHeaders = ['authorization', 'cookie', 'proxy-authorization'];
/** Connection failures after which the next vetted address of the same host is tried. */
const connectErrors = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'UND_ERR_CONNECT_TIMEOUT']);

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

// Origins are always vetted IP literals, which Node connects to without a lookup; one here would be a bug.
const noLookupAtConnect: LookupFunction = (hostname, _options, callback) =>
  callback(Object.assign(new Error(`refusing a DNS lookup for ${hostname} at connect time`), { code: 'ERR_FETCHER_LOOKUP' }), '', 4);

/** Creates the SSRF-safe fetcher: vets every hop's scheme, port and resolved address, and connects only to the vetted address. */
export function createFetcher(cfg: FetcherConfig): Fetcher {
  const policy: TargetPolicy = {
    allowedPorts: new Set(cfg.allowedPorts),
    allowList: parseAllowList(cfg.allowList),
    lookup: cfg.lookup ?? defaultLookup,
    ...(cfg.onAllowListUse ? { onAllowListUse: cfg.onAllowListUse } : {}),
  };
  // TLS keeps rejectUnauthorized (the default) and verifies against the servername undici derives from Host.
  const agent = new Agent({ connect: { lookup: noLookupAtConnect } });

  /** Sends one request to the first vetted address that accepts a connection. */
  async function send(target: VettedTarget, method: string, headers: Record<string, string>, signal: AbortSignal, body?: string | Buffer): Promise<Dispatcher.ResponseData> {
    const { url, addresses, port } = target;
    for (let i = 0; ; i++) {
      const address = addresses[i] as string;
      const origin = `${url.protocol}//${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
      try {
        // `host` makes undici send the original Host header and use it as the TLS servername (SNI + certificate check).
        const path = url.pathname + url.search;
        return await agent.request({ origin, path, method: method as Dispatcher.HttpMethod, headers: { ...headers, host: url.host }, signal, ...(body !== undefined ? { body } : {}) });
      } catch (err) {
        if (i + 1 >= addresses.length || signal.aborted || !connectErrors.has(errorCode(err) ?? '')) throw err;
      }
    }
  }

  async function fetchUrl(input: string, opts: FetchOptions): Promise<FetchResult> {
    const maxBytes = opts.maxBytes ?? defaults.maxBytes;
    const ttfbMs = opts.ttfbMs ?? defaults.ttfbMs;
    const totalMs = opts.totalMs ?? defaults.totalMs;
    const maxRedirects = opts.maxRedirects ?? defaults.maxRedirects;
    const method = opts.method ?? 'GET';
    const headers = requestHeaders(cfg.userAgent, opts);

    const deadline: { hit: 'headers' | 'total' | null } = { hit: null };
    const total = new AbortController();
    const totalTimer = setTimeout(() => {
      deadline.hit ??= 'total';
      total.abort(new Error('fetch timed out'));
    }, totalMs);
    const callSignal = opts.signal ? AbortSignal.any([opts.signal, total.signal]) : total.signal;

    const redirects: string[] = [];
    let at: HopInfo = { url: sanitizeUrl(input), hop: 0 };
    let raw = input;
    let base: URL | undefined;
    try {
      for (;;) {
        const target = await vetUrl(raw, base, redirects.length, policy, callSignal);
        at = { url: sanitizeUrl(target.url), hop: redirects.length };
        const headersDue = new AbortController();
        const ttfbTimer = setTimeout(() => {
          deadline.hit ??= 'headers';
          headersDue.abort(new Error('no response headers in time'));
        }, ttfbMs);
        const hopSignal = AbortSignal.any([callSignal, headersDue.signal]);
        let res: Dispatcher.ResponseData;
        try {
          res = await send(target, method, headers, hopSignal, method === 'POST' ? opts.body : undefined);
        } finally {
          clearTimeout(ttfbTimer);
        }
        const status = res.statusCode;
        const resHeaders = flattenHeaders(res.headers);

        if (redirectStatuses.has(status) && resHeaders.location !== undefined) {
          await res.body.dump().catch(() => {});
          if (method === 'POST') throw fetchFailed('http_status', at, { status });
          if (redirects.length >= maxRedirects) throw urlNotAllowed('too_many_redirects', at, { maxRedirects });
          redirects.push(at.url);
          raw = resHeaders.location;
          base = target.url;
          dropCredentialsAcrossOrigins(headers, target.url, raw);
          continue;
        }

        const contentType = resHeaders['content-type'] ?? null;
        const fail = (err: AppError): never => {
          discard(res.body);
          throw err;
        };
        const ok = (status >= 200 && status < 300) || status === 304;
        if (opts.okOnly && !ok) fail(fetchFailed('http_status', at, { status }));
        if (opts.accept && status >= 200 && status < 300 && !accepts(contentType, opts.accept)) {
          fail(fetchFailed('content_type', at, { contentType, accept: opts.accept }));
        }
        const hasBody = method !== 'HEAD' && status !== 304 && status !== 204;
        // A declared length over the cap fails before a byte is read.
        if (hasBody && Number(resHeaders['content-length'] ?? 0) > maxBytes) fail(fetchFailed('too_large', at, { limit: maxBytes, which: 'wire' }));

        let body: Buffer = Buffer.alloc(0);
        if (!hasBody) await res.body.dump().catch(() => {});
        else {
          try {
            body = await readBody(res.body, resHeaders['content-encoding'], maxBytes, hopSignal);
          } finally {
            discard(res.body);
          }
        }
        return { url: at.url, status, headers: resHeaders, contentType, body, redirects };
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (deadline.hit) throw fetchFailed('timeout', at, { phase: deadline.hit, limitMs: deadline.hit === 'headers' ? ttfbMs : totalMs });
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (err instanceof BodyTooLarge) throw fetchFailed('too_large', at, { limit: err.limit, which: err.which });
      if (err instanceof UnsupportedEncoding) throw fetchFailed('network', at, { error: 'unsupported_content_encoding' });
      throw fetchFailed('network', at, { error: errorCode(err) ?? 'unknown' });
    } finally {
      clearTimeout(totalTimer);
    }
  }

  async function vet(input: string, signal?: AbortSignal): Promise<string> {
    const due = AbortSignal.timeout(defaults.ttfbMs);
    try {
      const target = await vetUrl(input, undefined, 0, policy, signal ? AbortSignal.any([signal, due]) : due);
      return sanitizeUrl(target.url);
    } catch (err) {
      if (due.aborted && !(err instanceof AppError)) throw fetchFailed('timeout', { url: sanitizeUrl(input), hop: 0 }, { phase: 'dns', limitMs: defaults.ttfbMs });
      throw err;
    }
  }

  async function streamUrl(input: string, opts: FetchOptions): Promise<StreamResult> {
    const maxBytes = opts.maxBytes ?? defaults.maxBytes;
    const method = opts.method ?? 'GET';
    const headers = { ...requestHeaders(cfg.userAgent, opts), 'accept-encoding': 'identity' };
    const total = new AbortController();
    const totalTimer = setTimeout(() => total.abort(new Error('fetch timed out')), opts.totalMs ?? defaults.totalMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, total.signal]) : total.signal;
    const at: HopInfo = { url: sanitizeUrl(input), hop: 0 };
    const ttfbMs = opts.ttfbMs ?? defaults.ttfbMs;
    // A timer cleared once the headers are in (AbortSignal.timeout would still fire, and allocate, later).
    const headersDue = new AbortController();
    try {
      const target = await vetUrl(input, undefined, 0, policy, signal);
      const ttfbTimer = setTimeout(() => headersDue.abort(new Error('no response headers in time')), ttfbMs);
      let res: Dispatcher.ResponseData;
      try {
        res = await send(target, method, headers, AbortSignal.any([signal, headersDue.signal]), method === 'POST' ? opts.body : undefined);
      } finally {
        clearTimeout(ttfbTimer);
      }
      const resHeaders = flattenHeaders(res.headers);
      const body = chunksOf(res.body, {
        maxBytes,
        tooLarge: () => fetchFailed('too_large', at, { limit: maxBytes, which: 'wire' }),
        failure: (err) => {
          if (total.signal.aborted) return fetchFailed('timeout', at, { phase: 'total' });
          if (opts.signal?.aborted) return opts.signal.reason;
          return fetchFailed('network', at, { error: errorCode(err) ?? 'unknown' });
        },
        finish: () => clearTimeout(totalTimer),
      });
      return { status: res.statusCode, headers: resHeaders, body };
    } catch (err) {
      clearTimeout(totalTimer);
      if (err instanceof AppError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (total.signal.aborted) throw fetchFailed('timeout', at, { phase: 'total' });
      if (headersDue.signal.aborted) throw fetchFailed('timeout', at, { phase: 'headers', limitMs: ttfbMs });
      throw fetchFailed('network', at, { error: errorCode(err) ?? 'unknown' });
    }
  }

  return {
    fetch: (url, opts = {}) => fetchUrl(url, opts),
    stream: (url, opts = {}) => streamUrl(url, opts),
    vet: (url, opts = {}) => vet(url, opts.signal),
    close: () => agent.close(),
  };
}

/** Drops an unread body; undici reports a destroyed body as an error event, which nobody needs here. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function requestHeaders(userAgent: string, opts: FetchOptions): Record<string, string> {
  const out: Record<string, string> = {
    'user-agent': userAgent,
    accept: opts.accept?.length ? opts.accept.join(', ') : '*/*',
  };
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    const key = name.toLowerCase();
    if (!reservedHeaders.has(key)) out[key] = value;
  }
  out['accept-encoding'] = 'gzip, deflate, br';
  return out;
}

/** A redirect to another origin does not carry the caller's credentials along. */
function dropCredentialsAcrossOrigins(headers: Record<string, string>, from: URL, location: string): void {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return; // the next hop's vetting refuses it
  }
  if (to.origin !== from.origin) for (const h of credentialHeaders) delete headers[h];
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Whether `contentType` matches one of the accepted media types (`type/subtype`, `type/*` or `*\/*`). */
function accepts(contentType: string | null, accept: string[]): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return accept.some((a) => {
    const want = a.trim().toLowerCase();
    if (want === '*/*') return true;
    return want.endsWith('/*') ? type.startsWith(want.slice(0, -1)) : type === want;
  });
}

function errorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause ? errorCode(cause) : undefined;
}
