/** The month's path through a running service, and its invoices against a peer's answer (bench, compare:peer). */
import { postFile, query } from './child-server';

/** What an invoice must match: cost to the cent, kWh within 1e-6, intervals and unpriced intervals. */
export interface ExpectedInvoice {
  totalKwh: number;
  energyCost: string;
  intervals: number;
  unpricedIntervals: number;
}

export interface ServiceInvoice extends ExpectedInvoice {
  meter: string;
  status: string;
}

/**
 * Uploads the readings, then imports the prices, then reads every invoice of the month at the prices'
 * log position (so they reflect both). Times are seconds from the upload request.
 */
export async function loadMonth(url: string, readings: string, prices: string, month: string) {
  const started = performance.now();
  const upload = await postFile(
    url,
    'mutation($f: Upload!) { uploadReadings(file: $f) { status totalRows acceptedRows rejectedRows position } }',
    readings,
    'readings.csv',
  );
  const uploadSeconds = (performance.now() - started) / 1000;
  const imported = await postFile(
    url,
    'mutation($f: Upload!) { importPrices(file: $f) { days points position } }',
    prices,
    'prices.csv',
  );
  const invoices = new Map<string, ServiceInvoice>();
  let after: string | null = null;
  for (;;) {
    const page: any = await query(
      url,
      `query($m: String!, $a: String, $p: String) { invoices(month: $m, first: 500, after: $a, atLeast: $p) {
        edges { node { meter totalKwh energyCost intervals unpricedIntervals status } } pageInfo { hasNextPage endCursor } } }`,
      { m: month, a: after, p: imported.importPrices.position },
    );
    for (const edge of page.invoices.edges) invoices.set(edge.node.meter, edge.node);
    if (!page.invoices.pageInfo.hasNextPage) break;
    after = page.invoices.pageInfo.endCursor;
  }
  return {
    receipt: upload.uploadReadings as { status: string; totalRows: number; acceptedRows: number; rejectedRows: number },
    uploadSeconds,
    readySeconds: (performance.now() - started) / 1000,
    invoices,
  };
}

/** A peer's answer (peer-duckdb.mjs / peer-pandas.py CSV: metering_point_id,month,total_kwh,energy_cost_eur,intervals,unpriced_intervals). */
export function peerAnswer(csv: string): Map<string, ExpectedInvoice> {
  const rows = csv.trim().split('\n').slice(1);
  return new Map(
    rows.map((row) => {
      const [meter, , kwh, cost, intervals, unpriced] = row.split(',') as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return [
        meter,
        {
          totalKwh: Number(kwh),
          energyCost: Number(cost).toFixed(2),
          intervals: Number(intervals),
          unpricedIntervals: Number(unpriced),
        },
      ];
    }),
  );
}

/** Every difference between the expected invoices and the service's, one line each. */
export function compareInvoices(
  expected: ReadonlyMap<string, ExpectedInvoice>,
  invoices: ReadonlyMap<string, ServiceInvoice>,
): string[] {
  const mismatches: string[] = [];
  for (const [meter, want] of expected) {
    const got = invoices.get(meter);
    if (got === undefined) mismatches.push(`${meter}: no invoice`);
    else if (
      got.energyCost !== want.energyCost ||
      Math.abs(got.totalKwh - want.totalKwh) > 1e-6 ||
      got.intervals !== want.intervals ||
      got.unpricedIntervals !== want.unpricedIntervals
    ) {
      mismatches.push(`${meter}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  for (const meter of invoices.keys()) if (!expected.has(meter)) mismatches.push(`${meter}: not in the peer's answer`);
  return mismatches;
}
