/** The e-invoice of an issued document in one of the two EN 16931 syntaxes, or what it lacks. */
import { type EInvoiceGap, eInvoiceOf } from '../../domain/accounts/e-invoice';
import type { IssuedDocumentData } from '../../domain/accounts/events';
import { ciiDocument } from './cii';
import { ublDocument } from './ubl';

export const E_INVOICE_SYNTAXES = ['ubl', 'cii'] as const;
export type EInvoiceSyntax = (typeof E_INVOICE_SYNTAXES)[number];

export const isEInvoiceSyntax = (text: string): text is EInvoiceSyntax =>
  (E_INVOICE_SYNTAXES as readonly string[]).includes(text);

/** Where an issued document's e-invoice is served (relative to the service's origin). */
export const eInvoicePath = (number: string, syntax: EInvoiceSyntax = 'ubl'): string =>
  `/invoices/${encodeURIComponent(number)}.xml?syntax=${syntax}`;

export function renderEInvoice(
  doc: IssuedDocumentData & { kind: 'INVOICE' | 'CREDIT_NOTE'; replaces: string | null; credits: string | null },
  issueDate: string,
  syntax: EInvoiceSyntax,
): { xml: string } | { gaps: EInvoiceGap[] } {
  const invoice = eInvoiceOf(doc, issueDate);
  if ('gaps' in invoice) return invoice;
  return { xml: syntax === 'cii' ? ciiDocument(invoice) : ublDocument(invoice) };
}
