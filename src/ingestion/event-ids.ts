import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '../common/name-based-uuid';

/**
 * Event ids of the ingestion streams. An id must be the same for a retried append of the same event
 * (the store then keeps it once) and differ for any other event: the store takes a known id for a retry
 * and drops the append. So each id names everything that tells two events apart that a retry shares.
 */

/** One writer of an upload's stream (an `UploadStream`): a retry of its appends comes from it alone. */
export const newStreamWriter = (): string => randomUUID();

/**
 * The id of the n-th event of an upload, of this type, by this writer. The writer is why two processes
 * can never share one: a second server that marked the upload INTERRUPTED at revision n once took the
 * id of the first server's n-th event (a batch of readings), which the store then dropped as a retry.
 * Ids stored by older versions (`uploadId/n`) stay as they are: ids are compared, never recomputed.
 */
export function uploadEventId(uploadId: string, writer: string, index: number, type: string): string {
  return nameBasedUuid(`upload/${uploadId}/${writer}/${index}/${type}`);
}

/**
 * The id of a file-hash claim event at `revision`: it names the upload and the event's type, so two
 * uploads racing for one revision write different events (one wins) while a retry of the same write is
 * recognised. The same name as before: a claim given back twice is one release.
 */
export function fileClaimEventId(sha256: string, type: string, uploadId: string, revision: number): string {
  return nameBasedUuid(`filehash/${sha256}/${type}/${uploadId}/${revision}`);
}
