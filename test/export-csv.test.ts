import { parse } from 'csv-parse/sync';
import { csvCell, csvRow } from '../src/exports/csv.js';

/** The cell encoder of report exports: RFC 4180 quoting, and formula-injection safety (OWASP "CSV Injection"). */
describe('CSV cells', () => {
  it('leaves plain text as it is', () => {
    expect(csvCell('hello world')).toBe('hello world');
    expect(csvCell('')).toBe('');
  });

  it('quotes a field holding a quote, a comma, CR or LF, doubling inner quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nnext')).toBe('"line\nnext"');
    expect(csvCell('line\r\nnext')).toBe('"line\r\nnext"');
  });

  it.each([
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', `"'\rCR"`],
  ])('escapes a text cell starting like a formula: %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('does not prefix a formula character inside a cell', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('mail@example.com')).toBe('mail@example.com');
  });

  it('writes numbers, booleans and dates as such (a negative number stays a number), and empties for null', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date(Date.UTC(2026, 11, 7, 22, 3, 4, 5)))).toBe('2026-12-07T22:03:04.005Z');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('ends records with CRLF, and a maintained parser reads back exactly what was written', () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\r\nlines', 'lone\nLF', 'ünïcødé ✓', ''];
    const text = csvRow(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7']) + csvRow(values);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parse(text, { record_delimiter: '\r\n' })).toEqual([['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'], values]);
  });
});
