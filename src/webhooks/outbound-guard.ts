import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may not go unless WEBHOOK_ALLOW_PRIVATE_TARGETS: loopback, private (RFC 1918,
 * unique-local), carrier-grade NAT, link-local (cloud metadata at 169.254.169.254 and
 * fd00:ec2::254 included), "this network", benchmarking, multicast and reserved ranges, and every
 * IPv4-mapped or NAT64 IPv6 form (which could name any of those).
 */
const BLOCKED = new BlockList();
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
] as const) BLOCKED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127], // :: and ::1
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) BLOCKED.addSubnet(network, prefix, 'ipv6');

export const isBlockedAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Why a target cannot be reached: it resolves nowhere, or somewhere webhooks may not go. */
export class TargetRefused extends Error {
  constructor(readonly reason: 'DNS_FAILED' | 'TARGET_NOT_ALLOWED', message: string) {
    super(message);
    this.name = 'TargetRefused';
  }
}

/**
 * Resolves a URL's host once and checks every address. The caller connects to exactly these
 * addresses (never resolving again), so a DNS answer that changes between the check and the
 * connection (rebinding) cannot reach a refused address.
 */
export async function resolveTarget(hostname: string, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) addresses = [{ address: host, family: literal as 4 | 6 }];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family as 4 | 6 }));
    } catch {
      throw new TargetRefused('DNS_FAILED', `${host} does not resolve`);
    }
    if (addresses.length === 0) throw new TargetRefused('DNS_FAILED', `${host} does not resolve`);
  }
  if (!allowPrivate) {
    const blocked = addresses.find((entry) => isBlockedAddress(entry.address));
    if (blocked) throw new TargetRefused('TARGET_NOT_ALLOWED', `${host} resolves to ${blocked.address}, a loopback, private, link-local or metadata address`);
  }
  return addresses;
}
