import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Envelope encryption of the secrets Parley must keep readable (webhook signing secrets, TOTP
 * secrets): values it needs in the clear later, so they cannot be hashed. Each value gets its own
 * random 256-bit data key; the value is sealed under it with AES-256-GCM, and the data key is
 * wrapped with AES-256-GCM under the key-encryption key (KEK) derived from SECRETS_KEY. Rotating
 * the KEK re-wraps data keys only (`reseal`); values are never decrypted to move to a new key.
 *
 * Stored form, one self-describing text (base64url parts):
 *   enc:v1:<kid>:<wrapped data key: iv|key|tag>:<iv>:<ciphertext>:<tag>
 * `kid` names the KEK (derived from it, not the key itself), so a value is opened with the current
 * or the previous key without trying both. Both layers authenticate the value's place (`place`:
 * table, purpose and row id), so a ciphertext copied to another row does not open there.
 */

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Why a stored value could not be opened. */
export type SecretUnreadableReason = 'UNKNOWN_KEY' | 'TAMPERED' | 'MALFORMED';

export class SecretUnreadable extends Error {
  constructor(
    readonly reason: SecretUnreadableReason,
    readonly kid: string | null,
  ) {
    super(
      reason === 'UNKNOWN_KEY'
        ? `a stored secret is sealed under key ${kid}, which is neither SECRETS_KEY nor SECRETS_PREVIOUS_KEY`
        : reason === 'TAMPERED'
          ? 'a stored secret does not open: it was altered, or copied from another row'
          : 'a stored secret is not in the sealed form',
    );
    this.name = 'SecretUnreadable';
  }
}

interface Kek {
  kid: string;
  key: Buffer;
}

/**
 * The KEK and its id, from the configured key material: HKDF-SHA256 spreads any 32+ character key
 * (a passphrase or base64 of random bytes) into 256 bits, and derives the id separately, so the
 * id says nothing about the key.
 */
function kekOf(material: Uint8Array): Kek {
  const key = Buffer.from(hkdfSync('sha256', material, 'parley-secrets', 'kek v1', KEY_BYTES));
  const kid = Buffer.from(hkdfSync('sha256', material, 'parley-secrets', 'kid v1', 4)).toString('hex');
  return { kid, key };
}

const b64 = (bytes: Buffer): string => bytes.toString('base64url');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64url');

function gcmSeal(key: Buffer, plain: Buffer, aad: string): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

function gcmOpen(key: Buffer, iv: Buffer, ciphertext: Buffer, tag: Buffer, aad: string): Buffer {
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretUnreadable('MALFORMED', null);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SecretUnreadable('TAMPERED', null);
  }
}

interface Parsed {
  kid: string;
  wrapped: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(stored: string): Parsed {
  const parts = stored.slice(PREFIX.length).split(':');
  if (parts.length !== 5 || !/^[0-9a-f]{8}$/.test(parts[0]!)) throw new SecretUnreadable('MALFORMED', null);
  const [kid, wrapped, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  return { kid, wrapped: unb64(wrapped), iv: unb64(iv), ciphertext: unb64(ciphertext), tag: unb64(tag) };
}

/** Whether a stored value is in the sealed form (anything else is plaintext from before sealing). */
export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export class SecretBox {
  private readonly current: Kek;
  private readonly keks: ReadonlyMap<string, Kek>;

  /** `current`: SECRETS_KEY's material; `previous`: SECRETS_PREVIOUS_KEY's, read during a rotation. */
  constructor(current: Uint8Array, previous: Uint8Array | null = null) {
    this.current = kekOf(current);
    const keks = new Map([[this.current.kid, this.current]]);
    if (previous) {
      const old = kekOf(previous);
      if (!keks.has(old.kid)) keks.set(old.kid, old);
    }
    this.keks = keks;
  }

  /** The id of the key new values are sealed under. */
  get currentKid(): string {
    return this.current.kid;
  }

  /** Whether values sealed under key `kid` open here. */
  knows(kid: string): boolean {
    return this.keks.has(kid);
  }

  /** Seals `value` for `place` under a fresh data key wrapped by the current KEK. */
  seal(value: string, place: string): string {
    const dataKey = randomBytes(KEY_BYTES);
    const sealed = gcmSeal(dataKey, Buffer.from(value, 'utf8'), valueAad(place));
    const stored = `${PREFIX}${this.wrap(dataKey, place)}:${b64(sealed.iv)}:${b64(sealed.ciphertext)}:${b64(sealed.tag)}`;
    dataKey.fill(0);
    return stored;
  }

  /** The value sealed for `place`; throws SecretUnreadable (never anything else) when it cannot be opened here. */
  open(stored: string, place: string): string {
    if (!isSealed(stored)) throw new SecretUnreadable('MALFORMED', null);
    const parsed = parse(stored);
    const dataKey = this.unwrap(parsed, place);
    try {
      return gcmOpen(dataKey, parsed.iv, parsed.ciphertext, parsed.tag, valueAad(place)).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * The stored value as it should be stored now, or null when it already is: plaintext from before
   * sealing is sealed, and a value under the previous key has its data key re-wrapped under the
   * current one (the ciphertext stays). Throws SecretUnreadable for a value under an unknown key.
   */
  reseal(stored: string, place: string): string | null {
    if (!isSealed(stored)) return this.seal(stored, place);
    const parsed = parse(stored);
    if (parsed.kid === this.current.kid) return null;
    const dataKey = this.unwrap(parsed, place);
    try {
      // Opening proves the data key belongs to this value and place before it is re-wrapped.
      gcmOpen(dataKey, parsed.iv, parsed.ciphertext, parsed.tag, valueAad(place));
      return `${PREFIX}${this.wrap(dataKey, place)}:${b64(parsed.iv)}:${b64(parsed.ciphertext)}:${b64(parsed.tag)}`;
    } finally {
      dataKey.fill(0);
    }
  }

  /** The key id a stored value is sealed under, or null for plaintext. */
  kidOf(stored: string): string | null {
    return isSealed(stored) ? parse(stored).kid : null;
  }

  /** `<kid>:<iv|wrapped key|tag>`: the data key under the current KEK, bound to the place and the key id. */
  private wrap(dataKey: Buffer, place: string): string {
    const { kid, key } = this.current;
    const wrapped = gcmSeal(key, dataKey, wrapAad(kid, place));
    return `${kid}:${b64(Buffer.concat([wrapped.iv, wrapped.ciphertext, wrapped.tag]))}`;
  }

  private unwrap(parsed: Parsed, place: string): Buffer {
    const kek = this.keks.get(parsed.kid);
    if (!kek) throw new SecretUnreadable('UNKNOWN_KEY', parsed.kid);
    const { wrapped } = parsed;
    if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new SecretUnreadable('MALFORMED', parsed.kid);
    const dataKey = gcmOpen(kek.key, wrapped.subarray(0, IV_BYTES), wrapped.subarray(IV_BYTES, IV_BYTES + KEY_BYTES), wrapped.subarray(IV_BYTES + KEY_BYTES), wrapAad(kek.kid, place));
    return dataKey;
  }
}

const valueAad = (place: string) => `parley value v1|${place}`;
const wrapAad = (kid: string, place: string) => `parley data key v1|${kid}|${place}`;
