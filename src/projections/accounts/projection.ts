import { type AccountDoc, evolveAccount, evolveAssignments } from '../../domain/accounts/account';
import {
  ACCOUNT_STREAM_PREFIX,
  INVOICE_STREAM_PREFIX,
  METER_STREAM_PREFIX,
  toAccountsEvent,
  type AccountEvent,
  type InvoicingEvent,
  type MeterAssignmentEvent,
} from '../../domain/accounts/events';
import type { AccountsProjectionStore, IssuedDocument } from '../../ports/accounts-read-model';
import type { RecordedEvent } from '../../ports/event-store';
import type { Projection } from '../projection';
import { ACCOUNTS_PROJECTION } from '../../ports/projection-names';

/** An account after a meter's assignment event that names it (assignments are kept per account). */
export function evolveAccountMeters(doc: AccountDoc, event: MeterAssignmentEvent): AccountDoc {
  if (event.data.accountId !== doc.id) return doc;
  const others = doc.meters.filter((a) => a.meter !== event.data.meter);
  const mine = evolveAssignments(
    doc.meters.filter((a) => a.meter === event.data.meter),
    event,
  );
  const meters = [...others, ...mine].sort((a, b) =>
    a.meter === b.meter ? (a.from < b.from ? -1 : 1) : a.meter < b.meter ? -1 : 1,
  );
  return { ...doc, meters };
}

/** The issued documents an invoicing event writes: itself, and for a credit note the invoice it cancels. */
export function evolveIssued(
  event: InvoicingEvent,
  position: string,
  load: (number: string) => IssuedDocument | undefined,
): IssuedDocument[] {
  switch (event.type) {
    case 'InvoiceIssued': {
      const { replaces, ...content } = event.data;
      const existing = load(content.number);
      return [
        { ...content, kind: 'INVOICE', replaces, credits: null, creditedBy: existing?.creditedBy ?? null, position },
      ];
    }
    case 'CreditNoteIssued': {
      const { credits, ...content } = event.data;
      const note: IssuedDocument = {
        ...content,
        kind: 'CREDIT_NOTE',
        replaces: null,
        credits,
        creditedBy: null,
        position,
      };
      const original = load(credits);
      return original === undefined ? [note] : [note, { ...original, creditedBy: content.number }];
    }
    default: {
      const never: never = event;
      throw new Error(`unknown invoicing event ${JSON.stringify(never)}`);
    }
  }
}

/** Accounts with their tariffs and meters, and every issued invoice and credit note, from the log. */
export class AccountsProjection implements Projection {
  readonly name = ACCOUNTS_PROJECTION;

  constructor(private readonly store: AccountsProjectionStore) {}

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
      const ours = [ACCOUNT_STREAM_PREFIX, METER_STREAM_PREFIX, INVOICE_STREAM_PREFIX].some((p) =>
        recorded.streamName.startsWith(p),
      );
      const event = ours ? toAccountsEvent(recorded) : null;
      return event === null ? [] : [{ recorded, event }];
    });
    const accountIds = new Set<string>();
    const numbers = new Set<string>();
    for (const { event } of relevant) {
      if ('accountId' in event.data) accountIds.add(event.data.accountId);
      if (event.type === 'InvoiceIssued' || event.type === 'CreditNoteIssued') numbers.add(event.data.number);
      if (event.type === 'CreditNoteIssued') numbers.add(event.data.credits);
    }
    const accounts = await this.store.loadAccounts([...accountIds]);
    const issued = await this.store.loadIssued([...numbers]);
    const changedAccounts = new Map<string, AccountDoc>();
    const changedIssued = new Map<string, IssuedDocument>();
    for (const { recorded, event } of relevant) {
      switch (event.type) {
        case 'AccountOpened':
        case 'TariffChanged':
        case 'AccountBillingDetailsSet': {
          const id = event.data.accountId;
          const current = changedAccounts.get(id) ?? accounts.get(id) ?? null;
          const next = evolveAccount(current, event as AccountEvent, recorded.revision);
          if (next !== null && next !== current) changedAccounts.set(id, next);
          break;
        }
        case 'MeterAssigned':
        case 'MeterUnassigned': {
          const id = event.data.accountId;
          const current = changedAccounts.get(id) ?? accounts.get(id);
          if (current !== undefined) changedAccounts.set(id, evolveAccountMeters(current, event));
          break;
        }
        case 'InvoiceIssued':
        case 'CreditNoteIssued':
          for (const doc of evolveIssued(event, recorded.position, (n) => changedIssued.get(n) ?? issued.get(n))) {
            changedIssued.set(doc.number, doc);
          }
          break;
        default: {
          const never: never = event;
          throw new Error(`unknown accounts event ${JSON.stringify(never)}`);
        }
      }
    }
    await this.store.commit({
      accounts: [...changedAccounts.values()],
      issued: [...changedIssued.values()],
      checkpoint: last.position,
    });
  }
}
