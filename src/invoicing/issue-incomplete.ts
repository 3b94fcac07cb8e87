import { EventStoreUnavailableError, StorageUnavailableError } from '../ports/event-store';
import { ReadStoreUnavailableError } from '../ports/read-store-errors';

/**
 * An issue run stopped part-way (the log's disk full or failing, a backend gone): the invoices it
 * issued before are issued for good, and the caller is told which. `cause` says why it stopped. Running
 * the same issue again issues the rest: those already issued count as issued, none twice.
 */
export class IssueIncompleteError extends Error {
  constructor(
    /** The numbers issued by this run before it stopped, in the order issued. */
    readonly issued: readonly string[],
    /** How many invoices the run set out to issue (its drafts). */
    readonly drafts: number,
    /** The log position of the last issued invoice (null: none). */
    readonly position: string | null,
    override readonly cause: unknown,
  ) {
    const why =
      cause instanceof StorageUnavailableError ||
      cause instanceof EventStoreUnavailableError ||
      cause instanceof ReadStoreUnavailableError
        ? cause.message
        : 'an unexpected failure';
    const span = issued.length === 0 ? '' : ` (${issued[0]}${issued.length > 1 ? ` to ${issued.at(-1)}` : ''})`;
    super(
      `issued ${issued.length} of the ${drafts} drafts${span} before it stopped: ${why}. ` +
        `Those issued stand (listed in extensions.issued); the rest were not issued: run issueInvoices again ` +
        'once the cause is mended, and it issues only the rest',
      { cause },
    );
    this.name = 'IssueIncompleteError';
  }
}
