import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { globalUnicastIpv6, specialIpv4, specialIpv6 } from './ranges.ts';

type Block<T> = { net: [T, number]; label: string };

const v4: Block<ipaddr.IPv4>[] = specialIpv4.map((r) => ({ net: ipaddr.IPv4.parseCIDR(r.cidr), label: `${r.name} ${r.cidr}` }));
const v6: Block<ipaddr.IPv6>[] = specialIpv6.map((r) => ({ net: ipaddr.IPv6.parseCIDR(r.cidr), label: `${r.name} ${r.cidr}` }));
const globalUnicast = ipaddr.IPv6.parseCIDR(globalUnicastIpv6);

/** Whether the fetcher may connect to this IP address; `range` names the special-purpose block that refuses it. */
export function checkAddress(ip: string): { allowed: boolean; range?: string } {
  const bare = ip.replace(/^\[|\]$/g, '');
  // Only canonical spellings: ipaddr.js alone would also accept `0x7f.1`-style IPv4.
  const kind = isIP(bare);
  if (kind === 4) {
    const addr = ipaddr.IPv4.parse(bare);
    const hit = v4.find((b) => addr.match(b.net));
    return hit ? { allowed: false, range: hit.label } : { allowed: true };
  }
  if (kind === 6) {
    let addr: ipaddr.IPv6;
    try {
      addr = ipaddr.IPv6.parse(bare);
    } catch {
      return { allowed: false, range: 'not an IP address' };
    }
    const hit = v6.find((b) => addr.match(b.net));
    if (hit) return { allowed: false, range: hit.label };
    if (!addr.match(globalUnicast)) return { allowed: false, range: `outside global unicast ${globalUnicastIpv6}` };
    return { allowed: true };
  }
  return { allowed: false, range: 'not an IP address' };
}

/** True when `ip` (canonical IPv4 or IPv6) lies inside the parsed CIDR `net`; families never match each other. */
export function inNet(ip: string, net: [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  const kind = isIP(ip);
  if (kind === 0) return false;
  const addr = ipaddr.parse(ip);
  return addr.kind() === net[0].kind() && addr.match(net);
}
