import { Writable } from 'node:stream';
import { createLogger } from '../src/observability/logger.js';
import { skipReason } from './helpers/cluster.js';
import { eventually } from './helpers/deadline.js';
import { PrivateRedis, redisServerAvailable } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const available = redisServerAvailable();
skipReason(available, 'the single-node Redis outage tests need redis-server on the PATH (a private Redis they can stop)');

const MAX = 3;

interface Readiness {
  status: number;
  body: unknown;
}

/**
 * One node on a private Redis that each test stops: what a node does on its own while Redis is
 * away and once it is back. Runs on either database (the cluster test covers two nodes).
 */
(available ? describe : describe.skip)('one node through a Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestServer;
  const logged: string[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push((JSON.parse(line) as { msg: string }).msg);
        done();
      },
    });
    t = await startTestServer({ logger: createLogger('info', sink), env: { REDIS_URL: redis.url, RATE_LIMIT_MAX: String(MAX), TRUST_PROXY: '1' } });
  });
  // Each test starts from a node that is ready on a running Redis.
  afterEach(async () => {
    await redis.up();
    await eventually(readiness, (r) => r.status === 200, 10_000, '/readyz 200 once Redis is back');
  });
  afterAll(async () => {
    await t?.dispose();
    await redis?.down();
  });

  const readiness = async (): Promise<Readiness> => {
    const response = await fetch(`${t.url}/readyz`);
    return { status: response.status, body: await response.json() };
  };
  /** Stops Redis and waits until the node has seen it go. */
  const stopRedis = async () => {
    await redis.down();
    await eventually(readiness, (r) => r.status === 503, 10_000, '/readyz 503 with Redis stopped');
  };
  /** An anonymous GraphQL call, counted against `ip` (the trusted proxy's client address). */
  const me = (ip: string) => fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ query: '{ me { id } }' }) });

  it('answers /readyz 200 within 5 s of Redis returning, with nothing but /readyz polls after one call counted during the outage', async () => {
    await stopRedis();
    expect((await me('203.0.113.10')).status).toBe(200);
    const degraded = logged.indexOf('Redis unreachable: rate limits are counted per node until it is back');
    expect(degraded).toBeGreaterThanOrEqual(0);

    await redis.up();
    expect(await eventually(readiness, (r) => r.status === 200, 5_000, '/readyz 200 after Redis returned')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'up', redis: 'up' } },
    });
    // The store left its per-node counting on the reconnection, not on a later call.
    await eventually(
      async () => logged.slice(degraded),
      (lines) => lines.includes('Redis reachable again: rate limits are shared by every node'),
      2_000,
      'the rate limiter sharing counts through Redis again',
    );
  });

  it(`keeps counting on this node while Redis is away: with RATE_LIMIT_MAX=${MAX}, call ${MAX + 1} is refused (GraphQL and REST)`, async () => {
    await stopRedis();
    for (let i = 0; i < MAX; i++) expect((await me('203.0.113.20')).status).toBe(200);
    const refused = await me('203.0.113.20');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });

    const stats = () => fetch(`${t.url}/api/chat/stats`, { headers: { 'x-forwarded-for': '203.0.113.21' } });
    for (let i = 0; i < MAX; i++) expect((await stats()).status).not.toBe(429);
    const restRefused = await stats();
    expect(restRefused.status).toBe(429);
    expect(await restRefused.json()).toMatchObject({ success: false, error: { code: 'RATE_LIMIT_EXCEEDED' } });
  });
});
