import type { UploadEvent } from '../../domain/readings/events';
import { isUploadEvent, UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import type { RecordedEvent } from '../../ports/event-store';
import type { RejectedRowRecord, UploadProjectionStore } from '../../ports/upload-read-model';
import type { Projection } from '../projection';
import { evolveUploadStatus } from './evolve';

/** Rejected rows of an event, keyed by (upload, line) so a redelivery inserts nothing new. */
export function rejectedRowsOf(event: UploadEvent): RejectedRowRecord[] {
  if (event.type !== 'RowsRejected') return [];
  return event.data.rows.map((row) => ({ uploadId: event.data.uploadId, ...row }));
}

/** The thin shell around `evolveUploadStatus`: load the document, fold the event, commit with the checkpoint. */
export class UploadStatusProjection implements Projection {
  readonly name = 'upload-status';
  readonly version = 1;

  constructor(private readonly store: UploadProjectionStore) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  async handle(recorded: RecordedEvent): Promise<void> {
    if (!recorded.streamName.startsWith(UPLOAD_STREAM_PREFIX) || !isUploadEvent(recorded)) return;
    const event = { type: recorded.type, data: recorded.data } as UploadEvent;
    const uploadId = recorded.streamName.slice(UPLOAD_STREAM_PREFIX.length);
    const current = (await this.store.loadUploads([uploadId])).get(uploadId) ?? null;
    const next = evolveUploadStatus(current, { event, revision: recorded.revision, position: recorded.position });
    await this.store.commit({
      uploads: next !== null && next !== current ? [next] : [],
      rejectedRows: next !== current ? rejectedRowsOf(event) : [],
      checkpoint: recorded.position,
    });
  }
}
