/**
 * The supplier: the legal details every invoice it issues is sent under (EN 16931's seller: name, VAT
 * identifier, postal address, and how to be paid). Set by an admin, kept as events on one stream; setting
 * the same details again records nothing.
 */
import { AccountRuleError } from './account';

export const SUPPLIER_STREAM = 'supplier';

export interface PostalAddress {
  street: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 (EN 16931 BT-40). */
  countryCode: string;
}

export interface SupplierDetails {
  legalName: string;
  /** VAT identifier with its country prefix (BT-31), such as `DE123456789`. */
  vatId: string;
  address: PostalAddress;
  registrationId: string | null;
  iban: string | null;
  bic: string | null;
  email: string | null;
  phone: string | null;
}

export interface SupplierDetailsSet {
  type: 'SupplierDetailsSet';
  data: SupplierDetails & { setAt: string };
}

export type SupplierInput = Omit<SupplierDetails, 'registrationId' | 'iban' | 'bic' | 'email' | 'phone'> & {
  registrationId?: string | null;
  iban?: string | null;
  bic?: string | null;
  email?: string | null;
  phone?: string | null;
};

const VAT_ID = /^[A-Z]{2}[A-Z0-9+*.]{2,12}$/;
const COUNTRY = /^[A-Z]{2}$/;
const BIC = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Whether an IBAN's check digits hold (ISO 13616: the number rearranged, letters as 10-35, mod 97 is 1). */
export function validIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const digits = `${iban.slice(4)}${iban.slice(0, 4)}`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  return remainder === 1;
}

const optional = (text: string | null | undefined): string | null =>
  text === null || text === undefined || text.trim() === '' ? null : text.trim();

function text(field: string, value: string, max = 200): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new AccountRuleError(field, `${field} is required`);
  if (trimmed.length > max) throw new AccountRuleError(field, `${field} is longer than ${max} characters`);
  return trimmed;
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
    street: text(`${field}.street`, input.street),
    city: text(`${field}.city`, input.city),
    postalCode: text(`${field}.postalCode`, input.postalCode, 20),
    countryCode,
  };
}

/** The supplier's details from their input, each checked and written one way (spaces out of IBAN and VAT id). */
export function validateSupplier(input: SupplierInput, field = 'supplier'): SupplierDetails {
  const vatId = input.vatId.replace(/\s+/g, '').toUpperCase();
  if (!VAT_ID.test(vatId))
    throw new AccountRuleError(
      `${field}.vatId`,
      `${field}.vatId "${input.vatId}" is not a VAT identifier with its country prefix (DE123456789)`,
    );
  const iban = optional(input.iban)?.replace(/\s+/g, '').toUpperCase() ?? null;
  if (iban !== null && !validIban(iban))
    throw new AccountRuleError(
      `${field}.iban`,
      `${field}.iban "${input.iban}" is not an IBAN (its check digits do not hold)`,
    );
  const bic = optional(input.bic)?.toUpperCase() ?? null;
  if (bic !== null && !BIC.test(bic))
    throw new AccountRuleError(`${field}.bic`, `${field}.bic "${input.bic}" is not a BIC`);
  const email = optional(input.email);
  if (email !== null && !EMAIL.test(email))
    throw new AccountRuleError(`${field}.email`, `${field}.email "${input.email}" is not an email address`);
  return {
    legalName: text(`${field}.legalName`, input.legalName),
    vatId,
    address: validateAddress(input.address, `${field}.address`),
    registrationId: optional(input.registrationId),
    iban,
    bic,
    email,
    phone: optional(input.phone),
  };
}

/** The supplier's details as its stream's events leave them (null: never set). */
export function evolveSupplier(_state: SupplierDetails | null, event: SupplierDetailsSet): SupplierDetails {
  const { setAt: _setAt, ...details } = event.data;
  return details;
}

/** Sets the supplier's details; nothing when they are already so. */
export function setSupplier(
  current: SupplierDetails | null,
  input: SupplierInput,
  setAt: string,
): SupplierDetailsSet | null {
  const details = validateSupplier(input);
  if (current !== null && JSON.stringify(current) === JSON.stringify(details)) return null;
  return { type: 'SupplierDetailsSet', data: { ...details, setAt } };
}
