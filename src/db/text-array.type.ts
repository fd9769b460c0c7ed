import { ArrayType, type Platform, type TransformContext } from '@mikro-orm/core';

/**
 * `text[]` with every element quoted. MikroORM leaves plain words unquoted in the array
 * literal, and PostgreSQL reads an unquoted `null` (in any case) as NULL: the tag "null"
 * was stored as a NULL element, and every later read of the session failed.
 */
export class TextArrayType extends ArrayType<string> {
  override convertToDatabaseValue(value: string[] | null, platform: Platform, context?: TransformContext): string | null {
    if (!Array.isArray(value)) return super.convertToDatabaseValue(value, platform, context);
    return `{${value.map((item) => `"${String(item).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  }
}
