import { useState } from 'preact/hooks';
import { atLeast, download, gql } from '../api';
import { type InvoiceRow, type SortKey, sortInvoices } from '../tables';
import { formatDecimal, formatNumber, sumAmounts, sumKwh } from '../format';
import { describe, html, MonthInput, previousMonth, type ScreenProps, Status, useLoad } from '../ui';

/** Every invoice of a month, through the API's pages. */
async function monthInvoices(token: string | null, month: string): Promise<InvoiceRow[]> {
  const rows: InvoiceRow[] = [];
  let after: string | null = null;
  for (;;) {
    const data: {
      invoices: { edges: Array<{ node: InvoiceRow }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    } = await gql(
      token,
      `query($month: String!, $after: String, $atLeast: String) { invoices(month: $month, first: 500, after: $after, atLeast: $atLeast) {
        edges { node { id meter totalKwh energyCost currency status unpricedIntervals intervals expectedIntervals averagePricePerKwh intervalMinutes } }
        pageInfo { hasNextPage endCursor } } }`,
      { month, after, atLeast: atLeast() },
    );
    rows.push(...data.invoices.edges.map((e) => e.node));
    if (!data.invoices.pageInfo.hasNextPage) return rows;
    after = data.invoices.pageInfo.endCursor;
  }
}

/** A month's invoices per meter: filter by status, sort by any column, totals, CSV download. */
export function InvoicesScreen({ session, month: initialMonth }: ScreenProps & { month: string | null }) {
  const [month, setMonth] = useState(initialMonth ?? previousMonth(new Date()));
  const [status, setStatus] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'meter', descending: false });
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error, loading } = useLoad(() => monthInvoices(session.token, month), [month]);
  const shown = sortInvoices(
    (data ?? []).filter((row) => status === '' || row.status === status),
    sort.key,
    sort.descending,
  );
  const header = (key: SortKey, label: string, numeric = false) => {
    const active = sort.key === key;
    return html`<th
      scope="col"
      class=${numeric ? 'n' : ''}
      aria-sort=${active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        class="link"
        onClick=${() => setSort({ key, descending: active ? !sort.descending : false })}
      >
        ${label}${active ? (sort.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>`;
  };
  const csv = async () => {
    setDownloadError(null);
    try {
      await download(
        session.token,
        `/exports/invoices.csv?month=${encodeURIComponent(month)}`,
        `invoices-${month}.csv`,
      );
    } catch (caught) {
      setDownloadError(describe(caught));
    }
  };
  return html`
    <h1>Invoices</h1>
    <div class="toolbar">
      <${MonthInput}
        month=${month}
        onChange=${(value: string) => {
          setMonth(value);
          location.hash = `#/invoices?month=${value}`;
        }}
      />
      <label
        >Status
        <select value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          <option>COMPLETE</option>
          <option>MISSING_READINGS</option>
          <option>MISSING_PRICES</option>
        </select></label
      >
      <button type="button" onClick=${csv}>Download CSV</button>
      ${downloadError === null ? null : html`<span class="error" role="alert">${downloadError}</span>`}
    </div>
    <${Status} error=${error} loading=${loading} />
    ${
      data === null
        ? null
        : html`<table data-testid="invoices">
            <caption class="visually-hidden">
              Invoices of ${month} per meter
            </caption>
            <thead>
              <tr>
                ${header('meter', 'Meter')}${header('totalKwh', 'kWh', true)}${header('energyCost', 'Energy cost', true)}${header('status', 'Status')}
                <th scope="col" class="n">Unpriced intervals</th>
              </tr>
            </thead>
            <tbody>
              ${shown.map(
                (row) =>
                  html`<tr>
                      <td>
                        <button
                          type="button"
                          class="link"
                          aria-expanded=${open === row.id}
                          aria-controls=${`detail-${row.id}`}
                          onClick=${() => setOpen(open === row.id ? null : row.id)}
                        >
                          ${row.meter}
                        </button>
                      </td>
                      <td class="n">${formatNumber(row.totalKwh)}</td>
                      <td class="n">${formatDecimal(row.energyCost)} ${row.currency}</td>
                      <td>${row.status}</td>
                      <td class="n">${formatDecimal(String(row.unpricedIntervals))}</td>
                    </tr>
                    ${
                      open !== row.id
                        ? null
                        : html`<tr id=${`detail-${row.id}`} class="detail">
                            <td colspan="5">
                              <dl class="facts" data-testid="invoice-detail">
                                <dt>Invoice</dt>
                                <dd>${row.id}</dd>
                                <dt>Readings</dt>
                                <dd>
                                  ${formatDecimal(String(row.intervals))} of
                                  ${formatDecimal(String(row.expectedIntervals))} intervals
                                  (${row.intervalMinutes.join(', ')} minutes)
                                </dd>
                                <dt>Unpriced intervals</dt>
                                <dd>${formatDecimal(String(row.unpricedIntervals))}</dd>
                                <dt>Average price</dt>
                                <dd>
                                  ${row.averagePricePerKwh === null ? '—' : `${formatDecimal(row.averagePricePerKwh)} EUR/kWh`}
                                </dd>
                              </dl>
                              <a href=${`#/meters/${encodeURIComponent(row.meter)}?month=${month}`}
                                >Usage and prices of ${row.meter}</a
                              >
                            </td>
                          </tr>`
                    }`,
              )}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total (${shown.length} meters)</th>
                <td class="n" data-testid="total-kwh">${formatNumber(sumKwh(shown.map((r) => r.totalKwh)))}</td>
                <td class="n" data-testid="total-cost">
                  ${formatDecimal(sumAmounts(shown.map((r) => r.energyCost)))} EUR
                </td>
                <td></td>
                <td class="n">${formatDecimal(String(shown.reduce((s, r) => s + r.unpricedIntervals, 0)))}</td>
              </tr>
            </tfoot>
          </table>`
    }
  `;
}
