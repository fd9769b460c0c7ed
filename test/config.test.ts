import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with zero configuration on embedded PGlite under DATA_DIR, port 4000', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.port).toBe(4000);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.redisUrl).toBeNull();
    expect(config.redisPrefix).toBe('parley:');
    expect(config.eventRetentionDays).toBe(7);
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
    // The generated development secret is kept: a second load reads the same one.
    expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toEqual(config.jwtSecret);
  });

  it('reads memory:// as a throwaway PGlite and postgres:// as PostgreSQL', () => {
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'pglite', dataDir: null });
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
  });

  it('reads PGLITE_TEMPLATE as the tarball a new embedded database starts from (none by default)', () => {
    const file = join(dataDir, 'pgdata.tar');
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'memory://', PGLITE_TEMPLATE: file }).database).toStrictEqual({ kind: 'pglite', dataDir: null, template: file });
    expect(loadConfig({ DATA_DIR: dataDir, PGLITE_TEMPLATE: file }).database).toStrictEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite'), template: file });
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'memory://' }).database).toStrictEqual({ kind: 'pglite', dataDir: null });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD/],
    [{ ACCESS_TOKEN_TTL_SECONDS: '5' }, /ACCESS_TOKEN_TTL_SECONDS/],
    [{ REDIS_PREFIX: 'has spaces' }, /REDIS_PREFIX/],
    [{ EVENT_RETENTION_DAYS: '0' }, /EVENT_RETENTION_DAYS/],
  ])('fails fast naming the variable: %o', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, ...env })).toThrow(message);
  });
});
