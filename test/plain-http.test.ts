import type { Browser, Request } from 'playwright-core';
import { browserIt, launchChromium } from './helpers/browser.js';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A LAN address as a browser on another machine would send it; the requests themselves go to 127.0.0.1. */
const LAN_HOST = '192.168.1.20:4000';

/** The response head's headers, lower-cased names, for a GET of `path` with `Host: host` (fetch will not send another Host). */
async function headersFor(t: TestServer, path: string, host: string): Promise<Map<string, string>> {
  const response = await rawRequest(t.url, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  expect(response.status).toBe(200);
  const head = response.text.slice(0, response.text.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  return new Map(head.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
}

/**
 * Opened at any address over plain http (a LAN IP, no TLS in front), the pages must load their own
 * assets from that address: the CSP asks browsers to upgrade to https, and HSTS pins https, only
 * when PUBLIC_URL says the server is reached over https.
 */
describe('pages served over plain http at a non-localhost address', () => {
  describe.each([
    ['no PUBLIC_URL', {}],
    ['an http PUBLIC_URL in production', { NODE_ENV: 'production', PUBLIC_URL: `http://${LAN_HOST}`, GRAPHIQL: 'true', DEMO: 'true' }],
  ])('with %s', (_, env: Record<string, string>) => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ env });
    }, 60_000);
    afterAll(() => t.dispose());

    it.each(['/graphql', '/demo/widget', '/healthz'])('%s has no upgrade-insecure-requests and no HSTS', async (path) => {
      const headers = await headersFor(t, path, LAN_HOST);
      expect(headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      expect(headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
      expect(headers.get('strict-transport-security')).toBeUndefined();
    });
  });

  describe('with an https PUBLIC_URL', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    }, 60_000);
    afterAll(() => t.dispose());

    it('asks browsers to use https only: upgrade-insecure-requests and HSTS', async () => {
      const headers = await headersFor(t, '/graphql', 'chat.example.com');
      expect(headers.get('content-security-policy')).toMatch(/upgrade-insecure-requests/);
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    });
  });

  describe('in Chromium, at a non-localhost name mapped to 127.0.0.1', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer();
    }, 60_000);
    afterAll(() => t.dispose());

    browserIt('the plain-http browser test')(
      'GraphiQL renders and the demo widget connects, with no request upgraded to https',
      async () => {
        const base = `http://lan.test:${new URL(t.url).port}`;
        let browser: Browser | undefined;
        try {
          // lan.test is this server; every other name fails to resolve, so nothing leaves the machine.
          // Chromium's own https-first navigation is off: the page's CSP is what is under test.
          browser = await launchChromium(['--host-resolver-rules=MAP lan.test 127.0.0.1, MAP * ~NOTFOUND', '--disable-features=HttpsUpgrades']);
          const page = await (await browser.newContext()).newPage();
          const elsewhere: string[] = [];
          page.on('request', (request: Request) => {
            const url = new URL(request.url());
            if (url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== base && !(url.protocol === 'ws:' && url.host === new URL(base).host)) elsewhere.push(url.href);
          });

          await page.goto(`${base}/graphql`);
          const ide = await page.waitForSelector('.graphiql-container', { timeout: 20_000 }).then(
            () => 'rendered',
            () => 'stuck',
          );
          expect(elsewhere).toEqual([]);
          expect(ide).toBe('rendered');

          await page.goto(`${base}/demo/widget`);
          const widget = await page
            .getByTestId('status')
            .filter({ hasText: 'Connected' })
            .waitFor({ timeout: 20_000 })
            .then(
              () => 'Connected',
              () => 'stuck',
            );
          expect(elsewhere).toEqual([]);
          expect(widget).toBe('Connected');
        } finally {
          await browser?.close();
        }
      },
      90_000,
    );
  });
});
