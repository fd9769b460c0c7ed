import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { unauthenticated } from '../shared/errors.js';

/** Only this algorithm is accepted: `none` and asymmetric confusions are refused by jose before any claim is read. */
const ALGORITHMS = ['HS256'];

export type TokenClaims =
  | { typ: 'access'; sub: string; tid: string }
  | { typ: 'guest'; sub: string; tid: string; sid: string };

export class TokenService {
  /**
   * The HMAC key, imported into WebCrypto once: given the raw secret, jose imports it again on
   * every sign and verify, a second async crypto job per request (bench/NOTES.md).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(private readonly config: Pick<Config, 'jwtSecret' | 'jwtIssuer' | 'jwtAudience' | 'accessTokenTtlSeconds' | 'guestTokenTtlSeconds'>) {
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

  async verify(token: string): Promise<TokenClaims> {
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
    if (typ === 'access' && isId(sub) && isId(tid)) return { typ, sub, tid };
    if (typ === 'guest' && isId(sub) && isId(tid) && isId(sid)) return { typ, sub, tid, sid };
    throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
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
