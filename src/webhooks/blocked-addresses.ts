import { BlockList, isIP } from 'node:net';

/**
 * IPv4 ranges webhooks may not reach unless WEBHOOK_ALLOW_PRIVATE_TARGETS: "this network",
 * private (RFC 1918), carrier-grade NAT, loopback, link-local (cloud metadata at 169.254.169.254
 * included), IETF protocol assignments, benchmarking, multicast and reserved (broadcast included).
 */
const BLOCKED_IPV4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED_IPV4.addSubnet(network, prefix, 'ipv4');

/**
 * IPv6 ranges refused whatever they carry: unspecified and loopback, NAT64 local-use (its
 * translator is the operator's own), unique-local (fd00:ec2::254 metadata included), link-local,
 * site-local and multicast. Forms that embed an IPv4 address are judged by that address
 * (`embeddedIpv4`), not here. Kept apart from the IPv4 list: Node's BlockList matches IPv4
 * addresses against IPv4-mapped IPv6 rules and the other way round.
 */
const BLOCKED_IPV6 = new BlockList();
for (const [network, prefix] of [
  ['::', 127],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED_IPV6.addSubnet(network, prefix, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (zone already removed), a dotted IPv4 tail included. */
function hextets(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, dotted.index);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const [head = '', rest] = text.split('::');
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length - tail.length;
  return [...left, ...new Array<number>(zeros).fill(0), ...right, ...tail];
}

const ipv4 = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
const zero = (groups: number[]): boolean => groups.every((group) => group === 0);

/**
 * The IPv4 addresses an IPv6 address carries and a connection to it can end up at:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
 * NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::` and Teredo `2001:0:SSSS:SSSS::` (its server
 * in bits 32–63, its client in the last 32 bits with every bit inverted).
 */
export function embeddedIpv4(address: string): string[] {
  const h = hextets(address);
  if (zero(h.slice(0, 5)) && h[5] === 0xffff) return [ipv4(h[6]!, h[7]!)];
  if (zero(h.slice(0, 4)) && h[4] === 0xffff && h[5] === 0) return [ipv4(h[6]!, h[7]!)];
  if (zero(h.slice(0, 6))) return [ipv4(h[6]!, h[7]!)];
  if (h[0] === 0x64 && h[1] === 0xff9b && zero(h.slice(2, 6))) return [ipv4(h[6]!, h[7]!)];
  if (h[0] === 0x2002) return [ipv4(h[1]!, h[2]!)];
  if (h[0] === 0x2001 && h[1] === 0) return [ipv4(h[2]!, h[3]!), ipv4(h[6]! ^ 0xffff, h[7]! ^ 0xffff)];
  return [];
}

/**
 * The address that makes `address` one webhooks may not reach (itself, or the IPv4 it carries),
 * or null when it may be reached. Anything that is not an IP address is refused.
 */
export function blockingAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return BLOCKED_IPV4.check(address, 'ipv4') ? address : null;
  if (family !== 6) return address;
  const unscoped = address.replace(/%.*$/, '');
  const carried = embeddedIpv4(unscoped).find((embedded) => BLOCKED_IPV4.check(embedded, 'ipv4'));
  if (carried !== undefined) return carried;
  return BLOCKED_IPV6.check(unscoped, 'ipv6') ? address : null;
}
