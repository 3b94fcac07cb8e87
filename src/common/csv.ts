/**
 * CSV as the exports and the console's downloads write it. Numbers and booleans are written as GraphQL
 * shows them; text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
 * return) gets a leading apostrophe, and text with a comma, semicolon, quote or line break is quoted: a
 * spreadsheet in a locale whose list separator is `;` (de, fr) splits unquoted cells there, so text such as
 * `B1;=HYPERLINK(…)` would otherwise become a second cell holding a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",;\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One line, ending in CRLF (RFC 4180). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
