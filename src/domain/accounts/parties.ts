/**
 * The parties an invoice names (EN 16931's seller and buyer): their postal addresses, VAT identifiers and
 * contacts, each checked and written one way. The supplier (seller) lives in `supplier.ts`; the customer's
 * billing details (buyer) are kept on its account.
 */
import { AccountRuleError } from './rule-error';

export interface PostalAddress {
  street: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 (EN 16931 BT-40, BT-55). */
  countryCode: string;
}

/** A customer's billing details: what an e-invoice needs of its buyer beyond the account's name. */
export interface BillingDetails {
  address: PostalAddress;
  /** VAT identifier with its country prefix (BT-48); null for a customer without one. */
  vatId: string | null;
  /** The reference the buyer asked invoices to quote (BT-10, a Leitweg-ID in Germany). */
  buyerReference: string | null;
  email: string | null;
}

export interface BillingDetailsInput {
  address: PostalAddress;
  vatId?: string | null;
  buyerReference?: string | null;
  email?: string | null;
}

const VAT_ID = /^[A-Z]{2}[A-Z0-9+*.]{2,12}$/;
const COUNTRY = /^[A-Z]{2}$/;
/*
 * A local part, `@`, and a domain with a dot neither first nor last. Written so that no two quantifiers can
 * trade characters (the domain's first dot after its first character is the one): `[^\s@]+\.[^\s@]+` took
 * quadratic time on `a@a.a.a.…@` (7.5 s for 120 KB). An address is at most 254 characters (RFC 5321).
 */
const EMAIL = /^[^\s@]+@[^\s@][^\s@.]*\.[^\s@]+$/;
const EMAIL_MAX = 254;

/** JSON with every object's keys sorted: equal for equal content whatever order the fields were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? // eslint-disable-next-line local/no-plain-dictionary -- re-made for JSON.stringify only (own data properties), never indexed
        Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Whether two sets of details (a supplier's, a buyer's, a document's parties) say the same. */
export function sameDetails(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Null for an absent or blank text, else the text trimmed. */
export const optionalText = (text: string | null | undefined): string | null =>
  text === null || text === undefined || text.trim() === '' ? null : text.trim();

/** A required text, trimmed, at most `max` characters. */
export function requiredText(field: string, value: string, max = 200): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new AccountRuleError(field, `${field} is required`);
  if (trimmed.length > max) throw new AccountRuleError(field, `${field} is longer than ${max} characters`);
  return trimmed;
}

/** A VAT identifier with its country prefix, spaces out and upper case. */
export function validateVatId(text: string, field: string): string {
  const vatId = text.replace(/\s+/g, '').toUpperCase();
  if (!VAT_ID.test(vatId))
    throw new AccountRuleError(
      field,
      `${field} "${text}" is not a VAT identifier with its country prefix (DE123456789)`,
    );
  return vatId;
}

/** An email address or null when absent. */
export function validateEmail(text: string | null | undefined, field: string): string | null {
  const email = optionalText(text);
  if (email !== null && email.length > EMAIL_MAX)
    throw new AccountRuleError(
      field,
      `${field} is ${email.length} characters long; an email address is at most ${EMAIL_MAX} (RFC 5321)`,
    );
  if (email !== null && !EMAIL.test(email))
    throw new AccountRuleError(field, `${field} "${text}" is not an email address`);
  return email;
}

/** A postal address from its input, the country code checked (ISO 3166-1 alpha-2). */
export function validateAddress(input: PostalAddress, field: string): PostalAddress {
  const countryCode = input.countryCode.trim().toUpperCase();
  if (!COUNTRY.test(countryCode))
    throw new AccountRuleError(
      `${field}.countryCode`,
      `${field}.countryCode "${input.countryCode}" is not a two-letter country code`,
    );
  return {
    street: requiredText(`${field}.street`, input.street),
    city: requiredText(`${field}.city`, input.city),
    postalCode: requiredText(`${field}.postalCode`, input.postalCode, 20),
    countryCode,
  };
}

/** A customer's billing details from their input. */
export function validateBilling(input: BillingDetailsInput, field = 'billing'): BillingDetails {
  const vatId = optionalText(input.vatId);
  return {
    address: validateAddress(input.address, `${field}.address`),
    vatId: vatId === null ? null : validateVatId(vatId, `${field}.vatId`),
    buyerReference: optionalText(input.buyerReference),
    email: validateEmail(input.email, `${field}.email`),
  };
}
