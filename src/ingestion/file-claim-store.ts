import type { FileClaimEvent } from '../domain/readings/file-claims';
import { claimHolder, fileClaimStreamName } from '../domain/readings/file-claims';
import type { EventStore, ExpectedRevision } from '../ports/event-store';
import { WrongExpectedRevisionError } from '../ports/event-store';
import { fileClaimEventId } from './event-ids';

/** The file-hash claims (`filehash-<sha256>` streams): who holds a file's claim, taking and giving it back. */
export class FileClaims {
  constructor(
    private readonly eventStore: EventStore,
    private readonly now: () => Date,
  ) {}

  async read(sha256: string): Promise<{ holder: string | null; revision: ExpectedRevision }> {
    const events: FileClaimEvent[] = [];
    let revision: ExpectedRevision = 'no_stream';
    for await (const recorded of this.eventStore.readStream(fileClaimStreamName(sha256))) {
      events.push({ type: recorded.type, data: recorded.data } as FileClaimEvent);
      revision = recorded.revision;
    }
    return { holder: claimHolder(events), revision };
  }

  /** Takes the claim if the stream is still at `revision`; false when another upload changed it first. */
  async take(sha256: string, uploadId: string, revision: ExpectedRevision): Promise<boolean> {
    const event: FileClaimEvent = {
      type: 'FileClaimed',
      data: { sha256, uploadId, claimedAt: this.now().toISOString() },
    };
    return this.write(sha256, event, revision);
  }

  /** Gives the claim back if `uploadId` holds it (re-reading the stream unless the revision is known). */
  async release(sha256: string, uploadId: string, reason: string, knownRevision?: ExpectedRevision): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let revision = knownRevision;
      if (revision === undefined || attempt > 0) {
        const claim = await this.read(sha256);
        if (claim.holder !== uploadId) return;
        revision = claim.revision;
      }
      const event: FileClaimEvent = {
        type: 'FileClaimReleased',
        data: { sha256, uploadId, reason, releasedAt: this.now().toISOString() },
      };
      if (await this.write(sha256, event, revision)) return;
    }
  }

  private async write(sha256: string, event: FileClaimEvent, revision: ExpectedRevision): Promise<boolean> {
    const next = revision === 'no_stream' ? 0 : Number(revision) + 1;
    const id = fileClaimEventId(sha256, event.type, event.data.uploadId, next);
    try {
      await this.eventStore.appendToStream(fileClaimStreamName(sha256), [{ id, type: event.type, data: event.data }], {
        expectedRevision: revision,
      });
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }
}
