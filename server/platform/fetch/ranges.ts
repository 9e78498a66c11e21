/** An address block the fetcher never connects to, with a short label for errors and logs. */
export interface SpecialRange {
  cidr: string;
  name: string;
}

// The IANA IPv4 and IPv6 special-purpose address registries (every row, globally reachable or
// not), plus what they leave out: multicast, site-local, and the rows added after 2023-03.
// Hard-coded on purpose: the deny-list must not depend on a file or a network at run time.

/** IPv4 blocks that are refused: the IANA special-purpose registry plus multicast. */
export const specialIpv4: readonly SpecialRange[] = [
  { cidr: '0.0.0.0/8', name: 'this network' },
  { cidr: '0.0.0.0/32', name: 'this host' },
  { cidr: '10.0.0.0/8', name: 'private use' },
  { cidr: '100.64.0.0/10', name: 'shared address space (CGNAT)' },
  { cidr: '127.0.0.0/8', name: 'loopback' },
  { cidr: '169.254.0.0/16', name: 'link-local (cloud metadata)' },
  { cidr: '172.16.0.0/12', name: 'private use' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments' },
  { cidr: '192.0.0.0/29', name: 'IPv4 service continuity prefix' },
  { cidr: '192.0.0.8/32', name: 'IPv4 dummy address' },
  { cidr: '192.0.0.9/32', name: 'port control protocol anycast' },
  { cidr: '192.0.0.10/32', name: 'traversal using relays around NAT anycast' },
  { cidr: '192.0.0.170/32', name: 'NAT64/DNS64 discovery' },
  { cidr: '192.0.0.171/32', name: 'NAT64/DNS64 discovery' },
  { cidr: '192.0.2.0/24', name: 'documentation (TEST-NET-1)' },
  { cidr: '192.31.196.0/24', name: 'AS112 anycast' },
  { cidr: '192.52.193.0/24', name: 'automatic multicast tunneling' },
  { cidr: '192.88.99.0/24', name: 'deprecated 6to4 relay anycast' },
  { cidr: '192.168.0.0/16', name: 'private use' },
  { cidr: '192.175.48.0/24', name: 'direct delegation AS112 service' },
  { cidr: '198.18.0.0/15', name: 'benchmarking' },
  { cidr: '198.51.100.0/24', name: 'documentation (TEST-NET-2)' },
  { cidr: '203.0.113.0/24', name: 'documentation (TEST-NET-3)' },
  { cidr: '224.0.0.0/4', name: 'multicast' },
  { cidr: '240.0.0.0/4', name: 'reserved' },
  { cidr: '255.255.255.255/32', name: 'limited broadcast' },
];

/**
 * IPv6 blocks that are refused: the IANA special-purpose registry, the rows added since, multicast,
 * site-local, and every prefix that embeds an IPv4 address (mapped, compatible, translated, NAT64,
 * 6to4, Teredo) so an IPv4 target cannot be reached through an IPv6 spelling.
 */
export const specialIpv6: readonly SpecialRange[] = [
  { cidr: '::1/128', name: 'loopback' },
  { cidr: '::/128', name: 'unspecified' },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped' },
  { cidr: '::/96', name: 'IPv4-compatible (deprecated)' },
  { cidr: '::ffff:0:0:0/96', name: 'IPv4-translated (SIIT)' },
  { cidr: '64:ff9b::/96', name: 'NAT64 well-known prefix' },
  { cidr: '64:ff9b:1::/48', name: 'NAT64 local-use prefix' },
  { cidr: '100::/64', name: 'discard-only' },
  { cidr: '100:0:0:1::/64', name: 'dummy IPv6 prefix' },
  { cidr: '2001::/32', name: 'Teredo' },
  { cidr: '2001:1::1/128', name: 'port control protocol anycast' },
  { cidr: '2001:1::2/128', name: 'traversal using relays around NAT anycast' },
  { cidr: '2001:2::/48', name: 'benchmarking' },
  { cidr: '2001:3::/32', name: 'automatic multicast tunneling' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6' },
  { cidr: '2001:10::/28', name: 'deprecated ORCHID' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2' },
  { cidr: '2001:30::/28', name: 'drone remote ID tags' },
  { cidr: '2001::/23', name: 'IETF protocol assignments' },
  { cidr: '2001:db8::/32', name: 'documentation' },
  { cidr: '2002::/16', name: '6to4' },
  { cidr: '2620:4f:8000::/48', name: 'direct delegation AS112 service' },
  { cidr: '3fff::/20', name: 'documentation' },
  { cidr: '5f00::/16', name: 'segment routing (SRv6) SIDs' },
  { cidr: 'fc00::/7', name: 'unique local' },
  { cidr: 'fe80::/10', name: 'link-local' },
  { cidr: 'fec0::/10', name: 'site-local (deprecated)' },
  { cidr: 'ff00::/8', name: 'multicast' },
];

/** Public IPv6 hosts live in global unicast space; anything outside it is refused as well. */
export const globalUnicastIpv6 = '2000::/3';
