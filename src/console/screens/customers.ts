import { useState } from 'preact/hooks';
import { gql } from '../api';
import { ActionForm, AddressFields, addressOf, blankToNull, Field, useValues, type Values } from '../forms';
import { html, type ScreenProps, Section, Status, useLoad } from '../ui';

interface Address {
  street: string;
  postalCode: string;
  city: string;
  countryCode: string;
}
interface Billing {
  address: Address;
  vatId: string | null;
  buyerReference: string | null;
  email: string | null;
}
interface Account {
  id: string;
  name: string;
  vatRate: string;
  billing: Billing | null;
  meters: Array<{ meter: string; from: string; to: string | null }>;
}
interface Supplier {
  legalName: string;
  vatId: string;
  address: Address;
  registrationId: string | null;
  iban: string | null;
  bic: string | null;
  email: string | null;
  phone: string | null;
  paymentTerms: string | null;
}

const ADDRESS = 'address { street postalCode city countryCode }';
const SUPPLIER_FIELDS = `legalName vatId ${ADDRESS} registrationId iban bic email phone paymentTerms`;
const ACCOUNT_FIELDS = `id name vatRate billing { ${ADDRESS} vatId buyerReference email } meters { meter from to }`;

const addressValues = (address: Address | undefined, prefix: string): Values =>
  address === undefined
    ? {}
    : // eslint-disable-next-line local/no-plain-dictionary -- an Address's own field names, prefixed: the form's field names
      Object.fromEntries(Object.entries(address).map(([key, value]) => [`${prefix}${key}`, value]));
const oneLine = (a: Address) => `${a.street}, ${a.postalCode} ${a.city}, ${a.countryCode}`;

/** The supplier's legal details: the seller every e-invoice names. */
function SupplierSection({ session }: ScreenProps) {
  const { data, error, loading, reload } = useLoad(
    () => gql<{ supplier: Supplier | null }>(session.token, `{ supplier { ${SUPPLIER_FIELDS} } }`),
    [],
  );
  if (data === null)
    return html`<${Section} title="Supplier"><${Status} error=${error} loading=${loading} /></${Section}>`;
  const supplier = data.supplier;
  if (session.role !== 'ADMIN')
    return html`<${Section} title="Supplier">
      ${supplier === null ? html`<p class="muted">Not set: invoices have no e-invoice until an admin sets it.</p>` : html`<p>${supplier.legalName}, VAT ${supplier.vatId}, ${oneLine(supplier.address)}</p>`}
    </${Section}>`;
  return html`<${Section} title="Supplier"><${SupplierForm} session=${session} supplier=${supplier} saved=${reload} /></${Section}>`;
}

function SupplierForm({ session, supplier, saved }: ScreenProps & { supplier: Supplier | null; saved: () => void }) {
  const [values, set] = useValues({
    // eslint-disable-next-line local/no-plain-dictionary -- the supplier's own GraphQL fields: the form's field names
    ...Object.fromEntries(
      Object.entries(supplier ?? {}).filter(([, v]) => typeof v === 'string') as Array<[string, string]>,
    ),
    ...addressValues(supplier?.address, 'address.'),
  });
  const submit = async () => {
    const input = {
      legalName: values.legalName ?? '',
      vatId: values.vatId ?? '',
      address: addressOf(values, 'address.'),
      // eslint-disable-next-line local/no-plain-dictionary -- the form's own field names
      ...Object.fromEntries(
        (['registrationId', 'iban', 'bic', 'email', 'phone', 'paymentTerms'] as const).map((k) => [
          k,
          blankToNull(values[k]),
        ]),
      ),
    };
    await gql(session.token, `mutation($input: SupplierInput!) { setSupplier(input: $input) { vatId } }`, { input });
    saved();
    return 'Supplier details saved: invoices issued from now on name them.';
  };
  return html`<${ActionForm} label="Supplier details" submitLabel="Save supplier" submit=${submit}>
    <${Field} label="Legal name" name="legalName" values=${values} set=${set} required=${true} />
    <${Field} label="VAT id" name="vatId" values=${values} set=${set} required=${true} placeholder="DE123456789" />
    <${AddressFields} prefix="address." values=${values} set=${set} />
    <${Field} label="Registration id" name="registrationId" values=${values} set=${set} />
    <${Field} label="IBAN" name="iban" values=${values} set=${set} />
    <${Field} label="BIC" name="bic" values=${values} set=${set} />
    <${Field} label="Email" name="email" type="email" values=${values} set=${set} />
    <${Field} label="Phone" name="phone" values=${values} set=${set} />
    <${Field} label="Payment terms" name="paymentTerms" values=${values} set=${set} placeholder="Payable within 14 days." />
  </${ActionForm}>`;
}

/** Opens an account with a one-price (FIXED) or market-price (DYNAMIC) tariff. */
function NewAccountForm({ session, created }: ScreenProps & { created: () => void }) {
  const [values, set] = useValues({ kind: 'FIXED', vatRate: '0.19', standingChargePerDay: '0' });
  const submit = async () => {
    const tariff =
      values.kind === 'FIXED'
        ? {
            kind: 'FIXED',
            unitPriceEurMwh: values.unitPriceEurMwh ?? '',
            standingChargePerDay: values.standingChargePerDay,
          }
        : {
            kind: 'DYNAMIC',
            factor: blankToNull(values.factor),
            marginEurMwh: blankToNull(values.marginEurMwh),
            standingChargePerDay: values.standingChargePerDay,
          };
    const input = { id: values.id ?? '', name: values.name ?? '', vatRate: values.vatRate ?? '', tariff };
    const r = await gql<{ createAccount: { id: string } }>(
      session.token,
      'mutation($input: AccountInput!) { createAccount(input: $input) { id } }',
      { input },
    );
    created();
    return `Account ${r.createAccount.id} opened.`;
  };
  return html`<${ActionForm} label="New account" submitLabel="Open account" submit=${submit}>
    <${Field} label="Account id" name="id" values=${values} set=${set} required=${true} />
    <${Field} label="Name" name="name" values=${values} set=${set} required=${true} />
    <${Field} label="VAT rate" name="vatRate" values=${values} set=${set} required=${true} placeholder="0.19" />
    <label
      >Tariff
      <select name="kind" value=${values.kind} onChange=${(e: Event) => set('kind', (e.target as HTMLSelectElement).value)}>
        <option value="FIXED">FIXED (one unit price)</option>
        <option value="DYNAMIC">DYNAMIC (market price)</option>
      </select></label
    >
    ${
      values.kind === 'FIXED'
        ? html`<${Field}
            label="Unit price EUR/MWh"
            name="unitPriceEurMwh"
            values=${values}
            set=${set}
            required=${true}
          />`
        : html`<${Field} label="Factor" name="factor" values=${values} set=${set} placeholder="1" />
            <${Field} label="Margin EUR/MWh" name="marginEurMwh" values=${values} set=${set} placeholder="0" />`
    }
    <${Field} label="Standing charge EUR/day" name="standingChargePerDay" values=${values} set=${set} required=${true} />
  </${ActionForm}>`;
}

/** One account's billing details (the buyer of its e-invoices) and its meter assignments. */
function AccountForms({ session, account, changed }: ScreenProps & { account: Account; changed: () => void }) {
  const [billing, setBilling] = useValues({
    ...addressValues(account.billing?.address, 'address.'),
    vatId: account.billing?.vatId ?? '',
    buyerReference: account.billing?.buyerReference ?? '',
    email: account.billing?.email ?? '',
  });
  const [meter, setMeter] = useValues({ meter: '', from: '', to: '' });
  const saveBilling = async () => {
    const input = {
      address: addressOf(billing, 'address.'),
      vatId: blankToNull(billing.vatId),
      buyerReference: blankToNull(billing.buyerReference),
      email: blankToNull(billing.email),
    };
    await gql(
      session.token,
      'mutation($a: ID!, $b: BillingDetailsInput!) { setBillingDetails(account: $a, billing: $b) { id } }',
      {
        a: account.id,
        b: input,
      },
    );
    changed();
    return `Billing details of ${account.id} saved: invoices issued from now on name them.`;
  };
  const assign = async () => {
    const r = await gql<{ assignMeter: { id: string } }>(
      session.token,
      'mutation($a: ID!, $m: ID!, $f: String!, $t: String) { assignMeter(account: $a, meter: $m, from: $f, to: $t) { id } }',
      { a: account.id, m: meter.meter, f: meter.from, t: blankToNull(meter.to) },
    );
    changed();
    return `Meter ${meter.meter} assigned to ${r.assignMeter.id} from ${meter.from}.`;
  };
  return html`<div class="account-forms">
    <h3>Billing details of ${account.name}</h3>
    <${ActionForm} label=${`Billing details of ${account.id}`} submitLabel="Save billing details" submit=${saveBilling}>
      <${AddressFields} prefix="address." values=${billing} set=${setBilling} />
      <${Field} label="Customer VAT id" name="vatId" values=${billing} set=${setBilling} />
      <${Field} label="Buyer reference" name="buyerReference" values=${billing} set=${setBilling} />
      <${Field} label="Invoice email" name="email" type="email" values=${billing} set=${setBilling} />
    </${ActionForm}>
    <h3>Assign a meter to ${account.name}</h3>
    <${ActionForm} label=${`Assign a meter to ${account.id}`} submitLabel="Assign meter" submit=${assign}>
      <${Field} label="Meter" name="meter" values=${meter} set=${setMeter} required=${true} />
      <${Field} label="From" name="from" type="date" values=${meter} set=${setMeter} required=${true} />
      <${Field} label="To (optional)" name="to" type="date" values=${meter} set=${setMeter} />
    </${ActionForm}>
  </div>`;
}

/** Customers: the supplier's details, the accounts with their billing details and meters, and (admins) changes. */
export function CustomersScreen({ session }: ScreenProps) {
  const { data, error, loading, reload } = useLoad(
    () =>
      gql<{ accounts: { edges: Array<{ node: Account }> } }>(
        session.token,
        `{ accounts(first: 500) { edges { node { ${ACCOUNT_FIELDS} } } } }`,
      ),
    [],
  );
  const [selected, setSelected] = useState<string | null>(null);
  const accounts = data?.accounts.edges.map((e) => e.node) ?? [];
  const chosen = accounts.find((a) => a.id === selected) ?? null;
  const admin = session.role === 'ADMIN';
  return html`
    <h1>Customers</h1>
    <${SupplierSection} session=${session} />
    <${Section} title="Accounts">
      <${Status} error=${error} loading=${loading} />
      ${accounts.length === 0 && !loading ? html`<p class="muted">No account yet.</p>` : null}
      ${
        accounts.length === 0
          ? null
          : html`<table>
              <caption class="visually-hidden">
                Accounts
              </caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">VAT rate</th>
                  <th scope="col">Billing details</th>
                  <th scope="col">Meters</th>
                  ${admin ? html`<th scope="col"><span class="visually-hidden">Change</span></th>` : null}
                </tr>
              </thead>
              <tbody>
                ${accounts.map(
                  (a) =>
                    html`<tr>
                      <td>${a.name} <span class="muted">(${a.id})</span></td>
                      <td>${a.vatRate}</td>
                      <td>
                        ${
                          a.billing === null
                            ? html`<span class="error">none: no e-invoice</span>`
                            : `${oneLine(a.billing.address)}${a.billing.vatId === null ? '' : `, VAT ${a.billing.vatId}`}`
                        }
                      </td>
                      <td>${a.meters.map((m) => html`<div>${m.meter} ${m.from} – ${m.to ?? 'open'}</div>`)}</td>
                      ${
                        admin
                          ? html`<td>
                              <button
                                type="button"
                                class="link"
                                aria-expanded=${selected === a.id}
                                onClick=${() => setSelected(selected === a.id ? null : a.id)}
                              >
                                Change ${a.id}
                              </button>
                            </td>`
                          : null
                      }
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${chosen === null ? null : html`<${AccountForms} key=${chosen.id} session=${session} account=${chosen} changed=${reload} />`}
    </${Section}>
    ${admin ? html`<${Section} title="New account"><${NewAccountForm} session=${session} created=${reload} /></${Section}>` : null}
  `;
}
