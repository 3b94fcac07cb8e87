/**
 * Accounts, drafts and issuing: reads the state a decision needs (account and meter streams, the year's
 * invoice stream), asks the pure domain, and appends the events with optimistic concurrency. Drafts are
 * computed when asked, from the billed days of the billing read model, so they always show the latest
 * readings and prices; issued documents are frozen events, never recomputed.
 */
import {
  evolveSupplier,
  setSupplier,
  SUPPLIER_STREAM,
  type SupplierDetails,
  type SupplierDetailsSet,
  type SupplierInput,
} from '../domain/accounts/supplier';
import { kindDays } from '../domain/billing/kind-days';
import { registerPrefix } from '../domain/billing/series';
import {
  type AccountDoc,
  type Assignment,
  assignMeter,
  changeTariff,
  evolveAccount,
  evolveAssignments,
  openAccount,
  setBillingDetails,
  type TariffInput,
} from '../domain/accounts/account';
import type { BillingDetailsInput } from '../domain/accounts/parties';
import { type DraftInvoice, draftInvoice, type IntervalFigures } from '../domain/accounts/draft-invoice';
import {
  accountStreamName,
  type AccountEvent,
  invoiceStreamName,
  type InvoicingEvent,
  type IssuedDocumentData,
  meterStreamName,
  type MeterAssignmentEvent,
  parseInvoiceNumber,
} from '../domain/accounts/events';
import { activeKey, planCorrection, planIssue, type Skipped } from '../domain/accounts/issuing';
import { daysOfMonth, localDateOf } from '../domain/billing/calendar';
import type { DailyUsageDoc } from '../domain/billing/daily-usage';
import { intervalsWithPrices } from '../domain/billing/meter-day';
import type { ZonedClock } from '../domain/time/zoned-time';
import type { AccountsQueries, IssuedDocument } from '../ports/accounts-read-model';
import type { BillingQueries } from '../ports/billing-read-model';
import type { ConsistencyWaiter } from '../ports/consistency';
import { type EventStore, type ExpectedRevision, WrongExpectedRevisionError } from '../ports/event-store';
import { IssueIncompleteError } from './issue-incomplete';
import { appendEvents, foldStream, type StreamState } from './streams';

/** A request the rules refuse, or a conflict with what is stored (already issued, not found). */
export class InvoicingError extends Error {
  constructor(
    readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT',
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'InvoicingError';
  }
}

/** The standing (not cancelled) invoice of each (account, month) among these documents, by `activeKey`. */
export function standingInvoices(docs: readonly IssuedDocument[]): Map<string, IssuedDocument> {
  const standing = new Map<string, IssuedDocument>();
  for (const doc of docs) {
    if (doc.kind === 'INVOICE' && doc.creditedBy === null) standing.set(activeKey(doc.accountId, doc.month), doc);
  }
  return standing;
}

export interface IssueReport {
  issued: IssuedDocument[];
  skipped: Skipped[];
  position: string | null;
}

/** At most this many accounts' drafts per query or issue run. */
export const MAX_ACCOUNTS_PER_RUN = 10_000;
/** Account lookups a list of ids starts at once (never one per id: 70,000 at once filled the heap). */
const LOOKUPS_AT_ONCE = 16;
/** Invoices appended per append: well under EventStoreDB's 1 MiB per write. */
const ISSUE_CHUNK = 50;
const APPEND_ATTEMPTS = 20;
const CONSISTENCY_TIMEOUT_MS = 30_000;

export class InvoicingService {
  constructor(
    private readonly eventStore: EventStore,
    private readonly accounts: AccountsQueries,
    private readonly billing: BillingQueries,
    private readonly consistency: ConsistencyWaiter,
    private readonly settings: { clock: ZonedClock; market: string; streamPrefixes: readonly string[] },
    private readonly now: () => Date,
  ) {}

  // ---- accounts ----

  private loadAccount(accountId: string): Promise<StreamState<AccountDoc | null>> {
    return foldStream(this.eventStore, accountStreamName(accountId), null as AccountDoc | null, (state, event) =>
      evolveAccount(state, { type: event.type, data: event.data } as AccountEvent, event.revision),
    );
  }

  private loadAssignments(meter: string): Promise<StreamState<Assignment[]>> {
    return foldStream(this.eventStore, meterStreamName(meter), [] as Assignment[], (state, event) =>
      evolveAssignments(state, { type: event.type, data: event.data } as MeterAssignmentEvent),
    );
  }

  private append(
    stream: string,
    revision: ExpectedRevision,
    events: ReadonlyArray<{ type: string; data: unknown }>,
  ): Promise<string> {
    return appendEvents(this.eventStore, stream, revision, events);
  }

  private async settled(position: string | null): Promise<void> {
    if (position !== null) await this.consistency.waitForPosition(position, CONSISTENCY_TIMEOUT_MS);
  }

  async createAccount(input: {
    id: string;
    name: string;
    vatRate: string;
    currency?: string | null;
    tariff: TariffInput;
    billing?: BillingDetailsInput | null;
  }): Promise<{ account: AccountDoc; position: string }> {
    const { state, revision } = await this.loadAccount(input.id);
    const openedAt = this.now().toISOString();
    const opened = openAccount(state, input, openedAt);
    const events: AccountEvent[] = [opened];
    if (input.billing != null) {
      const billing = setBillingDetails({ id: input.id, billing: null }, input.id, input.billing, openedAt);
      if (billing !== null) events.push(billing);
    }
    let position: string;
    try {
      position = await this.append(accountStreamName(input.id), revision, events);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) {
        throw new InvoicingError('CONFLICT', `account ${input.id} exists already`, 'id');
      }
      throw error;
    }
    return { account: await this.settledAccount(input.id, position), position };
  }

  /** Sets a customer's billing details; the same details again record nothing (position null). */
  async setBillingDetails(
    accountId: string,
    input: BillingDetailsInput,
  ): Promise<{ account: AccountDoc; position: string | null }> {
    const { state, revision } = await this.loadAccount(accountId);
    const event = setBillingDetails(state, accountId, input, this.now().toISOString());
    if (event === null) return { account: await this.settledAccount(accountId, null), position: null };
    const position = await this.append(accountStreamName(accountId), revision, [event]);
    return { account: await this.settledAccount(accountId, position), position };
  }

  /** The supplier's details as set (null: never set). */
  async supplier(): Promise<SupplierDetails | null> {
    return (await this.loadSupplier()).state;
  }

  /** Sets the supplier's details; the same details again record nothing (position null). */
  async setSupplier(input: SupplierInput): Promise<{ supplier: SupplierDetails; position: string | null }> {
    const { state, revision } = await this.loadSupplier();
    const event = setSupplier(state, input, this.now().toISOString());
    if (event === null) return { supplier: state!, position: null };
    const position = await this.append(SUPPLIER_STREAM, revision, [event]);
    return { supplier: evolveSupplier(state, event), position };
  }

  private loadSupplier(): Promise<StreamState<SupplierDetails | null>> {
    return foldStream(this.eventStore, SUPPLIER_STREAM, null as SupplierDetails | null, (state, event) =>
      evolveSupplier(state, { type: 'SupplierDetailsSet', data: event.data as SupplierDetailsSet['data'] }),
    );
  }

  async changeTariff(
    accountId: string,
    effectiveFrom: string,
    tariff: TariffInput,
  ): Promise<{ account: AccountDoc; position: string }> {
    const { state, revision } = await this.loadAccount(accountId);
    const event = changeTariff(state, accountId, effectiveFrom, tariff);
    const position = await this.append(accountStreamName(accountId), revision, [event]);
    return { account: await this.settledAccount(accountId, position), position };
  }

  async assignMeter(command: {
    accountId: string;
    meter: string;
    from: string;
    to: string | null;
  }): Promise<{ account: AccountDoc; position: string | null }> {
    for (let attempt = 0; ; attempt++) {
      const account = await this.loadAccount(command.accountId);
      const assignments = await this.loadAssignments(command.meter);
      const events = assignMeter(assignments.state, account.state, command);
      if (events.length === 0) return { account: await this.settledAccount(command.accountId, null), position: null };
      try {
        const position = await this.append(meterStreamName(command.meter), assignments.revision, events);
        return { account: await this.settledAccount(command.accountId, position), position };
      } catch (error) {
        // Another assignment of the same meter got in first: decide again on what it wrote.
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }

  private async settledAccount(accountId: string, position: string | null): Promise<AccountDoc> {
    await this.settled(position);
    const account = await this.accounts.account(accountId);
    if (account === null) throw new InvoicingError('NOT_FOUND', `account ${accountId} does not exist`, 'account');
    return account;
  }

  // ---- drafts ----

  private monthDates(month: string): string[] {
    return daysOfMonth(this.settings.clock, month).map((day) => day.date);
  }

  /** The draft of each account (all with a meter in the month when `accountIds` is null), by account id. */
  async drafts(month: string, accountIds: readonly string[] | null): Promise<DraftInvoice[]> {
    const dates = this.monthDates(month);
    const accounts =
      accountIds === null
        ? await this.accounts.accountsBilledBetween(dates[0]!, dates[dates.length - 1]!, MAX_ACCOUNTS_PER_RUN)
        : await this.accountsByIds([...new Set(accountIds)]);
    const drafts: DraftInvoice[] = [];
    for (const account of accounts.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const draft = await this.draftOf(account, month, dates);
      if (draft !== null) drafts.push(draft);
    }
    return drafts;
  }

  /** The accounts of these ids, 16 lookups at a time: the first missing id stops the rest (NOT_FOUND). */
  private async accountsByIds(ids: readonly string[]): Promise<AccountDoc[]> {
    const found: AccountDoc[] = [];
    for (let start = 0; start < ids.length; start += LOOKUPS_AT_ONCE) {
      const chunk = ids.slice(start, start + LOOKUPS_AT_ONCE);
      for (const [i, account] of (await Promise.all(chunk.map((id) => this.accounts.account(id)))).entries()) {
        if (account === null) throw new InvoicingError('NOT_FOUND', `account ${chunk[i]} does not exist`, 'accounts');
        found.push(account);
      }
    }
    return found;
  }

  async draft(accountId: string, month: string): Promise<DraftInvoice | null> {
    return (await this.drafts(month, [accountId]))[0] ?? null;
  }

  private async draftOf(account: AccountDoc, month: string, dates: string[]): Promise<DraftInvoice | null> {
    const first = dates[0]!;
    const last = dates[dates.length - 1]!;
    const meters = [...new Set(account.meters.map((a) => a.meter))];
    const days = new Map<string, Map<string, DailyUsageDoc>>();
    for (const meter of meters) {
      const rows = await this.billing.dailyUsage(meter, first, last);
      days.set(meter, new Map(rows.map((row) => [row.date, row])));
    }
    // Floors, caps and time-of-use rates apply interval by interval: only then are the readings and prices read.
    const intervals = new Map<string, IntervalFigures[]>();
    if (
      account.tariffs.some(
        (t) =>
          (t.tariff.kind === 'DYNAMIC' && (t.tariff.floorEurMwh !== null || t.tariff.capEurMwh !== null)) ||
          (t.tariff.kind === 'FIXED' && (t.tariff.rates?.length ?? 0) > 0),
      )
    ) {
      const monthDays = daysOfMonth(this.settings.clock, month);
      const prices = await this.billing.prices(
        this.settings.market,
        monthDays[0]!.start,
        monthDays[monthDays.length - 1]!.end,
      );
      const byStart = new Map(prices.map((p) => [p.start, p]));
      for (const meter of meters) {
        for (const slots of await this.billing.daySlots(meter, first, last)) {
          intervals.set(`${meter}\u0000${slots.date}`, intervalsWithPrices(slots, byStart));
        }
      }
    }
    // Exported energy is read only for an account whose tariff credits it.
    const exported = new Map<string, Map<string, DailyUsageDoc>>();
    if (account.tariffs.some((t) => t.tariff.export != null)) {
      for (const meter of meters) {
        const registers = await this.billing.seriesDays(registerPrefix(meter, 'EXPORT'), first, last);
        exported.set(meter, new Map(kindDays(meter, 'EXPORT', registers).map((row) => [row.date, row])));
      }
    }
    return draftInvoice(account, month, {
      dates,
      days: (meter) => days.get(meter) ?? new Map(),
      intervals: (meter, date) => intervals.get(`${meter}\u0000${date}`) ?? [],
      exportDays: (meter) => exported.get(meter) ?? new Map(),
      localTime: (instant) => {
        const local = this.settings.clock.toLocal(instant);
        const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() || 7;
        return { weekday, minutes: local.hour * 60 + local.minute };
      },
    });
  }

  // ---- issuing ----

  /**
   * The year's invoice stream: its revision and the invoice numbers its credit notes cancel; `active`
   * gets the (account, month) pairs that have a standing invoice after it.
   */
  private async readYear(
    year: number,
    active: Set<string>,
  ): Promise<{ revision: ExpectedRevision; credited: Set<string> }> {
    let revision: ExpectedRevision = 'no_stream';
    const byNumber = new Map<string, IssuedDocumentData>();
    const credited = new Set<string>();
    for await (const recorded of this.eventStore.readStream(invoiceStreamName(year))) {
      revision = recorded.revision;
      const event = { type: recorded.type, data: recorded.data } as InvoicingEvent;
      byNumber.set(event.data.number, event.data);
      if (event.type === 'InvoiceIssued') active.add(activeKey(event.data.accountId, event.data.month));
      else {
        credited.add(event.data.credits);
        const original = byNumber.get(event.data.credits);
        if (original !== undefined) active.delete(activeKey(original.accountId, original.month));
      }
    }
    return { revision, credited };
  }

  /** Waits until the read models hold everything in the log now, so drafts and issued lists are current. */
  private async catchUp(): Promise<void> {
    const head = await this.eventStore.headPosition({ streamPrefixes: this.settings.streamPrefixes });
    if (head !== null && !(await this.consistency.waitForPosition(head, CONSISTENCY_TIMEOUT_MS))) {
      throw new InvoicingError(
        'CONFLICT',
        `the read models did not catch up with the log within ${CONSISTENCY_TIMEOUT_MS} ms; try again`,
      );
    }
  }

  private issueYear(): { year: number; issuedAt: string } {
    const now = this.now();
    return { year: Number(localDateOf(this.settings.clock, now.getTime()).slice(0, 4)), issuedAt: now.toISOString() };
  }

  async issueInvoices(month: string, accountIds: readonly string[] | null, force: boolean): Promise<IssueReport> {
    await this.catchUp();
    const drafts = await this.drafts(month, accountIds);
    const standing = new Set(standingInvoices(await this.accounts.issuedOfMonth(month)).keys());
    const { year, issuedAt } = this.issueYear();
    const seller = await this.supplier();
    const skipped: Skipped[] = [];
    const issuedNumbers: string[] = [];
    let position: string | null = null;
    let active = new Set(standing);
    let { revision } = await this.readYear(year, active);
    try {
      for (let start = 0; start < drafts.length; start += ISSUE_CHUNK) {
        const chunk = drafts.slice(start, start + ISSUE_CHUNK);
        for (let attempt = 0; ; attempt++) {
          const nextSequence = typeof revision === 'number' ? revision + 2 : 1;
          const plan = planIssue(chunk, active, { year, nextSequence, issuedAt, force, seller });
          try {
            if (plan.events.length > 0) {
              position = await this.append(invoiceStreamName(year), revision, plan.events);
              revision = nextSequence - 2 + plan.events.length;
            }
            for (const event of plan.events) active.add(activeKey(event.data.accountId, event.data.month));
            skipped.push(...plan.skipped);
            issuedNumbers.push(...plan.events.map((e) => e.data.number));
            break;
          } catch (error) {
            // Another issuer took the next numbers: read what it issued and number again after it.
            if (!(error instanceof WrongExpectedRevisionError) || attempt >= APPEND_ATTEMPTS) throw error;
            // The year's stream holds this run's earlier chunks too: they count as issued again.
            active = new Set(standing);
            ({ revision } = await this.readYear(year, active));
          }
        }
      }
    } catch (error) {
      // Stopped part-way: what was issued stands, and the caller must learn which, not a bare failure.
      throw new IssueIncompleteError(issuedNumbers, drafts.length, position, error);
    }
    // Every chunk is appended: a failure from here on is not a run stopped part-way.
    await this.settled(position);
    const issued = await Promise.all(issuedNumbers.map((n) => this.accounts.issued(n)));
    return { issued: issued.filter((d): d is IssuedDocument => d !== null), skipped, position };
  }

  async issueCorrection(
    number: string,
  ): Promise<{ creditNote: IssuedDocument; invoice: IssuedDocument; position: string }> {
    if (parseInvoiceNumber(number) === null) {
      throw new InvoicingError('BAD_USER_INPUT', `'${number}' is not an invoice number (YYYY-NNNNNN)`, 'number');
    }
    await this.catchUp();
    const original = await this.accounts.issued(number);
    if (original === null || original.kind !== 'INVOICE') {
      throw new InvoicingError('NOT_FOUND', `no invoice ${number} was issued`, 'number');
    }
    const account = await this.accounts.account(original.accountId);
    if (account === null)
      throw new InvoicingError('NOT_FOUND', `account ${original.accountId} does not exist`, 'number');
    const draft = await this.draftOf(account, original.month, this.monthDates(original.month));
    if (draft === null) {
      throw new InvoicingError(
        'CONFLICT',
        `account ${account.id} has no meter in ${original.month} any more`,
        'number',
      );
    }
    if (original.creditedBy !== null) {
      throw new InvoicingError(
        'CONFLICT',
        `invoice ${number} was corrected already by credit note ${original.creditedBy}`,
        'number',
      );
    }
    const { year, issuedAt } = this.issueYear();
    const seller = await this.supplier();
    for (let attempt = 0; ; attempt++) {
      // A concurrent correction may have cancelled it since the read model was read.
      const { revision, credited } = await this.readYear(year, new Set());
      if (credited.has(number))
        throw new InvoicingError('CONFLICT', `invoice ${number} was corrected already`, 'number');
      const nextSequence = typeof revision === 'number' ? revision + 2 : 1;
      const plan = planCorrection(original, draft, { year, nextSequence, issuedAt, seller });
      if (plan === null) {
        throw new InvoicingError(
          'CONFLICT',
          `invoice ${number} equals the current draft and names the same seller and buyer: nothing to correct`,
          'number',
        );
      }
      try {
        const position = await this.append(invoiceStreamName(year), revision, plan);
        await this.settled(position);
        const [creditNote, invoice] = await Promise.all(plan.map((e) => this.accounts.issued(e.data.number)));
        return { creditNote: creditNote!, invoice: invoice!, position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }
}
