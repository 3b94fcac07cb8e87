import { decideUpload, type UploadStep } from '../domain/readings/upload-decider';
import { evolveUploadStatus, type UploadStatusDoc } from '../domain/readings/upload-status';
import { uploadStreamName } from '../domain/readings/events';
import type { EventStore, ExpectedRevision } from '../ports/event-store';
import { WrongExpectedRevisionError } from '../ports/event-store';
import { newStreamWriter, uploadEventId } from './event-ids';
import { UploadIdInUseError } from './upload-errors';

/**
 * One upload's stream as the write side keeps it: each step is decided against the upload's state
 * (`decideUpload`), appended with the exact expected revision and a deterministic id, and folded into
 * the state (`evolveUploadStatus`, as the upload-status projection folds it).
 */
export class UploadStream {
  private revision: ExpectedRevision;
  private appended: number;
  private current: UploadStatusDoc | null;
  /** The log position of the last event appended here ('' before the first). */
  position = '';

  /**
   * `state`: the upload as its stream stands, to go on from (an unfinished upload being interrupted).
   * `writer`: names this writer in its events' ids, so no other writer's event can pass for a retry of one.
   */
  constructor(
    private readonly eventStore: EventStore,
    readonly uploadId: string,
    private readonly now: () => Date,
    state: UploadStatusDoc | null = null,
    private readonly writer: string = newStreamWriter(),
  ) {
    this.current = state;
    this.revision = state === null ? 'no_stream' : state.revision;
    this.appended = state === null ? 0 : state.revision + 1;
  }

  get started(): boolean {
    return this.appended > 0;
  }

  /** The upload as the events appended so far make it (null before it was landed). */
  get state(): UploadStatusDoc | null {
    return this.current;
  }

  async exists(): Promise<boolean> {
    for await (const event of this.eventStore.readStream(uploadStreamName(this.uploadId), { maxCount: 1 })) {
      return event !== undefined;
    }
    return false;
  }

  /** Records the step; `payload`, when given, is what is stored instead of the event's JSON data. */
  async record(step: UploadStep, payload?: Uint8Array): Promise<string> {
    const event = decideUpload(step, this.current, this.uploadId, this.now());
    try {
      const result = await this.eventStore.appendToStream(
        uploadStreamName(this.uploadId),
        [
          {
            id: uploadEventId(this.uploadId, this.writer, this.appended, event.type),
            type: event.type,
            data: payload ?? event.data,
          },
        ],
        { expectedRevision: this.revision },
      );
      this.revision = result.nextExpectedRevision;
      this.appended += 1;
      this.position = result.position;
      this.current = evolveUploadStatus(this.current, {
        event,
        revision: result.nextExpectedRevision,
        position: result.position,
      });
      return result.position;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && this.appended === 0)
        throw new UploadIdInUseError(this.uploadId);
      throw error;
    }
  }
}
