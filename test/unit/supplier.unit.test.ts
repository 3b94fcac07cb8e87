import { AccountRuleError } from '../../src/domain/accounts/rule-error';
import { evolveSupplier, setSupplier, validateSupplier, validIban } from '../../src/domain/accounts/supplier';

const input = {
  legalName: ' Stadtwerke Müller & Söhne GmbH ',
  vatId: 'de 123 456 789',
  address: { street: 'Hauptstraße 1', city: 'Köln', postalCode: '50667', countryCode: 'de' },
  iban: 'DE89 3704 0044 0532 0130 00',
  bic: 'cobadeffxxx',
  email: 'billing@example.de',
};

describe('supplier details', () => {
  it('checks IBANs by their check digits', () => {
    expect(validIban('DE89370400440532013000')).toBe(true);
    expect(validIban('GB82WEST12345698765432')).toBe(true);
    expect(validIban('DE89370400440532013001')).toBe(false);
    expect(validIban('DE8937040044')).toBe(false);
  });

  it('writes each detail one way: trimmed, upper-cased codes, no spaces in the VAT id or IBAN', () => {
    expect(validateSupplier(input)).toEqual({
      legalName: 'Stadtwerke Müller & Söhne GmbH',
      vatId: 'DE123456789',
      address: { street: 'Hauptstraße 1', city: 'Köln', postalCode: '50667', countryCode: 'DE' },
      registrationId: null,
      iban: 'DE89370400440532013000',
      bic: 'COBADEFFXXX',
      email: 'billing@example.de',
      phone: null,
      paymentTerms: null,
    });
  });

  it('refuses a detail that cannot be right, naming the field', () => {
    const refused = (overrides: object) => {
      try {
        validateSupplier({ ...input, ...overrides });
      } catch (error) {
        return error instanceof AccountRuleError ? error.field : 'not a rule error';
      }
      return 'accepted';
    };
    expect(refused({ iban: 'DE89370400440532013001' })).toBe('supplier.iban');
    expect(refused({ vatId: '123456789' })).toBe('supplier.vatId');
    expect(refused({ address: { ...input.address, countryCode: 'Germany' } })).toBe('supplier.address.countryCode');
    expect(refused({ legalName: ' ' })).toBe('supplier.legalName');
    expect(refused({ email: 'not-an-email' })).toBe('supplier.email');
  });

  it('records the details once: setting the same again decides nothing', () => {
    const event = setSupplier(null, input, '2026-12-05T00:00:00Z')!;
    expect(event.type).toBe('SupplierDetailsSet');
    const state = evolveSupplier(null, event);
    expect(setSupplier(state, input, '2026-12-06T00:00:00Z')).toBeNull();
    expect(setSupplier(state, { ...input, phone: '+49 221 0' }, '2026-12-06T00:00:00Z')?.data.phone).toBe('+49 221 0');
  });
});
