import { createHash, webcrypto } from 'node:crypto';
import { errors, type JWTHeaderParameters, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config/config.js';
import { forbidden, unauthenticated } from '../shared/errors.js';

/** Only this algorithm is accepted: `none` and asymmetric confusions are refused by jose before any claim is read. */
const ALGORITHMS = ['HS256'];

export type TokenClaims =
  /** `fam`: the sign-in (refresh-token family) the token belongs to; absent on tokens made outside a sign-in (`admin token`). */
  { typ: 'access'; sub: string; tid: string; ver: number; fam?: string } | { typ: 'guest'; sub: string; tid: string; sid: string };

/**
 * A report export's download link (exports/): who asked (`sub`, with their token version `ver`
 * then), in which tenant, for which report and range. Never a bearer credential (its `typ` differs).
 */
export interface ExportLinkClaims {
  sub: string;
  tid: string;
  ver: number;
  /** The report kind, as exports/ names it. */
  kind: string;
  /** The range [from, to), in epoch milliseconds. */
  from: number;
  to: number;
}

/** An invitation to set a first password; never a bearer credential (its `typ` differs). */
export interface InviteClaims {
  sub: string;
  tid: string;
  ver: number;
}

type TokenConfig = Pick<Config, 'jwtSecret' | 'jwtPreviousSecret' | 'jwtIssuer' | 'jwtAudience' | 'accessTokenTtlSeconds' | 'guestTokenTtlSeconds' | 'inviteTtlSeconds'>;

/**
 * Invitations carry their own JOSE `typ` header (RFC 8725 §3.11: explicit typing) and claim
 * `typ: 'invite'`, which the bearer verifier refuses, so neither can be replayed as the other.
 */
const INVITE_TYPE = 'invite+jwt';
/** Export links are typed the same way (and carry `typ: 'export'`): not a bearer token, not an invitation. */
const EXPORT_TYPE = 'export+jwt';

/** How many verified tokens are remembered; the oldest is forgotten first. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

const isId = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v);
const isFamily = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);

/** A key's id is derived from the key, so no extra setting can drift out of step with it. */
const keyId = (key: Uint8Array) => createHash('sha256').update(key).digest('base64url').slice(0, 12);

/**
 * HMAC keys are imported into WebCrypto once: given the raw secret, jose imports it again on
 * every sign and verify, a second async crypto job per request (bench/NOTES.md).
 */
const importKey = (secret: Uint8Array) => webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

/**
 * Issues and verifies HS256 tokens. Tokens are signed with the current key and name it in `kid`;
 * the previous key (JWT_PREVIOUS_SECRET) still verifies the tokens it signed, so a rotation
 * does not sign everybody out. `iss`, `aud`, `exp`, `nbf`, `iat` and `sub` are required.
 * Revocation is not decided here: access tokens carry the user's token version and their sign-in
 * (`fam`), which the auth service checks against the stored ones on every request.
 */
export class TokenService {
  private readonly keys: Map<string, Promise<webcrypto.CryptoKey>>;
  private readonly currentKid: string;

  /**
   * Tokens already verified, with their claims and expiry. A token's bytes decide its validity,
   * so the same string verifies the same way until it expires; re-checking the HMAC on every
   * request of a client was a WebCrypto job per request (bench/NOTES.md). Bounded; the oldest
   * entry goes first.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; expiresAtMs: number }>();

  constructor(
    private readonly config: TokenConfig,
    private readonly cacheSize = VERIFIED_TOKEN_CACHE_SIZE,
  ) {
    this.currentKid = keyId(config.jwtSecret);
    this.keys = new Map([[this.currentKid, importKey(config.jwtSecret)]]);
    if (config.jwtPreviousSecret) this.keys.set(keyId(config.jwtPreviousSecret), importKey(config.jwtPreviousSecret));
  }

  /** `sub` is the user id; `ver` the user's token version (see User.tokenVersion); `fam` the sign-in's refresh-token family, when there is one. */
  issueAccessToken(userId: string, tenantId: string, tokenVersion: number, ttlSeconds = this.config.accessTokenTtlSeconds, family: string | null = null): Promise<string> {
    return this.sign({ typ: 'access', tid: tenantId, ver: tokenVersion, ...(family === null ? {} : { fam: family }) }, userId, ttlSeconds);
  }

  /** `sub` is the guest participant id; `sid` the one session the token opens. */
  issueGuestToken(participantId: string, tenantId: string, sessionId: string): Promise<string> {
    return this.sign({ typ: 'guest', tid: tenantId, sid: sessionId }, participantId, this.config.guestTokenTtlSeconds);
  }

  /** `sub` is the invited user; `ver` their token version now, so the invite dies with the first password set. */
  issueInviteToken(userId: string, tenantId: string, tokenVersion: number): Promise<string> {
    return this.sign({ typ: 'invite', tid: tenantId, ver: tokenVersion }, userId, this.config.inviteTtlSeconds, INVITE_TYPE);
  }

  get inviteTtlSeconds(): number {
    return this.config.inviteTtlSeconds;
  }

  /** Verifies an invitation (never cached: it is used once). Failures are INVALID_INVITE or INVITE_EXPIRED. */
  async verifyInvite(token: string): Promise<InviteClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await this.jwtVerify(token, INVITE_TYPE));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('INVITE_EXPIRED', 'The invitation has expired; ask an admin for a new one');
      throw unauthenticated('INVALID_INVITE', 'The invitation is not valid');
    }
    const { typ, sub, tid, ver } = payload as Record<string, unknown>;
    if (typ !== 'invite' || !isId(sub) || !isId(tid) || !Number.isInteger(ver)) throw unauthenticated('INVALID_INVITE', 'The invitation is not valid');
    return { sub, tid, ver: ver as number };
  }

  /** A signed, short-lived export link's token (exports/export-link.ts puts it in the URL). */
  issueExportToken(claims: ExportLinkClaims, ttlSeconds: number): Promise<string> {
    const { sub, ...rest } = claims;
    return this.sign({ typ: 'export', ...rest }, sub, ttlSeconds, EXPORT_TYPE);
  }

  /** Verifies an export link's token (never cached). Failures are INVALID_EXPORT_LINK or EXPORT_LINK_EXPIRED. */
  async verifyExport(token: string): Promise<ExportLinkClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await this.jwtVerify(token, EXPORT_TYPE));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw forbidden('EXPORT_LINK_EXPIRED', 'The export link has expired; ask for a new one');
      throw forbidden('INVALID_EXPORT_LINK', 'The export link is not valid');
    }
    const { typ, sub, tid, ver, kind, from, to } = payload as Record<string, unknown>;
    if (typ !== 'export' || !isId(sub) || !isId(tid) || !Number.isInteger(ver) || typeof kind !== 'string' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      throw forbidden('INVALID_EXPORT_LINK', 'The export link is not valid');
    }
    return { sub, tid, ver: ver as number, kind, from: from as number, to: to as number };
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
      ({ payload } = await this.jwtVerify(token));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('TOKEN_EXPIRED', 'The token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
      throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    }
    const { typ, sub, tid, sid, ver, fam } = payload as Record<string, unknown>;
    let claims: TokenClaims;
    if (typ === 'access' && isId(sub) && isId(tid) && Number.isInteger(ver) && (fam === undefined || isFamily(fam))) {
      claims = { typ, sub, tid, ver: ver as number, ...(fam === undefined ? {} : { fam }) };
    } else if (typ === 'guest' && isId(sub) && isId(tid) && isId(sid)) claims = { typ, sub, tid, sid };
    else throw unauthenticated('INVALID_CLAIMS', 'The token claims are not valid here');
    Object.freeze(claims);
    this.remember(token, claims, (payload.exp ?? 0) * 1000);
    return claims;
  }

  /** Signature, algorithm, key, issuer, audience and the time claims: what every kind of token must pass. `typ`: the JOSE header required, if any. */
  private jwtVerify(token: string, typ?: string) {
    return jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
      algorithms: ALGORITHMS,
      ...(typ ? { typ } : {}),
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      requiredClaims: ['exp', 'nbf', 'sub', 'iat'],
    });
  }

  /** Tokens without `kid` predate rotation support and were signed with the current key. */
  private keyFor(header: JWTHeaderParameters): Promise<webcrypto.CryptoKey> {
    const key = this.keys.get(header.kid ?? this.currentKid);
    if (!key) throw unauthenticated('INVALID_TOKEN', 'The token is not valid');
    return key;
  }

  private remember(token: string, claims: TokenClaims, expiresAtMs: number): void {
    if (this.cacheSize <= 0) return;
    while (this.verified.size >= this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, expiresAtMs });
  }

  private async sign(claims: Record<string, string | number>, subject: string, ttlSeconds: number, type = 'JWT'): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: type, kid: this.currentKid })
      .setSubject(subject)
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(await this.keys.get(this.currentKid)!);
  }
}
