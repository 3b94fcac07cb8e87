/**
 * A file's content hash is claimed by one upload at a time (stream `filehash-<sha256>`), so two
 * byte-identical uploads, even at the same moment on two servers, are told apart by the event store's
 * expected-revision check: one processes the file, the other is its duplicate. An upload that does not
 * end validated gives the claim back, so the same file can be uploaded again.
 */

export interface FileClaimed {
  type: 'FileClaimed';
  data: { sha256: string; uploadId: string; claimedAt: string };
}

export interface FileClaimReleased {
  type: 'FileClaimReleased';
  data: { sha256: string; uploadId: string; reason: string; releasedAt: string };
}

export type FileClaimEvent = FileClaimed | FileClaimReleased;

export const FILE_CLAIM_STREAM_PREFIX = 'filehash-';
export const fileClaimStreamName = (sha256: string): string => `${FILE_CLAIM_STREAM_PREFIX}${sha256}`;

/** Who holds the claim after these events (in stream order), or null when nobody does. */
export function claimHolder(events: readonly FileClaimEvent[]): string | null {
  let holder: string | null = null;
  for (const event of events) {
    switch (event.type) {
      case 'FileClaimed':
        holder = event.data.uploadId;
        break;
      case 'FileClaimReleased':
        if (holder === event.data.uploadId) holder = null;
        break;
      default: {
        const unhandled: never = event;
        throw new Error(`unhandled claim event ${JSON.stringify(unhandled)}`);
      }
    }
  }
  return holder;
}
