/**
 * Issuing as pure decisions: which drafts become invoices and under which numbers, and what a
 * correction issues. Numbers come from the year's sequence (`next`, the stream's next revision + 1), so
 * the caller's optimistic append is what makes them gapless and unique.
 */
import { creditContent, type DraftInvoice, issuedContent, partiesOf, toCents } from './draft-invoice';
import {
  type CreditNoteIssued,
  type InvoiceIssued,
  type IssuedDocumentData,
  type IssuedParties,
  invoiceNumber,
} from './events';
import { sameDetails } from './parties';
import type { SupplierDetails } from './supplier';

export type SkipReason = 'ALREADY_ISSUED' | 'MISSING_READINGS' | 'MISSING_PRICES' | 'NOTHING_TO_BILL';

export interface Skipped {
  accountId: string;
  month: string;
  reason: SkipReason;
}

export const activeKey = (accountId: string, month: string): string => `${accountId}|${month}`;

/**
 * The invoices to issue for these drafts: complete ones (any with `force`) that have no active invoice
 * yet, numbered from `nextSequence` on in the drafts' order.
 */
export function planIssue(
  drafts: readonly DraftInvoice[],
  active: ReadonlySet<string>,
  options: { year: number; nextSequence: number; issuedAt: string; force: boolean; seller: SupplierDetails | null },
): { events: InvoiceIssued[]; skipped: Skipped[] } {
  const events: InvoiceIssued[] = [];
  const skipped: Skipped[] = [];
  let sequence = options.nextSequence;
  for (const draft of drafts) {
    const key = { accountId: draft.accountId, month: draft.month };
    if (active.has(activeKey(draft.accountId, draft.month))) skipped.push({ ...key, reason: 'ALREADY_ISSUED' });
    else if (draft.status !== 'COMPLETE' && !options.force) skipped.push({ ...key, reason: draft.status });
    else {
      const number = invoiceNumber(options.year, sequence++);
      events.push({
        type: 'InvoiceIssued',
        data: { ...issuedContent(draft, number, options.issuedAt, options.seller), replaces: null },
      });
    }
  }
  return { events, skipped };
}

/** How much the current draft differs from the issued invoice (total, in cents). */
export function pendingAdjustmentCents(issued: Pick<IssuedDocumentData, 'total'>, draft: DraftInvoice): bigint {
  return draft.totalCents - toCents(issued.total);
}

/** Whether an issued document names these parties (a version 1 document names none). */
export function sameParties(issued: Pick<IssuedDocumentData, 'parties'>, parties: IssuedParties): boolean {
  return issued.parties !== undefined && sameDetails(issued.parties, parties);
}

/**
 * A correction of an issued invoice: a credit note cancelling it and a new invoice from the current draft,
 * both numbered, both referring to the original, both naming the parties as they are now. Null when the
 * draft equals the invoice line for line and the parties are the same (a corrected address is a correction).
 */
export function planCorrection(
  original: IssuedDocumentData,
  draft: DraftInvoice,
  options: { year: number; nextSequence: number; issuedAt: string; seller: SupplierDetails | null },
): [CreditNoteIssued, InvoiceIssued] | null {
  const replacement = issuedContent(
    draft,
    invoiceNumber(options.year, options.nextSequence + 1),
    options.issuedAt,
    options.seller,
  );
  const parties = partiesOf(draft, options.seller);
  const same =
    replacement.total === original.total &&
    JSON.stringify(replacement.lines) === JSON.stringify(original.lines) &&
    replacement.vat === original.vat &&
    sameParties(original, parties);
  if (same) return null;
  const credit = creditContent(original, invoiceNumber(options.year, options.nextSequence), options.issuedAt, parties);
  return [
    { type: 'CreditNoteIssued', data: { ...credit, credits: original.number } },
    { type: 'InvoiceIssued', data: { ...replacement, replaces: original.number } },
  ];
}
