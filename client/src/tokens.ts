import { ParleyError } from './errors.js';
import { SdkLoginDocument, type SdkLoginMutation, SdkRefreshDocument } from './generated/graphql.js';
import type { Post } from './http.js';

export interface Credentials {
  username: string;
  password: string;
  /** Tenant slug; the default tenant when omitted. */
  tenant?: string;
  /**
   * For an account with two-factor sign-in: returns the authenticator app's current code (ask the
   * user, or compute it where the secret is held). Called on each sign-in that needs one, since a
   * code works once.
   */
  totp?: () => string | Promise<string>;
}

/**
 * For apps that manage tokens themselves. `forceRefresh` is true when the server refused the last
 * token it returned (expired or revoked): return a new one.
 */
export type GetToken = (options: { forceRefresh: boolean }) => string | null | undefined | Promise<string | null | undefined>;

type Pair = SdkLoginMutation['login'];

/**
 * Holds the access token and renews it: before it expires, and when the server refuses it. One
 * renewal runs at a time; callers that saw the same stale token share it.
 */
export class TokenKeeper {
  private access: string | null = null;
  private refresh: string | null = null;
  private expiresAt = 0;
  private lifetimeMs = 0;
  private renewing: Promise<string | null> | null = null;

  constructor(
    private readonly post: Post,
    private readonly credentials: Credentials | undefined,
    private readonly getToken: GetToken | undefined,
  ) {}

  /** A token to use now (renewed first when it is in the last fifth of its life); null when anonymous. */
  async current(): Promise<string | null> {
    if (this.getToken) return (await this.getToken({ forceRefresh: false })) ?? null;
    if (!this.credentials) return null;
    if (this.renewing) return this.renewing;
    if (this.access && Date.now() < this.expiresAt - this.lifetimeMs / 5) return this.access;
    return this.renew(this.access);
  }

  /** The server refused `stale`: returns a fresh token (renewing once, however many callers ask). */
  renew(stale: string | null): Promise<string | null> {
    if (this.renewing) return this.renewing;
    if (!this.getToken && this.access !== null && this.access !== stale && Date.now() < this.expiresAt) return Promise.resolve(this.access);
    this.renewing = this.obtain().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async obtain(): Promise<string | null> {
    if (this.getToken) return (await this.getToken({ forceRefresh: true })) ?? null;
    if (!this.credentials) return null;
    if (this.refresh) {
      const result = await this.post(SdkRefreshDocument, { refreshToken: this.refresh }, null);
      if (result.data) return this.keep(result.data.refreshToken);
      // A refresh token that was spent, revoked or expired: sign in again with the credentials.
      this.refresh = null;
    }
    const { username, password, tenant, totp } = this.credentials;
    const result = await this.post(SdkLoginDocument, { username, password, tenant: tenant ?? null, totp: totp ? await totp() : null }, null);
    if (!result.data) throw new ParleyError(result.errors ?? [{ message: 'login failed' }]);
    return this.keep(result.data.login);
  }

  private keep(pair: Pair): string {
    const now = Date.now();
    this.access = pair.token;
    this.refresh = pair.refreshToken;
    this.expiresAt = new Date(pair.expiresAt).getTime();
    this.lifetimeMs = Math.max(0, this.expiresAt - now);
    return pair.token;
  }
}
