import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { unauthenticated } from '../shared/errors.js';

/** Only this algorithm is accepted: `none` and asymmetric confusions are refused by jose before any claim is read. */
const ALGORITHMS = ['HS256'];

export type TokenClaims =
  | { typ: 'access'; sub: string; tid: string; ver: number }
  | { typ: 'guest'; sub: string; tid: string; sid: string };

type TokenConfig = Pick<Config, 'jwtSecret' | 'jwtPreviousSecret' | 'jwtIssuer' | 'jwtAudience' | 'accessTokenTtlSeconds' | 'guestTokenTtlSeconds'>;

/** A key's id is derived from the key, so no extra setting can drift out of step with it. */
const keyId = (key: Uint8Array) => createHash('sha256').update(key).digest('base64url').slice(0, 12);

/**
 * Issues and verifies HS256 tokens. Tokens are signed with the current key and name it in `kid`;
 * the previous key (JWT_PREVIOUS_SECRET) still verifies the tokens it signed, so a rotation
 * does not sign everybody out. `iss`, `aud`, `exp`, `nbf`, `iat` and `sub` are required.
 */
export class TokenService {
  private readonly keys: Map<string, Uint8Array>;
  private readonly currentKid: string;

  constructor(private readonly config: TokenConfig) {
    this.currentKid = keyId(config.jwtSecret);
    this.keys = new Map([[this.currentKid, config.jwtSecret]]);
    if (config.jwtPreviousSecret) this.keys.set(keyId(config.jwtPreviousSecret), config.jwtPreviousSecret);
  }

  /** `sub` is the user id; `ver` the user's token version (see User.tokenVersion). */
  issueAccessToken(userId: string, tenantId: string, tokenVersion: number, ttlSeconds = this.config.accessTokenTtlSeconds): Promise<string> {
    return this.sign({ typ: 'access', tid: tenantId, ver: tokenVersion }, userId, ttlSeconds);
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
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: ALGORITHMS,
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        requiredClaims: ['exp', 'nbf', 'sub', 'iat'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('TOKEN_EXPIRED', 'The token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
      throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    }
    const { typ, sub, tid, sid, ver } = payload as Record<string, unknown>;
    const isId = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v);
    if (typ === 'access' && isId(sub) && isId(tid) && Number.isInteger(ver)) return { typ, sub, tid, ver: ver as number };
    if (typ === 'guest' && isId(sub) && isId(tid) && isId(sid)) return { typ, sub, tid, sid };
    throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
  }

  /** Tokens without `kid` predate rotation support and were signed with the current key. */
  private keyFor(header: JWTHeaderParameters): Uint8Array {
    const key = this.keys.get(header.kid ?? this.currentKid);
    if (!key) throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    return key;
  }

  private sign(claims: Record<string, string | number>, subject: string, ttlSeconds: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: this.currentKid })
      .setSubject(subject)
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.config.jwtSecret);
  }
}
