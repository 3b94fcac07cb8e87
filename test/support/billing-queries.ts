import { graphql } from './test-server';

/** The fields of an invoice the billing tests compare. */
export const INVOICE_FIELDS =
  'meter totalKwh energyCost intervals expectedIntervals unpricedIntervals intervalMinutes status';

/** A month's invoices (all meters, up to 500, or one meter's), once the read model has passed `atLeast`. */
export async function invoicesOfMonth(
  url: string,
  month: string,
  options: { meter?: string; atLeast?: string } = {},
): Promise<Array<Record<string, unknown>>> {
  const answer = await graphql(
    url,
    `query ($month: String!, $meter: ID, $p: String) {
      invoices(month: $month, meter: $meter, first: 500, atLeast: $p) { edges { node { ${INVOICE_FIELDS} } } }
    }`,
    { month, meter: options.meter ?? null, p: options.atLeast ?? null },
  );
  if (answer.errors !== undefined) throw new Error(`invoices: ${JSON.stringify(answer.errors)}`);
  return (answer.data as { invoices: { edges: Array<{ node: Record<string, unknown> }> } }).invoices.edges.map(
    (edge) => edge.node,
  );
}
