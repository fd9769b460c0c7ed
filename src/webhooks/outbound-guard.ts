import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { blockingAddress } from './blocked-addresses.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Why a target cannot be reached: it resolves nowhere, or somewhere webhooks may not go. */
export class TargetRefused extends Error {
  constructor(
    readonly reason: 'DNS_FAILED' | 'TARGET_NOT_ALLOWED',
    message: string,
  ) {
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
    for (const { address } of addresses) {
      const blocking = blockingAddress(address);
      if (blocking === null) continue;
      const carried = blocking === address ? '' : ` (which carries ${blocking})`;
      throw new TargetRefused('TARGET_NOT_ALLOWED', `${host} resolves to ${address}${carried}, a loopback, private, link-local or metadata address`);
    }
  }
  return addresses;
}
