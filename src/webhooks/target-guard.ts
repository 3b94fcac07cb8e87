import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** A webhook URL refused: not http(s), not resolvable, or pointing into a private network. */
export class WebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetError';
  }
}

/**
 * IPv4 blocks a webhook may not reach: everything in IANA's IPv4 Special-Purpose Address Registry that is
 * not globally reachable, plus multicast and the reserved block.
 */
const V4_SPECIAL: Array<[number, number]> = [
  [0x00000000, 8], // 0/8 "this" network
  [0x0a000000, 8], // 10/8 private
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // 127/8 loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata services live here)
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2/24 documentation
  [0xc0586300, 24], // 192.88.99/24 6to4 relay anycast
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xc6336400, 24], // 198.51.100/24 documentation
  [0xcb007100, 24], // 203.0.113/24 documentation
  [0xe0000000, 4], // 224/4 multicast
  [0xf0000000, 4], // 240/4 reserved, and the broadcast address
];

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function isSpecialV4(n: number): boolean {
  return V4_SPECIAL.some(([base, bits]) => n >>> (32 - bits) === base >>> (32 - bits));
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted quad read), or null. */
export function ipv6Groups(address: string): number[] | null {
  const zone = address.indexOf('%'); // a zone id says nothing of the address
  let text = (zone === -1 ? address : address.slice(0, zone)).toLowerCase();
  const quad = /(?<!\d)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text); // from a digit run's start only: linear
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * Whether a webhook may not reach an address: an IPv4 address in a special-purpose block, or an IPv6
 * address outside global unicast (2000::/3) or in one of its special blocks. IPv6 forms that carry an
 * IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64
 * 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address they carry: `[::ffff:127.0.0.1]` is loopback.
 */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) return isSpecialV4(v4Number(address));
  const g = ipv6Groups(address);
  if (g === null) return true; // what cannot be read is not delivered to
  const v4 = (high: number, low: number) => ((g[high]! << 16) | g[low]!) >>> 0;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return isSpecialV4(v4(6, 7)) || v4(6, 7) === 0; // mapped, compatible, ::, ::1
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return isSpecialV4(v4(6, 7)); // translated
  if (g[0] === 0x64 && g[1] === 0xff9b) return !zeros(2, 6) || isSpecialV4(v4(6, 7)); // NAT64 (local-use /48 refused)
  if (g[0] === 0x2002) return isSpecialV4(v4(1, 2)); // 6to4
  if ((g[0]! & 0xe000) !== 0x2000) return true; // not global unicast: ULA, link-local, multicast, discard...
  if (g[0] === 0x2001 && g[1]! < 0x200) return true; // 2001::/23 IETF protocol assignments (Teredo, benchmarking)
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // 2001:db8::/32 documentation
  if ((g[0]! & 0xfff0) === 0x3ff0) return true; // 3fff::/20 documentation
  return false;
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
