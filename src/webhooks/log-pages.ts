/**
 * Pages of the invoice streams, read for the webhooks' windows, and the documents deliveries are built
 * from. Webhooks that have read as far tend to ask for the same page next: the last few full pages are
 * kept (a page in flight is shared), so a hundred webhooks read the log about once, not a hundred times.
 */
import { INVOICE_STREAM_PREFIX } from '../domain/accounts/events';
import type { EventStore, RecordedEvent } from '../ports/event-store';

/** Full pages kept; a page is `pageSize` events. */
const PAGES_KEPT = 4;

export class LogPages {
  private readonly pages = new Map<string, Promise<RecordedEvent[]>>();
  /** Documents read lately (of short pages too), most recently used last: webhooks send the same ones. */
  private readonly documents = new Map<string, RecordedEvent>();
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly eventStore: EventStore,
    private readonly pageSize: number,
  ) {}

  private compare(a: string, b: string): number {
    return this.eventStore.comparePositions(a, b);
  }

  /**
   * The next page of invoice-stream events after a position. A page read after an earlier position whose
   * first event comes after this one is this one's page too (no invoice event lies between): webhooks
   * registered one after another before the same invoices share their first page, and move together.
   */
  async after(position: string): Promise<RecordedEvent[]> {
    for (const [key, page] of [...this.pages]) {
      if (this.compare(key, position) > 0) continue;
      const events = await page.catch(() => null);
      if (events === null) continue;
      const first = events[0];
      if (first === undefined ? key === position : this.compare(first.position, position) > 0) {
        this.pages.delete(key); // most recently used last
        this.pages.set(key, page);
        return events;
      }
    }
    const read = this.read(position);
    this.pages.set(position, read);
    while (this.pages.size > PAGES_KEPT) this.pages.delete(this.pages.keys().next().value!);
    // A short page (the head of the log) or a failed read is not kept: the log grows past it.
    read.then(
      (events) => {
        for (const recorded of events) this.keep(recorded);
        if (events.length < this.pageSize) this.forget(position, read);
      },
      () => this.forget(position, read),
    );
    return read;
  }

  /** A document by its stream and revision: from a kept page when there, else read back. */
  async document(eventId: string, streamName: string, revision: number): Promise<RecordedEvent> {
    const kept = this.documents.get(eventId);
    if (kept !== undefined) {
      this.keep(kept);
      return kept;
    }
    for await (const recorded of this.eventStore.readStream(streamName, { fromRevision: revision, maxCount: 1 })) {
      if (recorded.id === eventId) {
        this.keep(recorded);
        return recorded;
      }
    }
    throw new Error(`the document ${eventId} is no longer at ${streamName}@${revision} in the log`);
  }

  private keep(recorded: RecordedEvent): void {
    this.documents.delete(recorded.id);
    this.documents.set(recorded.id, recorded);
    // Two pages' worth: what the windows of webhooks that move together are sending.
    while (this.documents.size > 2 * this.pageSize) this.documents.delete(this.documents.keys().next().value!);
  }

  private forget(position: string, read: Promise<RecordedEvent[]>): void {
    if (this.pages.get(position) === read) this.pages.delete(position);
  }

  /**
   * Reads wait their turn, one page per turn of the event loop: the webhooks' windows ask for pages all
   * at once (a hundred after an issue), and read together they would hold the loop for seconds.
   */
  private read(position: string): Promise<RecordedEvent[]> {
    const read = this.turn
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => this.readNow(position));
    this.turn = read.catch(() => undefined);
    return read;
  }

  private async readNow(position: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const options = { after: position, maxCount: this.pageSize, streamPrefixes: [INVOICE_STREAM_PREFIX] };
    for await (const recorded of this.eventStore.readAll(options)) events.push(recorded);
    return events;
  }
}
