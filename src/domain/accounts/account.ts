/**
 * Accounts and meter assignments as pure decisions: a command and the current state in, the events to
 * append (or a rule error naming the field) out. The state is folded from the events by `evolve*`.
 */
import { addDays, parseLocalDate } from '../billing/calendar';
import { normalizeDecimal, parseMicro } from './decimal';
import { AccountRuleError } from './rule-error';
import { type BillingDetails, type BillingDetailsInput, sameDetails, validateBilling } from './parties';
import type {
  AccountBillingDetailsSet,
  AccountEvent,
  AccountOpened,
  MeterAssigned,
  MeterAssignmentEvent,
  MeterUnassigned,
  ExportTerms,
  TariffChanged,
  TariffTerms,
  TimeOfUseRate,
  Weekday,
} from './events';
import { WEEKDAYS } from './events';

export interface Assignment {
  meter: string;
  accountId: string;
  from: string;
  /** Inclusive; null: open-ended. */
  to: string | null;
}

export interface AccountDoc {
  id: string;
  name: string;
  currency: 'EUR';
  vatRate: string;
  openedAt: string;
  /** The buyer's details its e-invoices need; null until set. */
  billing: BillingDetails | null;
  /** Sorted by `from`; the first is the tariff the account opened with (from the start of time). */
  tariffs: Array<{ from: string; tariff: TariffTerms }>;
  /** The account's meter assignments, sorted by meter then `from`. */
  meters: Assignment[];
  revision: number;
}

/** The first day of every account's opening tariff: before any reading. */
export const BEGINNING = '0000-01-01';

export interface TariffInput {
  kind: 'DYNAMIC' | 'FIXED';
  factor?: string | null;
  marginEurMwh?: string | null;
  unitPriceEurMwh?: string | null;
  standingChargePerDay: string;
  floorEurMwh?: string | null;
  capEurMwh?: string | null;
  /** How exported energy is credited; none when absent. */
  export?: ExportTariffInput | null;
  /** FIXED only: time-of-use rates over the unit price. */
  rates?: TimeOfUseRateInput[] | null;
}

export interface TimeOfUseRateInput {
  name: string;
  days?: Weekday[] | null;
  from: string;
  to: string;
  unitPriceEurMwh: string;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** Time-of-use rates from their input: named, on weekdays (every day by default), in a local window. */
function validateRates(rates: readonly TimeOfUseRateInput[], field: string): TimeOfUseRate[] {
  return rates.map((rate, i) => {
    const at = `${field}.rates[${i}]`;
    const name = rate.name.trim();
    if (name === '') throw new AccountRuleError(`${at}.name`, `${at}.name is required`);
    for (const [part, text] of [
      ['from', rate.from],
      ['to', rate.to],
    ] as const) {
      if (!CLOCK_TIME.test(text))
        throw new AccountRuleError(
          `${at}.${part}`,
          `${at}.${part}: "${text}" is not a clock time HH:mm (00:00 to 24:00)`,
        );
    }
    if (rate.from === rate.to) throw new AccountRuleError(`${at}.to`, `${at}: from and to are the same time`);
    const price = required(`${at}.unitPriceEurMwh`, rate.unitPriceEurMwh);
    if (parseMicro(price)! < 0n)
      throw new AccountRuleError(`${at}.unitPriceEurMwh`, `${at}.unitPriceEurMwh must not be negative`);
    const days =
      rate.days == null || rate.days.length === 0 ? [...WEEKDAYS] : WEEKDAYS.filter((d) => rate.days!.includes(d));
    return { name, days, from: rate.from, to: rate.to, unitPriceEurMwh: price };
  });
}

export interface ExportTariffInput {
  kind: 'DYNAMIC' | 'FIXED';
  unitPriceEurMwh?: string | null;
  factor?: string | null;
  marginEurMwh?: string | null;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function decimal(field: string, text: string | null | undefined, fallback: string | null): string | null {
  if (text === null || text === undefined || text.trim() === '') {
    if (fallback === null) return null;
    return fallback;
  }
  const micro = parseMicro(text);
  if (micro === null) throw new AccountRuleError(field, `${field}: "${text}" is not a decimal with at most 6 places`);
  return normalizeDecimal(micro);
}

function required(field: string, text: string | null | undefined): string {
  const value = decimal(field, text, null);
  if (value === null) throw new AccountRuleError(field, `${field} is required`);
  return value;
}

/** Export terms from their input: a FIXED feed-in price, or market x factor less a margin. */
function validateExport(input: ExportTariffInput, field: string): ExportTerms {
  if (input.kind === 'FIXED') {
    if (input.factor != null || input.marginEurMwh != null)
      throw new AccountRuleError(field, `${field}: a FIXED export credit has a unitPriceEurMwh only`);
    const price = required(`${field}.unitPriceEurMwh`, input.unitPriceEurMwh);
    if (parseMicro(price)! < 0n)
      throw new AccountRuleError(`${field}.unitPriceEurMwh`, `${field}.unitPriceEurMwh must not be negative`);
    return { kind: 'FIXED', unitPriceEurMwh: price };
  }
  if (input.unitPriceEurMwh != null)
    throw new AccountRuleError(`${field}.unitPriceEurMwh`, `${field}: a DYNAMIC export credit has no unitPriceEurMwh`);
  return {
    kind: 'DYNAMIC',
    factor: decimal(`${field}.factor`, input.factor, '1')!,
    marginEurMwh: decimal(`${field}.marginEurMwh`, input.marginEurMwh, '0')!,
  };
}

/** Tariff terms from their input, every figure checked and written the same way. */
export function validateTariff(input: TariffInput, field = 'tariff'): TariffTerms {
  const exportTerms = input.export == null ? {} : { export: validateExport(input.export, `${field}.export`) };
  return { ...validateEnergyTariff(input, field), ...exportTerms };
}

function validateEnergyTariff(input: TariffInput, field: string): TariffTerms {
  const standingChargePerDay = required(`${field}.standingChargePerDay`, input.standingChargePerDay);
  if (parseMicro(standingChargePerDay)! < 0n) {
    throw new AccountRuleError(`${field}.standingChargePerDay`, `${field}.standingChargePerDay must not be negative`);
  }
  if (input.kind !== 'FIXED' && input.rates != null && input.rates.length > 0)
    throw new AccountRuleError(`${field}.rates`, `${field}.rates: time-of-use rates belong to a FIXED tariff`);
  if (input.kind === 'FIXED') {
    if (input.factor != null || input.marginEurMwh != null || input.floorEurMwh != null || input.capEurMwh != null) {
      throw new AccountRuleError(
        field,
        `${field}: a FIXED tariff has a unitPriceEurMwh only (no factor, margin, floor or cap)`,
      );
    }
    const rates = input.rates == null || input.rates.length === 0 ? {} : { rates: validateRates(input.rates, field) };
    return {
      kind: 'FIXED',
      unitPriceEurMwh: required(`${field}.unitPriceEurMwh`, input.unitPriceEurMwh),
      standingChargePerDay,
      ...rates,
    };
  }
  if (input.unitPriceEurMwh != null) {
    throw new AccountRuleError(`${field}.unitPriceEurMwh`, `${field}: a DYNAMIC tariff has no unitPriceEurMwh`);
  }
  const floorEurMwh = decimal(`${field}.floorEurMwh`, input.floorEurMwh, null);
  const capEurMwh = decimal(`${field}.capEurMwh`, input.capEurMwh, null);
  if (floorEurMwh !== null && capEurMwh !== null && parseMicro(floorEurMwh)! > parseMicro(capEurMwh)!) {
    throw new AccountRuleError(
      `${field}.floorEurMwh`,
      `${field}: the floor ${floorEurMwh} is above the cap ${capEurMwh}`,
    );
  }
  return {
    kind: 'DYNAMIC',
    factor: decimal(`${field}.factor`, input.factor, '1')!,
    marginEurMwh: decimal(`${field}.marginEurMwh`, input.marginEurMwh, '0')!,
    standingChargePerDay,
    floorEurMwh,
    capEurMwh,
  };
}

function checkDate(field: string, text: string): string {
  if (parseLocalDate(text) === null)
    throw new AccountRuleError(field, `${field}: "${text}" is not a date (YYYY-MM-DD)`);
  return text;
}

export function openAccount(
  existing: AccountDoc | null,
  input: { id: string; name: string; vatRate: string; currency?: string | null; tariff: TariffInput },
  openedAt: string,
): AccountOpened {
  if (!ID.test(input.id)) {
    throw new AccountRuleError('id', `id: "${input.id}" must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  if (existing !== null) throw new AccountRuleError('id', `account ${input.id} exists already`);
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw new AccountRuleError('name', 'name must be 1-200 characters');
  if ((input.currency ?? 'EUR') !== 'EUR') {
    throw new AccountRuleError(
      'currency',
      `currency: only EUR is billed (market prices are in EUR), not ${input.currency}`,
    );
  }
  const vatRate = required('vatRate', input.vatRate);
  const rate = parseMicro(vatRate)!;
  if (rate < 0n || rate > 1_000_000n)
    throw new AccountRuleError('vatRate', 'vatRate must be between 0 and 1 ("0.20" for 20 %)');
  return {
    type: 'AccountOpened',
    data: { accountId: input.id, name, currency: 'EUR', vatRate, tariff: validateTariff(input.tariff), openedAt },
  };
}

export function changeTariff(
  account: AccountDoc | null,
  accountId: string,
  effectiveFrom: string,
  input: TariffInput,
): TariffChanged {
  if (account === null) throw new AccountRuleError('account', `account ${accountId} does not exist`);
  checkDate('from', effectiveFrom);
  return { type: 'TariffChanged', data: { accountId, effectiveFrom, tariff: validateTariff(input) } };
}

/** Sets a customer's billing details; nothing when they are already so. */
export function setBillingDetails(
  account: Pick<AccountDoc, 'id' | 'billing'> | null,
  accountId: string,
  input: BillingDetailsInput,
  setAt: string,
): AccountBillingDetailsSet | null {
  if (account === null) throw new AccountRuleError('account', `account ${accountId} does not exist`);
  const billing = validateBilling(input);
  if (account.billing !== null && sameDetails(account.billing, billing)) return null;
  return { type: 'AccountBillingDetailsSet', data: { accountId, billing, setAt } };
}

/**
 * Assigns a meter to an account over `from`..`to`. An open assignment of the meter that started earlier
 * is ended the day before (a move between accounts); the account's own assignment from the same day is
 * replaced (a move-out: give it a `to`); any other overlap is refused, naming the assignment in the way.
 * Assigning what is already so assigned changes nothing.
 */
export function assignMeter(
  assignments: readonly Assignment[],
  account: AccountDoc | null,
  command: { accountId: string; meter: string; from: string; to: string | null },
): MeterAssignmentEvent[] {
  const { accountId, meter, from, to } = command;
  if (account === null) throw new AccountRuleError('account', `account ${accountId} does not exist`);
  if (meter.trim() === '' || meter.length > 128) throw new AccountRuleError('meter', 'meter must be 1-128 characters');
  checkDate('from', from);
  if (to !== null && checkDate('to', to) < from)
    throw new AccountRuleError('to', `to (${to}) is before from (${from})`);
  if (assignments.some((a) => a.accountId === accountId && a.from === from && a.to === to)) return [];
  const events: MeterAssignmentEvent[] = [];
  for (const a of assignments) {
    // The same account from the same day: this assignment replaces it (a move-out sets its last day).
    if (a.accountId === accountId && a.from === from) continue;
    const overlaps = (a.to === null || a.to >= from) && (to === null || a.from <= to);
    if (!overlaps) continue;
    const endsBefore = a.from < from && (a.to === null || to === null || a.to <= to);
    if (!endsBefore) {
      throw new AccountRuleError(
        'from',
        `meter ${meter} is assigned to account ${a.accountId} from ${a.from}${a.to === null ? '' : ` to ${a.to}`}: that overlaps ${from}${to === null ? '' : `..${to}`}`,
      );
    }
    const unassigned: MeterUnassigned = {
      type: 'MeterUnassigned',
      data: { meter, accountId: a.accountId, from: a.from, lastDay: addDays(from, -1) },
    };
    events.push(unassigned);
  }
  const assigned: MeterAssigned = { type: 'MeterAssigned', data: { meter, accountId, from, to } };
  events.push(assigned);
  return events;
}

export function evolveAccount(doc: AccountDoc | null, event: AccountEvent, revision: number): AccountDoc | null {
  switch (event.type) {
    case 'AccountOpened':
      if (doc !== null) return doc;
      return {
        id: event.data.accountId,
        name: event.data.name,
        currency: event.data.currency,
        vatRate: event.data.vatRate,
        openedAt: event.data.openedAt,
        billing: null,
        tariffs: [{ from: BEGINNING, tariff: event.data.tariff }],
        meters: [],
        revision,
      };
    case 'TariffChanged': {
      if (doc === null || revision <= doc.revision) return doc;
      const tariffs = doc.tariffs.filter((t) => t.from !== event.data.effectiveFrom);
      tariffs.push({ from: event.data.effectiveFrom, tariff: event.data.tariff });
      tariffs.sort((a, b) => (a.from < b.from ? -1 : 1));
      return { ...doc, tariffs, revision };
    }
    case 'AccountBillingDetailsSet':
      if (doc === null || revision <= doc.revision) return doc;
      return { ...doc, billing: event.data.billing, revision };
    default: {
      const never: never = event;
      throw new Error(`unknown account event ${JSON.stringify(never)}`);
    }
  }
}

/** A meter's assignments after one of its events (the same for a repeat). */
export function evolveAssignments(assignments: readonly Assignment[], event: MeterAssignmentEvent): Assignment[] {
  switch (event.type) {
    case 'MeterAssigned': {
      const { meter, accountId, from, to } = event.data;
      const others = assignments.filter((a) => !(a.accountId === accountId && a.from === from));
      return [...others, { meter, accountId, from, to }].sort((a, b) => (a.from < b.from ? -1 : 1));
    }
    case 'MeterUnassigned':
      return assignments.map((a) =>
        a.accountId === event.data.accountId && a.from === event.data.from ? { ...a, to: event.data.lastDay } : a,
      );
    default: {
      const never: never = event;
      throw new Error(`unknown assignment event ${JSON.stringify(never)}`);
    }
  }
}

/** The tariff in force on a day. */
export function tariffOn(account: Pick<AccountDoc, 'tariffs'>, date: string): TariffTerms {
  let current = account.tariffs[0]!.tariff;
  for (const t of account.tariffs) if (t.from <= date) current = t.tariff;
  return current;
}
