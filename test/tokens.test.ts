import { setTimeout as sleep } from 'node:timers/promises';
import { TokenService, VERIFIED_TOKEN_CACHE_SIZE } from '../src/auth/tokens.js';
import { DomainError } from '../src/shared/errors.js';
import { JWT_SECRET } from './helpers/server.js';

const config = {
  jwtSecret: new TextEncoder().encode(JWT_SECRET),
  jwtPreviousSecret: null,
  jwtIssuer: 'parley',
  jwtAudience: 'parley-api',
  accessTokenTtlSeconds: 3600,
  guestTokenTtlSeconds: 3600,
  inviteTtlSeconds: 3600,
};

async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DomainError ? error.reason : String(error);
  }
  return undefined;
}

describe('verified-token cache', () => {
  it('remembers a verified token, and still refuses any other string, however close', async () => {
    const tokens = new TokenService(config);
    const token = await tokens.issueAccessToken('7', '1', 0);
    expect(await tokens.verify(token)).toEqual({ typ: 'access', sub: '7', tid: '1', ver: 0 });
    expect(tokens.cachedTokens).toBe(1);
    expect(await tokens.verify(token)).toEqual({ typ: 'access', sub: '7', tid: '1', ver: 0 });

    const [header, payload, signature] = token.split('.');
    const tampered = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await failure(tokens.verify(tampered))).toBe('INVALID_TOKEN');
    const forged = await new TokenService({ ...config, jwtSecret: new TextEncoder().encode('another-secret-that-is-long-enough-0123') }).issueAccessToken('7', '1', 0);
    expect(await failure(tokens.verify(forged))).toBe('INVALID_TOKEN');
    expect(tokens.cachedTokens).toBe(1);
  });

  it(`holds at most its size (${VERIFIED_TOKEN_CACHE_SIZE} by default), forgetting the oldest first`, async () => {
    const tokens = new TokenService(config, 2);
    const issued = [await tokens.issueAccessToken('1', '1', 0), await tokens.issueAccessToken('2', '1', 0), await tokens.issueAccessToken('3', '1', 0)];
    for (const token of issued) await tokens.verify(token);
    expect(tokens.cachedTokens).toBe(2);
    // A forgotten token is verified again in full, and is still valid.
    expect(await tokens.verify(issued[0]!)).toEqual({ typ: 'access', sub: '1', tid: '1', ver: 0 });
    expect(tokens.cachedTokens).toBe(2);
  });

  it('refuses a remembered token once it expires', async () => {
    const tokens = new TokenService(config);
    const token = await tokens.issueAccessToken('9', '1', 0, 1);
    await tokens.verify(token);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 50);
    expect(await failure(tokens.verify(token))).toBe('TOKEN_EXPIRED');
    expect(tokens.cachedTokens).toBe(0);
  });
});
