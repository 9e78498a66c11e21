import { isIP } from 'node:net';
import { appError } from '../errors.ts';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Normalizes and checks a site's allowed domains: exact hosts (IDN to punycode), optional port,
 * `*.example.com` only as an explicit entry with at least two labels after it; `localhost`
 * only outside production; no other IP addresses. Throws `validation_failed` naming each bad entry.
 */
export function normalizeDomains(entries: string[], production: boolean): string[] {
  const bad: { field: string; problem: string }[] = [];
  const out = new Set<string>();
  entries.forEach((entry, i) => {
    const wildcard = entry.startsWith('*.');
    const rest = wildcard ? entry.slice(2) : entry;
    let host: string;
    let port = '';
    try {
      const url = new URL(`http://${rest}`);
      if (url.pathname !== '/' || url.username || url.search) throw new Error('not a host');
      host = url.hostname;
      port = url.port;
    } catch {
      bad.push({ field: `domains.${i}`, problem: 'not a valid host' });
      return;
    }
    const bareIp = isIP(host.replace(/^\[|\]$/g, '')) !== 0;
    if (loopbackHosts.has(host)) {
      if (production) bad.push({ field: `domains.${i}`, problem: 'localhost is allowed only outside production' });
    } else if (bareIp) {
      bad.push({ field: `domains.${i}`, problem: 'use a host name, not an IP address' });
      return;
    } else if (!host.includes('.') || host.endsWith('.') || host.split('.').some((l) => l.length === 0 || l.length > 63)) {
      bad.push({ field: `domains.${i}`, problem: 'not a valid host' });
      return;
    }
    if (wildcard && host.split('.').length < 2) {
      bad.push({ field: `domains.${i}`, problem: 'a wildcard needs a domain with at least two labels, e.g. *.example.com' });
      return;
    }
    out.add(`${wildcard ? '*.' : ''}${host}${port ? `:${port}` : ''}`);
  });
  if (bad.length) throw appError('validation_failed', `Some domains are not valid: ${bad.map((b) => b.field).join(', ')}.`, { fields: bad });
  return [...out];
}
