import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A webhook URL refused: not http(s), not resolvable, or pointing into a private network. */
export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

const V4_PRIVATE: Array<[number, number]> = [
  [0x00000000, 8], // "this" network
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata services live here)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether an IP address is loopback, private, link-local, unspecified, multicast or reserved. */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const n = v4Number(address);
    return V4_PRIVATE.some(([base, bits]) => n >>> (32 - bits) === base >>> (32 - bits));
  }
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped !== null) return isPrivateAddress(mapped[1]!);
  if (lower === '::' || lower === '::1') return true;
  const first = parseInt(lower.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

export type Resolve = (host: string) => Promise<string[]>;

export const resolveAll: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * Checks a webhook target: http or https only; unless private targets are allowed, every address the
 * host resolves to must be public (checked again before each delivery, so a name that later resolves
 * inside the network is refused then).
 */
export async function checkTarget(url: string, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookTargetError(`url '${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WebhookTargetError(`url '${url}': only http and https are delivered to`);
  }
  if (allowPrivate) return parsed;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : await resolve(host);
  } catch (error) {
    throw new WebhookTargetError(`url '${url}': host ${host} does not resolve (${(error as Error).message})`);
  }
  const inside = addresses.find(isPrivateAddress);
  if (inside !== undefined) {
    throw new WebhookTargetError(
      `url '${url}': ${host} is ${inside}, a private or local address; set WEBHOOK_ALLOW_PRIVATE=true to deliver inside the network`,
    );
  }
  return parsed;
}
