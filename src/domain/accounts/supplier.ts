/**
 * The supplier: the legal details every invoice it issues is sent under (EN 16931's seller: name, VAT
 * identifier, postal address, and how to be paid). Set by an admin, kept as events on one stream; setting
 * the same details again records nothing.
 */
import { AccountRuleError } from './rule-error';
import {
  optionalText,
  type PostalAddress,
  requiredText,
  sameDetails,
  validateAddress,
  validateEmail,
  validateVatId,
} from './parties';

export const SUPPLIER_STREAM = 'supplier';

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
  /** How and when to pay (EN 16931 BT-20), such as "Payable within 14 days"; absent in details set before. */
  paymentTerms: string | null;
}

export interface SupplierDetailsSet {
  type: 'SupplierDetailsSet';
  data: SupplierDetails & { setAt: string };
}

export type SupplierInput = Omit<
  SupplierDetails,
  'registrationId' | 'iban' | 'bic' | 'email' | 'phone' | 'paymentTerms'
> & {
  registrationId?: string | null;
  iban?: string | null;
  bic?: string | null;
  email?: string | null;
  phone?: string | null;
  paymentTerms?: string | null;
};

const BIC = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** Whether an IBAN's check digits hold (ISO 13616: the number rearranged, letters as 10-35, mod 97 is 1). */
export function validIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const digits = `${iban.slice(4)}${iban.slice(0, 4)}`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  return remainder === 1;
}

/** The supplier's details from their input, each checked and written one way (spaces out of IBAN and VAT id). */
export function validateSupplier(input: SupplierInput, field = 'supplier'): SupplierDetails {
  const vatId = validateVatId(input.vatId, `${field}.vatId`);
  const iban = optionalText(input.iban)?.replace(/\s+/g, '').toUpperCase() ?? null;
  if (iban !== null && !validIban(iban))
    throw new AccountRuleError(
      `${field}.iban`,
      `${field}.iban "${input.iban}" is not an IBAN (its check digits do not hold)`,
    );
  const bic = optionalText(input.bic)?.toUpperCase() ?? null;
  if (bic !== null && !BIC.test(bic))
    throw new AccountRuleError(`${field}.bic`, `${field}.bic "${input.bic}" is not a BIC`);
  const email = validateEmail(input.email, `${field}.email`);
  return {
    legalName: requiredText(`${field}.legalName`, input.legalName),
    vatId,
    address: validateAddress(input.address, `${field}.address`),
    registrationId: optionalText(input.registrationId),
    iban,
    bic,
    email,
    phone: optionalText(input.phone),
    paymentTerms: optionalText(input.paymentTerms),
  };
}

/** The supplier's details as its stream's events leave them (null: never set). */
export function evolveSupplier(_state: SupplierDetails | null, event: SupplierDetailsSet): SupplierDetails {
  const { setAt: _setAt, ...details } = event.data;
  return { ...details, paymentTerms: details.paymentTerms ?? null };
}

/** Sets the supplier's details; nothing when they are already so. */
export function setSupplier(
  current: SupplierDetails | null,
  input: SupplierInput,
  setAt: string,
): SupplierDetailsSet | null {
  const details = validateSupplier(input);
  const same = current !== null && sameDetails(current, details);
  if (same) return null;
  return { type: 'SupplierDetailsSet', data: { ...details, setAt } };
}
