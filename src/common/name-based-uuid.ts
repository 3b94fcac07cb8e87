import { createHash } from 'node:crypto';

/**
 * A UUID (version 5 layout, SHA-1) derived from a name: the same name always gives the same id, which
 * is what makes a retried append of the same event idempotent. EventStoreDB requires UUID event ids.
 */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha1').update(name).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
