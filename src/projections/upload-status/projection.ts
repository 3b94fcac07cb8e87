import type { UploadEvent } from '../../domain/readings/events';
import { toUploadEvent, UPLOAD_STREAM_PREFIX } from '../../domain/readings/events';
import type { RecordedEvent } from '../../ports/event-store';
import type { RejectedRowRecord, UploadProjectionStore } from '../../ports/upload-read-model';
import type { Projection } from '../projection';
import type { UploadStatusDoc } from '../../domain/readings/upload-status';
import { evolveUploadStatus } from '../../domain/readings/upload-status';
import { UPLOAD_STATUS_PROJECTION } from '../../ports/projection-names';

/** Rejected rows of an event, keyed by (upload, line) so a redelivery inserts nothing new. */
export function rejectedRowsOf(event: UploadEvent): RejectedRowRecord[] {
  if (event.type !== 'RowsRejected') return [];
  return event.data.rows.map((row) => ({ uploadId: event.data.uploadId, ...row }));
}

/** The thin shell around `evolveUploadStatus`: load the documents, fold the events, commit with the checkpoint. */
export class UploadStatusProjection implements Projection {
  readonly name = UPLOAD_STATUS_PROJECTION;

  constructor(private readonly store: UploadProjectionStore) {}

  getCheckpoint(): Promise<string | null> {
    return this.store.getCheckpoint();
  }

  reset(): Promise<void> {
    return this.store.reset();
  }

  async handle(events: readonly RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (last === undefined) return;
    const relevant = events.flatMap((recorded) => {
      const event = recorded.streamName.startsWith(UPLOAD_STREAM_PREFIX) ? toUploadEvent(recorded) : null;
      return event === null ? [] : [{ recorded, event }];
    });
    const ids = relevant.map(({ recorded }) => recorded.streamName.slice(UPLOAD_STREAM_PREFIX.length));
    const docs = await this.store.loadUploads(ids);
    const changed = new Map<string, UploadStatusDoc>();
    const rejectedRows: RejectedRowRecord[] = [];
    relevant.forEach(({ recorded, event }, i) => {
      const uploadId = ids[i]!;
      const current = changed.get(uploadId) ?? docs.get(uploadId) ?? null;
      const next = evolveUploadStatus(current, { event, revision: recorded.revision, position: recorded.position });
      if (next === null || next === current) return;
      changed.set(uploadId, next);
      rejectedRows.push(...rejectedRowsOf(event));
    });
    await this.store.commit({ uploads: [...changed.values()], rejectedRows, checkpoint: last.position });
  }
}
