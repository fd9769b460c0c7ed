import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `prk_` and 43 base64url characters (32 random bytes). The prefix tells them from
 * JWTs (which start with `eyJ`) before any verification, and lets secret scanners find leaked ones.
 */
const PREFIX = 'prk_';

export const isApiKey = (token: string): boolean => token.startsWith(PREFIX);

export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 12) };
}

/**
 * What is stored: a SHA-256 of the key. The key has 256 bits of entropy, so a fast hash is
 * enough (no guessing to slow down), and the lookup by hash is one index probe per request.
 */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
