import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, readEnvironment } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { LoginDocument, MeDocument } from './generated/graphql.js';
import { gql } from './helpers/client.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers/server.js';

const MAIN = resolve('dist/src/main.js');

describe('start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-startup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .env from the working directory, and the environment wins over it', () => {
    writeFileSync(join(dir, '.env'), '# comment\nPORT=4100\nLOG_LEVEL=debug\nCORS_ORIGINS="https://a.example,https://b.example"\n');
    const env = readEnvironment(dir, { LOG_LEVEL: 'warn', DATA_DIR: dir });
    const config = loadConfig(env, false);
    expect(config.port).toBe(4100);
    expect(config.logLevel).toBe('warn');
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    // No .env: the environment alone.
    expect(readEnvironment(join(dir, 'nowhere'), { PORT: '1' })).toEqual({ PORT: '1' });
  });

  it('logs human lines on a development terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({ DATA_DIR: dir }, true).logFormat).toBe('pretty');
    expect(loadConfig({ DATA_DIR: dir }, false).logFormat).toBe('json');
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }, true).logFormat).toBe('json');
    expect(loadConfig({ DATA_DIR: dir, LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(() => loadConfig({ DATA_DIR: dir, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(() => loadConfig({ DATA_DIR: dir, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('a port in use (named in .env) is one clear line and exit code 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      writeFileSync(join(dir, '.env'), `PORT=${port}\nHOST=127.0.0.1\nDATABASE_URL=memory://\nLOG_LEVEL=silent\nDATA_DIR=${dir}/data\n`);
      const child = spawn(process.execPath, [MAIN], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([`Port ${port} on 127.0.0.1 is already in use; stop the other server or set PORT to a free port`]);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

describe('operations', () => {
  let t: TestServer;
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const METRICS_TOKEN = 'metrics-token-0123456789';

  beforeAll(async () => {
    t = await startTestServer({ logger: createLogger('debug', sink), env: { METRICS_TOKEN } });
  });
  afterAll(() => t.dispose());

  const accessLine = (path: string) => lines.filter((line) => line.msg === 'request' && line.path === path).at(-1);

  it('/metrics requires METRICS_TOKEN when one is set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('parley_');
  });

  it('GraphQL access lines name the root fields and error codes; probes log at debug', async () => {
    await gql(t.graphqlUrl, LoginDocument, { username: 'admin', password: ADMIN_PASSWORD });
    expect(accessLine('/graphql')).toMatchObject({ level: 30, status: 200, fields: ['login'] });
    await gql(t.graphqlUrl, MeDocument, {}, 'not-a-token');
    expect(accessLine('/graphql')).toMatchObject({ status: 401, errors: ['UNAUTHENTICATED'] });
    await gql(t.graphqlUrl, LoginDocument, { username: 'admin', password: 'wrong-password' });
    expect(accessLine('/graphql')).toMatchObject({ fields: ['login'], errors: ['UNAUTHENTICATED'] });
    await fetch(`${t.url}/healthz`);
    await fetch(`${t.url}/readyz`);
    expect(accessLine('/healthz')).toMatchObject({ level: 20 });
    expect(accessLine('/readyz')).toMatchObject({ level: 20 });
  });
});
