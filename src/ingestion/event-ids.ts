import { createHash } from 'node:crypto';

/**
 * The id of the n-th event of an upload, derived from both, in UUID form (EventStoreDB requires UUIDs):
 * a retried append carries the same ids and so is stored once.
 */
export function uploadEventId(uploadId: string, index: number): string {
  const bytes = createHash('sha1').update(`${uploadId}/${index}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5 (name-based, SHA-1)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
