import type { FileValidated } from '../../domain/readings/events';
import { UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import type { BillingProgram, BillingProjectionStore } from '../../ports/billing-read-model';
import type { RecordedEvent } from '../../ports/event-store';
import type { Projection } from '../projection';
import { breather, prepareUpload } from './preparation';
import { billingProgram } from './program';
import { DEFAULT_BILLING_LIMITS, type BillingLimits, type BillingRules } from './rules';
import { BILLING_PROJECTION } from '../../ports/projection-names';

/** The upload a `FileValidated` makes take effect (not a duplicate's), or null for any other event. */
function takesEffect(event: RecordedEvent): { uploadId: string; validated: FileValidated['data'] } | null {
  if (event.type !== 'FileValidated' || !event.streamName.startsWith(UPLOAD_STREAM_PREFIX)) return null;
  const validated = event.data as FileValidated['data'];
  if (validated.duplicateOf !== null) return null;
  return { uploadId: event.streamName.slice(UPLOAD_STREAM_PREFIX.length), validated };
}

/**
 * Daily usage, prices and invoices. A readings event's batch is staged as it is (its binary payload)
 * until its upload's `FileValidated`; then the upload's readings take effect all at once: gathered per
 * meter-day, each overlaid on the billed day (the later validated file wins every reading it holds),
 * totalled and priced once. A rejected, failed or interrupted upload's staged batches are dropped. A
 * price day re-prices that day's meter-days. The invoices of every (meter, month) touched are re-summed
 * from their days. A batch is one program run in one atomic commit with the checkpoint; an applied
 * upload is recorded in the same commit, so a redelivered `FileValidated` changes nothing.
 */
export class BillingProjection implements Projection {
  readonly name = BILLING_PROJECTION;

  constructor(
    readonly store: BillingProjectionStore,
    readonly rules: BillingRules,
    readonly limits: BillingLimits = DEFAULT_BILLING_LIMITS,
  ) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  /**
   * Handles a batch in order. An upload's readings are prepared ahead, as they come: after each commit
   * that staged some of its batches, they are gathered per meter-day, overlaid on the billed days and
   * priced, into pending rows readers do not see, a few staged batches per commit, while the file is
   * still being validated. Its `FileValidated` then prepares what is left and one commit applies every
   * pending day (inside the store, no day through JavaScript), so readers see the upload whole or not
   * at all. A preparation made over billed days or prices that changed since (another upload applied, a
   * price day) is stale and is done again from the staged batches at the `FileValidated`; so is one
   * made ahead at the server's resolution when validation found other intervals. The event loop is free
   * between commits. The events before a `FileValidated` commit first, so its preparation sees what
   * they did.
   */
  async handle(events: readonly RecordedEvent[]): Promise<void> {
    let from = 0;
    for (let i = 0; i < events.length; i++) {
      const effect = takesEffect(events[i]!);
      if (effect === null) continue;
      if (i > from) await this.commit(events.slice(from, i));
      await this.prepare(effect.uploadId, effect.validated);
      await this.store.run(() => this.program(events.slice(i, i + 1)));
      await breather();
      from = i + 1;
    }
    if (from < events.length) await this.commit(events.slice(from));
  }

  /** Commits events (no upload takes effect among them), then prepares ahead the uploads they staged readings of. */
  private async commit(events: readonly RecordedEvent[]): Promise<void> {
    await this.store.run(() => this.program(events));
    const staging = new Set<string>();
    for (const event of events) {
      if (event.type === 'ReadingsAccepted' && event.streamName.startsWith(UPLOAD_STREAM_PREFIX))
        staging.add(event.streamName.slice(UPLOAD_STREAM_PREFIX.length));
    }
    for (const uploadId of staging) {
      await breather();
      await this.prepare(uploadId, null);
    }
  }

  /**
   * Overlays the upload's staged batches not yet in its pending days (`preparation.ts`), a page of them
   * per commit.
   */
  private prepare(uploadId: string, validated: FileValidated['data'] | null): Promise<void> {
    return prepareUpload(this, uploadId, validated);
  }

  /** The program for a batch of events, as the store runs it (`program.ts`). */
  program(events: readonly RecordedEvent[]): BillingProgram {
    return billingProgram(this, events);
  }
}
