import { useState } from 'preact/hooks';
import { atLeast, download, gql, notePosition, openDocument } from '../api';
import { formatDecimal } from '../format';
import { describe, html, MonthInput, previousMonth, type ScreenProps, Status, useLoad } from '../ui';

interface Draft {
  account: string;
  accountName: string;
  status: string;
  subtotal: string;
  vat: string;
  total: string;
  currency: string;
  issuedNumber: string | null;
  pendingAdjustment: string | null;
  meters: Array<{ meter: string; kwh: string; days: number }>;
}

/** A month's account invoices: drafts as they would be issued now, the issued ones, and (admins) issuing. */
export function AccountsScreen({ session, month: initialMonth }: ScreenProps & { month: string | null }) {
  const [month, setMonth] = useState(initialMonth ?? previousMonth(new Date()));
  const { data, error, loading, reload } = useLoad(
    () =>
      gql<{ draftInvoices: Draft[] }>(
        session.token,
        `query($month: String!, $atLeast: String) { draftInvoices(month: $month, atLeast: $atLeast) {
          account accountName status subtotal vat total currency issuedNumber pendingAdjustment meters { meter kwh days } } }`,
        { month, atLeast: atLeast() },
      ),
    [month],
  );
  const [report, setReport] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const issue = async () => {
    setReport(null);
    setActionError(null);
    try {
      const r = await gql<{
        issueInvoices: {
          issued: Array<{ number: string }>;
          skipped: Array<{ account: string; reason: string }>;
          position: string;
        };
      }>(
        session.token,
        'mutation($month: String!) { issueInvoices(month: $month) { issued { number } skipped { account reason } position } }',
        { month },
      );
      notePosition(r.issueInvoices.position);
      const skipped = r.issueInvoices.skipped.map((s) => `${s.account}: ${s.reason}`).join(', ');
      setReport(`Issued ${r.issueInvoices.issued.length} invoices${skipped === '' ? '' : `; skipped ${skipped}`}.`);
      reload();
    } catch (caught) {
      setActionError(describe(caught));
    }
  };
  const open = (number: string) =>
    openDocument(session.token, `/invoices/${encodeURIComponent(number)}.html`).catch((caught: unknown) =>
      setActionError(describe(caught)),
    );
  /** The e-invoice, or the service's reason there is none (it names what to set and how to reissue). */
  const eInvoice = (number: string, syntax: 'ubl' | 'cii') =>
    download(
      session.token,
      `/invoices/${encodeURIComponent(number)}.xml?syntax=${syntax}`,
      `${number}-${syntax}.xml`,
    ).catch((caught: unknown) => setActionError(describe(caught)));
  return html`
    <h1>Account invoices</h1>
    <div class="toolbar">
      <${MonthInput} month=${month} onChange=${setMonth} />
      ${session.role === 'ADMIN' ? html`<button type="button" onClick=${issue}>Issue complete drafts</button>` : null}
    </div>
    ${report === null ? null : html`<p role="status">${report}</p>`}
    ${actionError === null ? null : html`<p class="error" role="alert">${actionError}</p>`}
    <${Status} error=${error} loading=${loading} />
    ${
      data === null
        ? null
        : data.draftInvoices.length === 0
          ? html`<p class="muted">No account has a meter in ${month}.</p>`
          : html`<table>
              <caption class="visually-hidden">
                Account invoices of ${month}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Meters</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="n">Subtotal</th>
                  <th scope="col" class="n">VAT</th>
                  <th scope="col" class="n">Total</th>
                  <th scope="col">Issued</th>
                </tr>
              </thead>
              <tbody>
                ${data.draftInvoices.map(
                  (d) =>
                    html`<tr>
                      <td>${d.accountName} <span class="muted">(${d.account})</span></td>
                      <td>
                        ${d.meters.map((m) => html`<div>${m.meter}: ${formatDecimal(m.kwh)} kWh, ${m.days} days</div>`)}
                      </td>
                      <td>${d.status}</td>
                      <td class="n">${formatDecimal(d.subtotal)}</td>
                      <td class="n">${formatDecimal(d.vat)}</td>
                      <td class="n">${formatDecimal(d.total)} ${d.currency}</td>
                      <td>
                        ${
                          d.issuedNumber === null
                            ? '—'
                            : html`<button type="button" class="link" onClick=${() => open(d.issuedNumber!)}>
                                  ${d.issuedNumber}
                                </button>
                                ${(['ubl', 'cii'] as const).map(
                                  (syntax) =>
                                    html`<button
                                      type="button"
                                      class="link"
                                      aria-label=${`${d.issuedNumber} as ${syntax.toUpperCase()} e-invoice`}
                                      onClick=${() => eInvoice(d.issuedNumber!, syntax)}
                                    >
                                      ${syntax.toUpperCase()}
                                    </button>`,
                                )}
                                ${d.pendingAdjustment === null ? null : html`<div class="error">pending adjustment ${formatDecimal(d.pendingAdjustment)}</div>`}`
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  `;
}
