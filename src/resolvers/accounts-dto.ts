import type { AccountDoc } from '../domain/accounts/account';
import { formatCents } from '../domain/accounts/decimal';
import { type DraftInvoice, draftFigures } from '../domain/accounts/draft-invoice';
import type { TariffTerms } from '../domain/accounts/events';
import { pendingAdjustmentCents } from '../domain/accounts/issuing';
import { eInvoiceGaps } from '../domain/accounts/e-invoice';
import type { IssuedDocument } from '../ports/accounts-read-model';
import {
  type AccountType,
  type ExportTariffType,
  type DraftInvoiceType,
  type IssuedInvoiceType,
  TariffKind,
  type TariffType,
  Weekday,
} from './types/accounts.types';

function exportDto(terms: TariffTerms['export']): ExportTariffType | null {
  if (terms == null) return null;
  return terms.kind === 'FIXED'
    ? { kind: TariffKind.FIXED, unitPriceEurMwh: terms.unitPriceEurMwh, factor: null, marginEurMwh: null }
    : { kind: TariffKind.DYNAMIC, unitPriceEurMwh: null, factor: terms.factor, marginEurMwh: terms.marginEurMwh };
}

function tariffDto(tariff: TariffTerms): TariffType {
  return tariff.kind === 'FIXED'
    ? {
        kind: TariffKind.FIXED,
        factor: null,
        marginEurMwh: null,
        unitPriceEurMwh: tariff.unitPriceEurMwh,
        standingChargePerDay: tariff.standingChargePerDay,
        floorEurMwh: null,
        capEurMwh: null,
        export: exportDto(tariff.export),
        rates: (tariff.rates ?? []).map((rate) => ({ ...rate, days: rate.days.map((day) => Weekday[day]) })),
      }
    : { ...tariff, kind: TariffKind.DYNAMIC, unitPriceEurMwh: null, export: exportDto(tariff.export), rates: [] };
}

export function accountDto(doc: AccountDoc): AccountType {
  return {
    id: doc.id,
    name: doc.name,
    currency: doc.currency,
    vatRate: doc.vatRate,
    openedAt: doc.openedAt,
    tariffs: doc.tariffs.map((t) => ({ from: t.from, tariff: tariffDto(t.tariff) })),
    meters: doc.meters.map((a) => ({ meter: a.meter, from: a.from, to: a.to })),
    billing: doc.billing,
  };
}

export function issuedDto(doc: IssuedDocument): IssuedInvoiceType {
  return {
    number: doc.number,
    kind: doc.kind,
    account: doc.accountId,
    accountName: doc.accountName,
    month: doc.month,
    lines: doc.lines.map((line) => ({ ...line })),
    subtotal: doc.subtotal,
    vatRate: doc.vatRate,
    vat: doc.vat,
    total: doc.total,
    currency: doc.currency,
    meters: doc.meters.map((m) => ({ ...m })),
    draftStatus: doc.draftStatus,
    issuedAt: doc.issuedAt,
    replaces: doc.replaces,
    credits: doc.credits,
    creditedBy: doc.creditedBy,
    seller: doc.parties?.seller ?? null,
    buyer: doc.parties?.buyer ?? null,
    eInvoiceGaps: eInvoiceGaps(doc),
  };
}

/** A draft with the standing issued invoice of its account and month, if any. */
export function draftDto(draft: DraftInvoice, standing: IssuedDocument | null): DraftInvoiceType {
  const adjustment = standing === null ? 0n : pendingAdjustmentCents(standing, draft);
  return {
    account: draft.accountId,
    accountName: draft.accountName,
    month: draft.month,
    ...draftFigures(draft),
    vatRate: draft.vatRate,
    currency: draft.currency,
    status: draft.status,
    missingDays: draft.missingDays,
    unpricedIntervals: draft.unpricedIntervals,
    issuedNumber: standing?.number ?? null,
    pendingAdjustment: standing === null || adjustment === 0n ? null : formatCents(adjustment),
  };
}
