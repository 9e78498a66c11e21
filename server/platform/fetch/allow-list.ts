import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { inNet } from './address.ts';

/**
 * One operator allow-list entry: a host name (matches the URL's host, whatever it resolves to) or
 * an address/CIDR (matches the resolved addresses). With a port, it permits exactly that port even
 * when it is not an allowed port; without one, only the allowed ports.
 */
export type AllowEntry =
  | { kind: 'host'; host: string; port?: number; source: string }
  | { kind: 'net'; net: [ipaddr.IPv4 | ipaddr.IPv6, number]; port?: number; source: string };

/** Parses `FETCH_ALLOW_LIST` entries (`127.0.0.1`, `10.0.0.0/8`, `[::1]:8080`, `localhost:8080`); throws listing every bad one. */
export function parseAllowList(entries: readonly string[]): AllowEntry[] {
  const bad: string[] = [];
  const parsed = entries.map((raw) => {
    const entry = parseEntry(raw.trim());
    if (!entry) bad.push(raw);
    return entry;
  });
  if (bad.length) throw new Error(`Invalid fetch allow-list entries (expected host[:port], ip[:port], [ipv6][:port] or cidr): ${bad.join(', ')}`);
  return parsed.filter((e): e is AllowEntry => e !== null);
}

function parseEntry(source: string): AllowEntry | null {
  if (source.includes('/')) {
    if (!ipaddr.isValidCIDR(source)) return null;
    const [addr, bits] = ipaddr.parseCIDR(source);
    return isIP(addr.toString()) ? { kind: 'net', net: [addr, bits], source } : null;
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(source);
  if (bracketed) [, host = '', portText] = bracketed;
  else if (isIP(source) === 6) host = source;
  else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(source);
    if (!m) return null;
    [, host = '', portText] = m;
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) return null;
  const withPort = port === undefined ? {} : { port };
  if (isIP(host)) return { kind: 'net', net: [ipaddr.parse(host), isIP(host) === 4 ? 32 : 128], ...withPort, source };
  let normalized: string;
  try {
    // The same normalization a fetched URL gets: lower case, punycode, IPv4 short forms.
    normalized = new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
  if (isIP(normalized)) return { kind: 'net', net: [ipaddr.parse(normalized), 32], ...withPort, source };
  return { kind: 'host', host: normalized, ...withPort, source };
}

/** The entry that covers this target (host name, port and every resolved address), if any. */
export function findAllowEntry(
  list: readonly AllowEntry[],
  target: { hostname: string; port: number; addresses: readonly string[]; portAllowed: boolean },
): AllowEntry | undefined {
  return list.find((e) => {
    if (e.port === undefined ? !target.portAllowed : e.port !== target.port) return false;
    if (e.kind === 'host') return e.host === target.hostname;
    return target.addresses.length > 0 && target.addresses.every((a) => inNet(a, e.net));
  });
}

/** True when some entry names this port explicitly, so a port outside the allowed list may still pass. */
export function mentionsPort(list: readonly AllowEntry[], port: number): boolean {
  return list.some((e) => e.port === port);
}
