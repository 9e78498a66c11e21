/**
 * Whether a request's `Origin` may use a site's widget: its host (and port, when the entry names
 * one) must equal a registered domain, or be a subdomain of an explicit `*.example.com` entry.
 * `localhost` entries work only outside production. A site with no domains answers no one.
 */
export function originAllowed(origin: string | undefined, domains: string[], production: boolean): boolean {
  if (!origin || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.origin !== origin) return false; // an Origin header is exactly scheme://host[:port]
  const host = url.hostname;
  const loopback = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  if (loopback && production) return false;
  // Plain http is only for local development.
  if (url.protocol === 'http:' && !loopback && production) return false;
  return domains.some((entry) => {
    const [entryHost, entryPort] = entry.split(/:(?=\d+$)/) as [string, string | undefined];
    if (entryPort !== undefined && entryPort !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) return false;
    if (entryHost.startsWith('*.')) return host.endsWith(entryHost.slice(1)) && host.length > entryHost.length - 1;
    return host === entryHost;
  });
}
