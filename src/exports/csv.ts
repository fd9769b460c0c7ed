/**
 * CSV as RFC 4180 writes it (CRLF record ends; a field holding `"`, `,`, CR or LF is quoted,
 * with inner quotes doubled), made safe to open in a spreadsheet: a text cell that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula (OWASP "CSV Injection"),
 * so it gets a leading `'`, which spreadsheets show as text. Numbers, booleans and dates are
 * written as such and never prefixed (a negative number stays a number).
 */

/** What a cell may hold: null and undefined are empty cells, dates are written in ISO 8601 (UTC). */
export type CsvValue = string | number | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, escaped for formulas and quoted for RFC 4180. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
