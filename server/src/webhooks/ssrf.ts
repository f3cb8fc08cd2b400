// Outgoing requests to URLs a user configured must not reach the server's own network: the host is
// resolved once, every address is checked (no loopback, private, link-local, unique-local, CGNAT,
// multicast or unspecified address unless the admin allowed it in WEBHOOK_ALLOW_ADDRESSES), and the
// request connects to exactly that checked address (pinned: no second lookup can swap it).
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ErrorCode } from '@servus/shared';
import { ServusError } from '../core/errors.js';

/** Ranges no webhook may reach by default. */
const BLOCKED: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
];

export interface AddressPolicy {
  /** True when the address may be connected to. */
  allows(address: string): boolean;
}

/**
 * `allow`: addresses or CIDR ranges an admin explicitly opened (e.g. `127.0.0.1` for a receiver on the
 * same machine, `10.1.2.0/24` for an internal CRM).
 */
export function createAddressPolicy(allow: readonly string[] = []): AddressPolicy {
  const blocked = new BlockList();
  for (const [net, prefix, type] of BLOCKED) blocked.addSubnet(net, prefix, type);
  const allowed = new BlockList();
  for (const entry of allow) {
    const [net, prefix] = entry.split('/');
    const type = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(net ?? '')) throw new Error(`not an IP address or range: ${entry}`);
    if (prefix === undefined) allowed.addAddress(net!, type);
    else allowed.addSubnet(net!, Number(prefix), type);
  }
  return {
    allows(address) {
      let addr = address;
      let type: 'ipv4' | 'ipv6' = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      // An IPv4-mapped IPv6 address is the IPv4 address it maps.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
      if (mapped) {
        addr = mapped[1]!;
        type = 'ipv4';
      }
      if (!isIP(addr)) return false;
      if (allowed.check(addr, type)) return true;
      return !blocked.check(addr, type);
    },
  };
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** The checked address a URL's host resolves to, or a FORBIDDEN error naming why not. */
export async function resolveSafely(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServusError(ErrorCode.FORBIDDEN, 'Only http and https URLs.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new ServusError(ErrorCode.NOT_FOUND, `The host ${host} does not resolve.`);
    }
  }
  if (!addresses.length) throw new ServusError(ErrorCode.NOT_FOUND, `The host ${host} does not resolve.`);
  // Every address must be allowed: a name that also points inside is refused as a whole.
  const refused = addresses.find((a) => !policy.allows(a.address));
  if (refused) throw new ServusError(ErrorCode.FORBIDDEN, `The address ${refused.address} is private, loopback or link-local; refused.`);
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
