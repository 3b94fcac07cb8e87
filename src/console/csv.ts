/** Rows as CSV text for a download, written as the server's exports write them. */
import { csvLine } from '../common/csv';

export { csvCell } from '../common/csv';

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header, ...rows].map(csvLine).join('');
}
