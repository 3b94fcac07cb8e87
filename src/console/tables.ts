/** Table logic of the invoices screen, pure: sorting with exact amounts. */

export interface InvoiceRow {
  id: string;
  meter: string;
  totalKwh: number;
  energyCost: string;
  currency: string;
  status: string;
  unpricedIntervals: number;
  intervals: number;
  expectedIntervals: number;
  averagePricePerKwh: string | null;
  intervalMinutes: number[];
}

export type SortKey = 'meter' | 'totalKwh' | 'energyCost' | 'status';

/** Sorted copy: text columns alphabetically, amounts exactly (as cents), kWh numerically. */
export function sortInvoices(rows: readonly InvoiceRow[], key: SortKey, descending: boolean): InvoiceRow[] {
  const cents = (amount: string) => BigInt(amount.replace('.', ''));
  const compare = (a: InvoiceRow, b: InvoiceRow): number => {
    switch (key) {
      case 'meter':
        return a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0;
      case 'status':
        return a.status < b.status ? -1 : a.status > b.status ? 1 : 0;
      case 'totalKwh':
        return a.totalKwh - b.totalKwh;
      case 'energyCost':
        return cents(a.energyCost) < cents(b.energyCost) ? -1 : cents(a.energyCost) > cents(b.energyCost) ? 1 : 0;
    }
  };
  return [...rows].sort((a, b) => (descending ? -compare(a, b) : compare(a, b)) || (a.meter < b.meter ? -1 : 1));
}
