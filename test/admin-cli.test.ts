import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MeDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { databaseTemplate } from './helpers/database-template.js';
import { JWT_SECRET, startTestServer } from './helpers/server.js';

const run = promisify(execFile);

/** `npm run admin -- …` is the compiled CLI (npm test builds first); it shares the server's database. */
describe('admin CLI', () => {
  let dataDir: string;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  const admin = (...args: string[]) => run(process.execPath, ['dist/src/cli/admin.js', ...args], { env });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
    database = await createTestDatabase();
    // The in-memory PGlite of other tests cannot be shared between processes: use one on disk.
    const url = database.url === 'memory://' ? '' : database.url;
    // Its first command creates that database from the run's migrated template, as the test servers do.
    const template = (await databaseTemplate())?.pglite ?? '';
    env = { PATH: process.env.PATH, DATA_DIR: dataDir, DATABASE_URL: url, PGLITE_TEMPLATE: template, JWT_SECRET, LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'cli-admin-password' };
  });
  afterAll(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a tenant, users of each role and a token the server accepts', async () => {
    const tenant = JSON.parse((await admin('create-tenant', 'acme', '--name', 'Acme', '--origin', 'https://acme.test')).stdout) as Record<string, unknown>;
    expect(tenant).toMatchObject({ slug: 'acme', allowedOrigins: ['https://acme.test'] });
    expect(tenant.widgetKey).toMatch(/^wk_/);
    for (const role of ['ADMIN', 'STAFF', 'USER', 'BOT']) {
      const { stdout } = await admin('create-user', `${role.toLowerCase()}1`, '--role', role, '--tenant', 'acme');
      expect(JSON.parse(stdout.split('\n')[0]!)).toMatchObject({ role, tenant: 'acme' });
      expect(stdout.includes('password:')).toBe(role !== 'BOT');
    }
    const token = (await admin('token', 'bot1', '--tenant', 'acme', '--ttl', '600')).stdout.trim();

    const server = await startTestServer({ database: database.url === 'memory://' ? { url: 'pglite-on-disk', name: `pglite_on_disk_${process.pid}`, drop: async () => {} } : database, dataDir });
    try {
      const { me } = await ok(server.graphqlUrl, MeDocument, {}, token);
      expect(me).toMatchObject({ username: 'bot1', role: 'BOT' });
    } finally {
      await server.stop();
    }
  }, 180_000);

  it('`npm run admin` runs the built CLI without rebuilding when the build is current', async () => {
    const built = statSync('dist/src/cli/admin.js').mtimeMs;
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'admin', '--', '--help'], { env });
    expect(stdout).toMatch(/^Usage: npm run admin/);
    expect(stderr).not.toMatch(/building/);
    expect(statSync('dist/src/cli/admin.js').mtimeMs).toBe(built);
  }, 60_000);

  it('`npm run admin` builds first when the build is missing or a source is newer than it', async () => {
    // A stand-in project: its build writes a CLI that echoes its arguments, and counts the builds.
    const project = mkdtempSync(join(tmpdir(), 'parley-cli-build-'));
    try {
      cpSync('scripts/admin.mjs', join(project, 'scripts', 'admin.mjs'));
      mkdirSync(join(project, 'src'));
      writeFileSync(join(project, 'src', 'main.ts'), 'export {};\n');
      for (const file of ['tsconfig.json', 'tsconfig.build.json']) writeFileSync(join(project, file), '{}\n');
      writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module', scripts: { build: 'node build.mjs' } }));
      writeFileSync(
        join(project, 'build.mjs'),
        [
          "import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';",
          "mkdirSync('dist/src/cli', { recursive: true });",
          "writeFileSync('dist/src/cli/admin.js', \"console.log('cli', process.argv.slice(2).join(' '));\\n\");",
          "appendFileSync('builds', 'x');",
        ].join('\n'),
      );
      const standIn = async (...args: string[]) => {
        const { stdout } = await run(process.execPath, [join(project, 'scripts', 'admin.mjs'), ...args], { env: { PATH: process.env.PATH } });
        return [stdout.trim(), readFileSync(join(project, 'builds'), 'utf8').length];
      };

      expect(await standIn('one')).toEqual(['cli one', 1]);
      expect(await standIn('two', '--x')).toEqual(['cli two --x', 1]);
      // The source is edited after the build: the build is now older than it.
      const earlier = new Date(Date.now() - 60_000);
      utimesSync(join(project, 'dist', 'src', 'cli', 'admin.js'), earlier, earlier);
      expect(await standIn('three')).toEqual(['cli three', 2]);
      expect(await standIn('four')).toEqual(['cli four', 2]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails with a message and exit code 1 on bad input', async () => {
    await expect(admin('create-user', 'x', '--role', 'KING')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--role') });
    await expect(admin('token', 'nobody')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no user') });
    await expect(admin('frobnicate')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('unknown command') });
  }, 180_000);
});
