import { appError, type AppError, type ErrorCode } from '../../errors.ts';

/** Why a URL (or one of its redirect hops) was refused before any connection was made. */
export type UrlRefusal = 'scheme' | 'port' | 'credentials' | 'address' | 'dns' | 'too_many_redirects' | 'invalid_url';

/** Why a permitted fetch did not produce a usable response. */
export type FetchFailure = 'timeout' | 'too_large' | 'content_type' | 'network' | 'http_status';

/** Which request of a fetch failed: `hop` 0 is the URL asked for, 1 the first redirect target, and so on. */
export interface HopInfo {
  url: string;
  hop: number;
}

const refusalMessages: Record<UrlRefusal, string> = {
  scheme: 'Only http and https addresses can be fetched.',
  port: 'This port cannot be fetched.',
  credentials: 'Addresses with a user name or password cannot be fetched.',
  address: 'This address points to a private or reserved network.',
  dns: 'This host name does not exist.',
  too_many_redirects: 'The address redirected too many times.',
  invalid_url: 'This is not a valid address.',
};

const failureMessages: Record<FetchFailure, string> = {
  timeout: 'The site took too long to answer.',
  too_large: 'The response is too large.',
  content_type: 'The response is not of an accepted content type.',
  network: 'The site could not be reached.',
  http_status: 'The site answered with an error status.',
};

/** A `url_not_allowed` (400) error naming the reason and the hop. */
export function urlNotAllowed(reason: UrlRefusal, hop: HopInfo, extra: Record<string, unknown> = {}): AppError {
  return appError('url_not_allowed' as ErrorCode, refusalMessages[reason], { reason, ...hop, ...extra });
}

/** A `fetch_failed` (502) error naming the reason and the hop. */
export function fetchFailed(reason: FetchFailure, hop: HopInfo, extra: Record<string, unknown> = {}): AppError {
  return appError('fetch_failed' as ErrorCode, failureMessages[reason], { reason, ...hop, ...extra });
}

/** The URL as safe to show and log: never any user name or password, at most 2,048 characters. */
export function sanitizeUrl(url: URL | string): string {
  if (url instanceof URL) {
    if (!url.username && !url.password) return url.href;
    const copy = new URL(url.href);
    copy.username = '';
    copy.password = '';
    return copy.href;
  }
  // An unparsable string: drop anything that looks like userinfo before the first @ of the authority.
  return url.replace(/^([^:/?#]*:[/\\]*)[^/?#\\]*@/, '$1').slice(0, 2048);
}
