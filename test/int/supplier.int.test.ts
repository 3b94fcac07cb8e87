import { graphql, startTestServer, type TestServer } from '../support/test-server';

const SET = `mutation ($input: SupplierInput!) { setSupplier(input: $input) { legalName vatId iban address { countryCode } } }`;
const input = {
  legalName: 'Stadtwerke Müller & Söhne GmbH',
  vatId: 'DE123456789',
  address: { street: 'Hauptstraße 1', city: 'Köln', postalCode: '50667', countryCode: 'DE' },
  iban: 'DE89370400440532013000',
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({});
});
afterAll(async () => {
  await t.close();
});

async function supplierEvents(): Promise<number> {
  let count = 0;
  for await (const _event of t.server.services!.eventStore.readStream('supplier')) count += 1;
  return count;
}

describe('the supplier', () => {
  it('is set by an admin, read back, and recorded once however often the same details are set', async () => {
    expect((await graphql(t.url, '{ supplier { legalName } }')).data).toEqual({ supplier: null });
    const first = await graphql(t.url, SET, { input });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({
      setSupplier: {
        legalName: input.legalName,
        vatId: 'DE123456789',
        iban: input.iban,
        address: { countryCode: 'DE' },
      },
    });
    await graphql(t.url, SET, { input });
    expect(await supplierEvents()).toBe(1);
    const read = await graphql(t.url, '{ supplier { legalName address { street city postalCode countryCode } } }');
    expect(read.data).toEqual({ supplier: { legalName: input.legalName, address: input.address } });
  });

  it('refuses a bad IBAN as BAD_USER_INPUT naming it, and records nothing', async () => {
    const answer = await graphql(t.url, SET, { input: { ...input, iban: 'DE89370400440532013001' } });
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toContain('supplier.iban');
    expect(await supplierEvents()).toBe(1);
  });
});
