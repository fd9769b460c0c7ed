import { type Platform, Type } from '@mikro-orm/core';

/** One element of a PostgreSQL array literal, always quoted: `null`, commas, braces and quotes stay text. */
const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Parses a PostgreSQL text[] literal (`{a,"b c","say \"hi\"",NULL}`) into its elements. */
function parseTextArray(literal: string): (string | null)[] {
  const items: (string | null)[] = [];
  let i = 1;
  while (i < literal.length - 1) {
    if (literal[i] === '"') {
      let value = '';
      i += 1;
      while (literal[i] !== '"') {
        if (literal[i] === '\\') i += 1;
        value += literal[i];
        i += 1;
      }
      items.push(value);
      i += 2; // the closing quote and the comma
    } else {
      const end = literal.indexOf(',', i) === -1 ? literal.length - 1 : literal.indexOf(',', i);
      const raw = literal.slice(i, end);
      items.push(raw === 'NULL' ? null : raw);
      i = end + 1;
    }
  }
  return items;
}

/**
 * `text[]` columns (session tags, tenant origins). MikroORM's own array marshalling leaves
 * elements unquoted unless they hold a quote, comma or brace, so a tag spelled `null` was stored
 * as SQL NULL (and then broke every read of the session). Every element is quoted here.
 */
export class TextArrayType extends Type<string[], string> {
  override convertToDatabaseValue(value: string[] | string, _platform: Platform, context?: { fromQuery?: boolean }): string {
    if (typeof value === 'string' && context?.fromQuery) return value;
    return `{${(value as string[]).map((item) => quote(String(item))).join(',')}}`;
  }

  override convertToJSValue(value: string[] | string | null): string[] {
    if (value == null) return [];
    const items = Array.isArray(value) ? value : parseTextArray(value);
    return items.filter((item): item is string => item !== null);
  }

  override compareAsType(): string {
    return 'string[]';
  }

  override getColumnType(): string {
    return 'text[]';
  }
}
