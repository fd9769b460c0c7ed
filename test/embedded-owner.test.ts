import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LoginDocument, MeDocument } from './generated/graphql.js';
import { errorCode, ok } from './helpers/client.js';
import { type ServerProcess, startServerProcess } from './helpers/process.js';
import { JWT_SECRET } from './helpers/server.js';

const run = promisify(execFile);

/**
 * The embedded database (PGlite under DATA_DIR) belongs to one process. These tests run the real
 * `node dist/src/main.js` and `dist/src/cli/admin.js` as separate processes on one directory,
 * in both CI modes (the environment is built here, so DATABASE_URL never applies).
 */
describe('the embedded database is owned by one process', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const admin = async (...args: string[]) => (await run(process.execPath, ['dist/src/cli/admin.js', ...args], { env })).stdout.trim();
  const start = () => startServerProcess({ ...env, PORT: '0', HOST: '127.0.0.1' });
  const stop = async (server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') => {
    server.child.kill(signal);
    await server.exited;
  };
  const login = (url: string, username: string, password: string, tenant: string) => ok(`${url}/graphql`, LoginDocument, { username, password, tenant });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-owner-'));
    env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: '', JWT_SECRET, ADMIN_PASSWORD: 'owner-admin-password', LOG_LEVEL: 'error' };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs the admin CLI through the running server, so every change works at once and survives restarts and kill -9', async () => {
    let server = await start();
    try {
      // The credential the CLI uses is readable by the server's account only.
      expect(statSync(join(dataDir, 'admin.credential')).mode & 0o777).toBe(0o600);
      for (let i = 1; i <= 5; i++) {
        const tenant = JSON.parse(await admin('create-tenant', `team${i}`, '--name', `Team ${i}`)) as { slug: string };
        expect(tenant.slug).toBe(`team${i}`);
        const user = JSON.parse(await admin('create-user', `agent${i}`, '--role', 'STAFF', '--tenant', `team${i}`, '--password', `first-password-${i}`)) as { username: string };
        expect(user.username).toBe(`agent${i}`);
        await login(server.url, `agent${i}`, `first-password-${i}`, `team${i}`);

        expect(await admin('set-password', `agent${i}`, '--tenant', `team${i}`, '--password', `second-password-${i}`)).toBe('password set');
        expect(await errorCode(`${server.url}/graphql`, LoginDocument, { username: `agent${i}`, password: `first-password-${i}`, tenant: `team${i}` })).toBe('UNAUTHENTICATED');
        await login(server.url, `agent${i}`, `second-password-${i}`, `team${i}`);

        const token = await admin('token', `agent${i}`, '--tenant', `team${i}`);
        expect((await ok(`${server.url}/graphql`, MeDocument, {}, token)).me).toMatchObject({ username: `agent${i}`, role: 'STAFF' });
      }

      // A second server on the same directory refuses with one line and exit code 1.
      const second = spawn(process.execPath, ['dist/src/main.js'], { env: { ...env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      second.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/data directory .* is in use by another Parley process \(server, pid \d+/)]);

      await stop(server);
      server = await start();
      for (let i = 1; i <= 5; i++) await login(server.url, `agent${i}`, `second-password-${i}`, `team${i}`);

      // Killed without a chance to clean up: the lock it leaves is stale, not a blocked directory.
      await stop(server, 'SIGKILL');
      expect(await admin('list-tenants')).toMatch(/team5/);
      server = await start();
      for (let i = 1; i <= 5; i++) await login(server.url, `agent${i}`, `second-password-${i}`, `team${i}`);
    } finally {
      await stop(server);
    }
  }, 180_000);
});
