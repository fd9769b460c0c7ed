import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { unauthenticated } from '../shared/errors.js';

/** Only this algorithm is accepted: `none` and asymmetric confusions are refused by jose before any claim is read. */
const ALGORITHMS = ['HS256'];

export type TokenClaims =
  | { typ: 'access'; sub: string; tid: string }
  | { typ: 'guest'; sub: string; tid: string; sid: string };

/** How many verified tokens are remembered; the oldest is forgotten first. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export class TokenService {
  /**
   * The HMAC key, imported into WebCrypto once: given the raw secret, jose imports it again on
   * every sign and verify, a second async crypto job per request (bench/NOTES.md).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;

  /**
   * Tokens already verified, with their claims and expiry. A token's bytes decide its validity,
   * so the same string verifies the same way until it expires; re-checking the HMAC on every
   * request of a client was a WebCrypto job per request (bench/NOTES.md). Bounded; the oldest
   * entry goes first.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; expiresAtMs: number }>();

  constructor(
    private readonly config: Pick<Config, 'jwtSecret' | 'jwtIssuer' | 'jwtAudience' | 'accessTokenTtlSeconds' | 'guestTokenTtlSeconds'>,
    private readonly cacheSize = VERIFIED_TOKEN_CACHE_SIZE,
  ) {
    this.key = webcrypto.subtle.importKey('raw', config.jwtSecret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  /** `sub` is the user id. */
  issueAccessToken(userId: string, tenantId: string, ttlSeconds = this.config.accessTokenTtlSeconds): Promise<string> {
    return this.sign({ typ: 'access', tid: tenantId }, userId, ttlSeconds);
  }

  /** `sub` is the guest participant id; `sid` the one session the token opens. */
  issueGuestToken(participantId: string, tenantId: string, sessionId: string): Promise<string> {
    return this.sign({ typ: 'guest', tid: tenantId, sid: sessionId }, participantId, this.config.guestTokenTtlSeconds);
  }

  get accessTokenTtlSeconds(): number {
    return this.config.accessTokenTtlSeconds;
  }

  /** Number of verified tokens currently remembered (at most the cache size). */
  get cachedTokens(): number {
    return this.verified.size;
  }

  async verify(token: string): Promise<TokenClaims> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAtMs) return known.claims;
    // Expired (or never seen): full verification, which also reports TOKEN_EXPIRED.
    this.verified.delete(token);
    return this.verifyFully(token);
  }

  private async verifyFully(token: string): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        algorithms: ALGORITHMS,
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        requiredClaims: ['exp', 'sub', 'iat'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('TOKEN_EXPIRED', 'The token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
      throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    }
    const { typ, sub, tid, sid } = payload as Record<string, unknown>;
    const isId = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v);
    let claims: TokenClaims;
    if (typ === 'access' && isId(sub) && isId(tid)) claims = { typ, sub, tid };
    else if (typ === 'guest' && isId(sub) && isId(tid) && isId(sid)) claims = { typ, sub, tid, sid };
    else throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
    Object.freeze(claims);
    this.remember(token, claims, (payload.exp ?? 0) * 1000);
    return claims;
  }

  private remember(token: string, claims: TokenClaims, expiresAtMs: number): void {
    if (this.cacheSize <= 0) return;
    while (this.verified.size >= this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, expiresAtMs });
  }

  private async sign(claims: Record<string, string>, subject: string, ttlSeconds: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(await this.key);
  }
}
