import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords (RFC 6238) as authenticator apps make them: SHA-1, 6 digits,
 * 30-second steps, by otpauth (a maintained implementation). Pure functions: which step a code
 * belongs to, and single-use recovery codes. The rules (a step is good once, attempts are
 * limited) are two-factor.service.ts's.
 */

const PERIOD_SECONDS = 30;
/** Steps either side of now a code may come from: a phone clock a little off, a code typed as it turned. */
const ACCEPTED_DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;

const totpOf = (secretBase32: string, label = 'Parley', issuer = 'Parley') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });

/** A new secret (160 bits, as RFC 4226 recommends), base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URL an authenticator app scans (as a QR code) or takes pasted. */
export function otpauthUrl(secretBase32: string, account: string, issuer: string): string {
  return totpOf(secretBase32, account, issuer).toString();
}

/** The time step `code` was made for, near `now`; null when it is not a code of this secret. */
export function totpStep(secretBase32: string, code: string, now: number): number | null {
  const digits = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(digits)) return null;
  const delta = totpOf(secretBase32).validate({ token: digits, timestamp: now, window: ACCEPTED_DRIFT_STEPS });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The code for `now` (tests, and nothing else: the server never shows a code). */
export function totpCode(secretBase32: string, now: number): string {
  return totpOf(secretBase32).generate({ timestamp: now });
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Ten codes like `k3f9-x2mq-7hwp` (59 bits each): shown once, kept only as hashes. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 12 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

/** A recovery code's stored form; case, spaces and dashes as typed do not matter. SHA-256 suffices: the codes are random, not chosen. */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[\s-]/g, ''), 'utf8').digest('hex');
}
