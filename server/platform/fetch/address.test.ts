import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseAllowList } from './allow-list.ts';
import { checkAddress } from './fetcher.ts';

const corpusDir = fileURLToPath(new URL('../../../../shared/corpora/ssrf/', import.meta.url));
const registries = ['iana-ipv4-special-registry.csv', 'iana-ipv6-special-registry.csv'].map((f) => `${corpusDir}${f}`);

/** The CIDRs of an IANA registry CSV (first column; footnote marks dropped, multi-block cells split). */
function registryBlocks(file: string): string[] {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.flatMap((r) => (r['Address Block'] ?? '').split(',').map((c) => c.replace(/\[\d+\]/g, '').trim()));
}

/** First and last address of a block, in canonical form. */
function ends(cidr: string): { first: string; last: string } {
  const [addr] = ipaddr.parseCIDR(cidr);
  const first = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  const last = addr.kind() === 'ipv4' ? ipaddr.IPv4.broadcastAddressFromCIDR(cidr) : ipaddr.IPv6.broadcastAddressFromCIDR(cidr);
  return { first: first.toString(), last: last.toString() };
}

describe.skipIf(!registries.every((f) => existsSync(f)))('checkAddress over the IANA special-purpose registries', () => {
  const blocks = registries.flatMap((f) => (existsSync(f) ? registryBlocks(f) : []));

  it('reads all 45 registry rows (46 blocks)', () => expect(blocks).toHaveLength(46));

  it.each(blocks.map((cidr) => ({ cidr, ...ends(cidr) })))('refuses $cidr (first $first, last $last)', ({ first, last }) => {
    expect(checkAddress(first)).toMatchObject({ allowed: false, range: expect.any(String) });
    expect(checkAddress(last).allowed).toBe(false);
  });
});

describe('checkAddress', () => {
  // Blocks the registries leave out or list only since they were snapshotted, and IPv4 spelled as IPv6.
  const refused = [
    '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255', '0.1.2.3', '169.254.169.254', '100.100.100.200',
    'ff02::1', 'ff0e::1', 'fec0::1', '100:0:0:1::1', '3fff:fff::1', '5f00::1', 'fd00:ec2::254', 'fe80::1%eth0',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::127.0.0.1', '::ffff:0:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe', '64:ff9b:1::1', '2002:7f00:1::', '2001::1', '::', '::1', '[::1]',
    // Outside global unicast 2000::/3 although in no registry row.
    '4000::1', 'e000::1', '1::1',
    // Not canonical IPs: the fetcher only ever checks what the URL parser or the resolver produced.
    '127.1', '0x7f000001', '2130706433', 'localhost', '', '1.2.3.4.5',
  ];
  it.each(refused)('refuses %s', (ip) => expect(checkAddress(ip).allowed).toBe(false));

  const allowed = [
    '8.8.8.8', '1.1.1.1', '93.184.216.34', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '172.15.255.255',
    '172.32.0.0', '192.167.255.255', '192.169.0.0', '223.255.255.255', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e', '2001:4860:4860::8888',
  ];
  it.each(allowed)('allows %s', (ip) => expect(checkAddress(ip)).toEqual({ allowed: true }));
});

describe('parseAllowList', () => {
  it.each([
    { entry: '127.0.0.1', kind: 'net', port: undefined },
    { entry: '10.0.0.0/8', kind: 'net', port: undefined },
    { entry: 'fd00::/8', kind: 'net', port: undefined },
    { entry: '::1', kind: 'net', port: undefined },
    { entry: '[::1]:8080', kind: 'net', port: 8080 },
    { entry: '127.0.0.1:8080', kind: 'net', port: 8080 },
    { entry: 'localhost:8080', kind: 'host', port: 8080 },
    { entry: 'Intranet.Example', kind: 'host', port: undefined },
  ])('accepts $entry', ({ entry, kind, port }) => {
    const [parsed] = parseAllowList([entry]);
    expect(parsed).toMatchObject({ kind, source: entry });
    expect(parsed?.port).toBe(port);
  });

  it('lists every bad entry at once', () => {
    expect(() => parseAllowList(['ok.example', 'http://x', 'a b', 'host:99999', '10.0.0.0/33'])).toThrow(/http:\/\/x, a b, host:99999, 10\.0\.0\.0\/33/);
  });
});
