import { badInput } from '../shared/errors.js';
import { MAX_FILE_NAME_LENGTH } from '../shared/limits.js';

// C0 and C1 control characters, DEL.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Bidirectional formatting characters: embeddings, overrides and isolates, plus the invisible
 * marks. "invoice\u202Egpj.exe" shows as "invoiceexe.jpg"; no honest file name needs them
 * (right-to-left scripts such as Arabic and Hebrew are letters, and stay allowed).
 */
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const PATH_SEPARATOR = /[/\\]/;

/**
 * The client's file name, checked and cleaned. It is only ever shown (Content-Disposition,
 * the `name` field), never used as a path. Names that carry directory parts (`../../etc/passwd`)
 * or try to disguise themselves (control characters, bidirectional overrides) are refused
 * outright rather than silently rewritten, so the sender learns why.
 */
export function cleanFileName(raw: string | null | undefined, field: string): string {
  const name = (raw ?? '').normalize('NFC').trim();
  if (CONTROL.test(name)) throw badInput(field, 'file names may not contain control characters', 'INVALID_FILE_NAME');
  if (BIDI_CONTROL.test(name)) throw badInput(field, 'file names may not contain bidirectional control characters', 'INVALID_FILE_NAME');
  if (PATH_SEPARATOR.test(name)) throw badInput(field, 'file names may not contain directory parts', 'INVALID_FILE_NAME');
  if (name === '' || name === '.' || name === '..') return 'attachment';
  return shorten(name);
}

/** Cuts the stem, not the extension, and never splits a surrogate pair. */
function shorten(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_FILE_NAME_LENGTH) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(name.slice(dot)) : [];
  const keep = extension.length > 0 && extension.length <= 16 ? extension : [];
  return (
    chars
      .slice(0, MAX_FILE_NAME_LENGTH - keep.length)
      .join('')
      .trimEnd() + keep.join('')
  );
}
