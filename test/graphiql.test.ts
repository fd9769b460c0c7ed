import { parse, validate } from 'graphql';
import type { Browser, Page } from 'playwright-core';
import { browserIt, launchChromium } from './helpers/browser.js';
import { eventually } from './helpers/deadline.js';
import { exampleOperations } from '../src/graphql/ide.js';
import { buildParleySchema } from '../src/graphql/schema.js';
import { UserRole } from '../src/shared/enums.js';
import { ok } from './helpers/client.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { SendMessageDocument } from './generated/graphql.js';

const html = { accept: 'text/html,application/xhtml+xml' };

/**
 * The GraphiQL IDE at GET /graphql: served from installed packages under our own CSP, in
 * development only unless GRAPHIQL=true, with example tabs that are valid operations. The
 * browser part drives Debian's Chromium: nothing is loaded from another origin, the CSP refuses
 * nothing, and a query and a subscription both run with the token from the Headers tab.
 */
describe('GraphiQL at GET /graphql', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('every example operation is valid against the schema', async () => {
    const schema = await buildParleySchema();
    const examples = exampleOperations();
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const example of examples) {
      expect(validate(schema, parse(example.query))).toEqual([]);
      if (example.variables) expect(typeof JSON.parse(example.variables)).toBe('object');
    }
  });

  it('serves the page to browsers under a same-origin CSP, and leaves GraphQL GET and POST to Apollo', async () => {
    const page = await fetch(t.graphqlUrl, { headers: html });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/https?:\/\//);
    const body = await page.text();
    // Every script and stylesheet is our own path, and so is the icon browsers ask for.
    for (const [, src] of body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src).toMatch(/^\/(graphql\/ide\/|favicon\.svg$)/);
    for (const icon of ['/favicon.svg', '/favicon.ico']) {
      const answer = await fetch(`${t.url}${icon}`);
      expect([icon, answer.status, answer.headers.get('content-type')]).toEqual([icon, 200, expect.stringMatching(/^image\/svg\+xml/)]);
      expect(await answer.text()).toMatch(/^<svg /);
    }

    const asset = await fetch(`${t.url}/graphql/ide/graphiql.js`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, expect.stringMatching(/javascript/)]);
    expect((await fetch(`${t.url}/graphql/ide/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/graphql/ide/secrets.js`)).status).toBe(404);

    // A GraphQL GET (with a query) and a JSON client are not the page.
    const query = await fetch(`${t.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json', 'apollo-require-preflight': '1' } });
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
    const json = await fetch(t.graphqlUrl, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).not.toMatch(/text\/html/);
  });

  it("is off when GRAPHIQL=false (production's default: test/production.test.ts)", async () => {
    const off = await startTestServer({ env: { GRAPHIQL: 'false' } });
    try {
      const response = await fetch(off.graphqlUrl, { headers: html });
      expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      const asset = await fetch(`${off.url}/graphql/ide/graphiql.js`);
      expect([asset.status, asset.headers.get('content-type')]).toEqual([400, expect.stringMatching(/json/)]);
    } finally {
      await off.dispose();
    }
  }, 60_000);

  const browserTest = browserIt('the GraphiQL browser test');

  browserTest(
    'runs a query and a live subscription in Chromium with the Headers tab token, loading nothing from elsewhere',
    async () => {
      const admin = await loginAdmin(t);
      const customer = await userWithRole(t, admin, UserRole.USER);
      const staff = await userWithRole(t, admin, UserRole.STAFF);
      const sessionId = await assignedSession(t, admin, customer, staff);
      const headers = JSON.stringify({ Authorization: `Bearer ${admin.token}` });
      const query = { query: 'query Me { me { username role } }', headers };
      const subscription = {
        query: 'subscription Live($sessionId: ID!) { sessionEvents(sessionId: $sessionId) { __typename ... on MessageEvent { message { content } } } }',
        variables: JSON.stringify({ sessionId }),
        headers,
      };

      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const foreign: string[] = [];
        const problems: string[] = [];
        /** A fresh page (own storage) whose only tab is `tab`: no tab switching, which GraphiQL applies asynchronously. */
        const openIde = async (tab: Record<string, string>): Promise<Page> => {
          const page = await (await browser!.newContext()).newPage();
          await page.route('**/*', (route) => {
            const url = new URL(route.request().url());
            if (url.hostname !== '127.0.0.1' && url.protocol !== 'data:') {
              foreign.push(url.href);
              return route.abort();
            }
            // The example tabs are replaced by this test's own, with the token in their headers.
            if (url.pathname === '/graphql/ide/examples.json') return route.fulfill({ json: [tab] });
            return route.continue();
          });
          page.on('console', (message) => {
            if (message.type() === 'error') problems.push(message.text());
          });
          page.on('pageerror', (error) => problems.push(error.message));
          page.on('response', (response) => {
            if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
          });
          // The schema loads (anonymously) even though the tab carries a token: GraphiQL's docs and completion need it.
          const schemaLoaded = page.waitForResponse(
            (response) => response.url().endsWith('/graphql') && response.request().postData()?.includes('IntrospectionQuery') === true && response.status() === 200,
          );
          await page.goto(t.graphqlUrl);
          await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
          await schemaLoaded;
          await eventually(
            () => page.evaluate<string>("document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.getValue() ?? ''"),
            (text) => text === tab.query,
          );
          return page;
        };

        // The query, over HTTP with the Headers tab's Authorization.
        const queryPage = await openIde(query);
        await queryPage.click('.graphiql-execute-button');
        expect(
          await eventually(
            () => resultText(queryPage),
            (text) => text.includes('"username": "admin"'),
          ),
        ).toContain('"role": "ADMIN"');

        // The subscription, over graphql-ws with the same header; a message sent elsewhere appears live.
        const livePage = await openIde(subscription);
        await livePage.click('.graphiql-execute-button');
        // The stream is open once the socket has subscribed; send until the event shows (the first may precede the subscription).
        const live = await eventually(
          async () => {
            await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'seen in GraphiQL' }, customer.token);
            return resultText(livePage);
          },
          (text) => text.includes('seen in GraphiQL'),
        );
        expect(live).toContain('MessageEvent');

        expect(foreign).toEqual([]);
        // No console error at all: no CSP refusal, no failed asset (the icon included).
        expect(problems).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
    120_000,
  );
});

/** The result pane's text (GraphiQL 3 renders it in a CodeMirror 5 editor). */
function resultText(page: Page): Promise<string> {
  return page.evaluate<string>("document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? ''");
}
