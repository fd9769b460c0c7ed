import { type DocumentNode, getVariableValues, Kind, type OperationDefinitionNode, parse, type SelectionSetNode, validate } from 'graphql';
import { decodeJwt, SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { exampleOperations, SHARED_VARIABLES } from '../src/graphql/ide.js';
import { buildParleySchema } from '../src/graphql/schema.js';
import { UserRole } from '../src/shared/enums.js';
import { SendMessageDocument } from './generated/graphql.js';
import { browserIt, launchChromium } from './helpers/browser.js';
import { ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { ADMIN_PASSWORD, JWT_SECRET, startTestServer, type TestServer } from './helpers/server.js';

const html = { accept: 'text/html,application/xhtml+xml' };
const SIGN_IN_KEY = 'parley.graphiql.signIn';
const SHARED_KEY = 'parley.graphiql.shared';
const PASSWORD_PLACEHOLDER = 'type the admin password here';

/**
 * The GraphiQL IDE at GET /graphql: served from installed packages under our own CSP, in
 * development only unless GRAPHIQL=true, with example tabs that are valid operations and run in
 * order on an empty install after one sign-in. The browser parts drive Debian's Chromium: nothing
 * is loaded from another origin, the CSP refuses nothing, and no console error appears.
 */
describe('GraphiQL at GET /graphql', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('every example is valid against the schema with its variables; a shared variable only after the tab that provides it', async () => {
    const schema = await buildParleySchema();
    const examples = exampleOperations();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const provided: Record<string, unknown> = {};
    for (const [index, example] of examples.entries()) {
      const document = parse(example.query);
      expect([index, validate(schema, document).map((error) => error.message)]).toEqual([index, []]);
      const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
      expect([index, operations.length]).toEqual([index, 1]);
      const own = example.variables === undefined ? {} : (JSON.parse(example.variables) as Record<string, unknown>);
      const coerced = getVariableValues(schema, operations[0]!.variableDefinitions ?? [], { ...provided, ...own });
      expect([index, coerced.errors?.map((error) => error.message) ?? []]).toEqual([index, []]);
      for (const { variable, path } of SHARED_VARIABLES) if (selects(document, path)) provided[variable] = '1';
    }
    // The session the later tabs use comes from a tab of its own, not a hard-coded id.
    expect(provided).toHaveProperty('sessionId');
    expect(examples.map((example) => example.variables ?? '').join('\n')).not.toMatch(/sessionId/);
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
    expect(body).not.toMatch(/<script>|<script [^>]*>[^<]/);
    for (const [, src] of body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src).toMatch(/^\/(graphql\/ide\/|favicon\.svg$)/);
    for (const icon of ['/favicon.svg', '/favicon.ico']) {
      const answer = await fetch(`${t.url}${icon}`);
      expect([icon, answer.status, answer.headers.get('content-type')]).toEqual([icon, 200, expect.stringMatching(/^image\/svg\+xml/)]);
      expect(await answer.text()).toMatch(/^<svg /);
    }

    for (const [name, type] of [
      ['graphiql.js', /javascript/],
      ['page.js', /javascript/],
      ['page.css', /text\/css/],
      ['config.json', /json/],
    ] as const) {
      const asset = await fetch(`${t.url}/graphql/ide/${name}`);
      expect([name, asset.status, asset.headers.get('content-type')]).toEqual([name, 200, expect.stringMatching(type)]);
    }
    for (const name of ['..%2f..%2fpackage.json', 'secrets.js', 'constructor', '__proto__']) expect([name, (await fetch(`${t.url}/graphql/ide/${name}`)).status]).toEqual([name, 404]);

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

  const browserTest = browserIt('the GraphiQL browser tests');

  browserTest(
    "signs in once, runs every example tab in order on an empty install, keeps the sign-in for this browser tab's session only, and renews or reports an expired token",
    async () => {
      const fresh = await startTestServer();
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const { tabs } = (await (await fetch(`${fresh.url}/graphql/ide/config.json`)).json()) as { tabs: { query: string; variables?: string }[] };
        const watched = await watchedPage(browser, fresh);
        const { page, problems } = watched;
        await openIde(page, fresh);

        // One sign-in, through the bar.
        expect(await signedIn(page)).toBe(false);
        await page.fill('#parley-signin-form input[name=password]', ADMIN_PASSWORD);
        await page.click('#parley-signin-form button[type=submit]');
        await page.waitForSelector('body[data-signed-in="true"]', { timeout: 20_000 });
        expect(await page.textContent('#parley-who')).toBe('admin (ADMIN)');
        const storedAfterSignIn = await storage(page, SIGN_IN_KEY);
        expect(storedAfterSignIn).toMatchObject({ token: expect.any(String), refreshToken: expect.any(String) });
        expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => /token|parley/i.test(`${key}${localStorage.getItem(key)}`)))).toEqual([]);

        // Every example tab, in order, runs with data and no errors.
        for (const [index, tab] of tabs.entries()) {
          await openTab(page, index, (text) => text === tab.query);
          if (tab.variables?.includes(PASSWORD_PLACEHOLDER)) await setEditor(page, VARIABLES_EDITOR, tab.variables.replace(PASSWORD_PLACEHOLDER, ADMIN_PASSWORD));
          if (/^\s*subscription\b/m.test(tab.query)) {
            // A message sent over HTTP with the page's own sign-in shows up live.
            const { token } = (await storage(page, SIGN_IN_KEY)) as { token: string };
            const { sessionId } = (await storage(page, SHARED_KEY)) as { sessionId: string };
            const live = await liveResult(page, () => ok(fresh.graphqlUrl, SendMessageDocument, { sessionId, content: 'seen in GraphiQL' }, token), 'seen in GraphiQL');
            expect(live).toContain('MessageEvent');
            expect(live).not.toContain('"errors"');
            await page.click('.graphiql-execute-button'); // stop
            await page.waitForSelector('.graphiql-execute-button[aria-label^="Execute"]', { timeout: 10_000 });
          } else {
            const result = await runForResult(page, `example tab ${index}`);
            expect([index, result.errors]).toEqual([index, undefined]);
            expect(result.data).toEqual(expect.any(Object));
            expect(Object.values(result.data!).every((value) => value !== null)).toBe(true);
          }
        }
        // The sessions tab saw the one session the create tab opened (the database started empty).
        const sessionsTab = tabs.findIndex((tab) => /query Sessions/.test(tab.query));
        await openTab(page, sessionsTab, (text) => text === tabs[sessionsTab]!.query);
        expect(JSON.parse(await resultText(page))).toMatchObject({ data: { sessions: { totalCount: 1 } } });

        // A new GraphiQL tab is signed in too.
        const me = 'query Me { me { username role } }';
        const tabCount = await page.locator('.graphiql-tab').count();
        await page.click('.graphiql-tab-add');
        await eventually(
          () => page.locator('.graphiql-tab').count(),
          (count) => count === tabCount + 1,
          10_000,
          'a new tab',
        );
        await setEditor(page, QUERY_EDITOR, me);
        expect(await runForResult(page, 'the new tab')).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });

        // An access token past its time is renewed with the refresh token before it is sent.
        const expired = await expiredCopy(String(storedAfterSignIn!.token));
        const renewedBefore = (await storage(page, SIGN_IN_KEY)) as Record<string, string>;
        await page.evaluate(
          ([key, value]) => sessionStorage.setItem(key!, value!),
          [SIGN_IN_KEY, JSON.stringify({ ...renewedBefore, token: expired, expiresAt: new Date(Date.now() - 1000).toISOString() })],
        );
        expect(await runForResult(page, 'a run with an expired token')).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });
        const renewed = (await storage(page, SIGN_IN_KEY)) as Record<string, string>;
        expect(renewed.token).not.toBe(expired);
        expect(renewed.refreshToken).not.toBe(renewedBefore.refreshToken);

        // Reload: still signed in (sessionStorage), with the tab that was open.
        // GraphiQL stores its tabs half a second after the last change: wait for that, as a person would.
        await eventually(
          () => page.evaluate<string | null>("(() => { const s = JSON.parse(sessionStorage.getItem('graphiql:tabState')); return s.tabs[s.activeTabIndex].query; })()"),
          (query) => query === me,
          10_000,
          'GraphiQL storing the open tab',
        );
        await page.reload();
        await waitForIde(page, me);
        expect(await signedIn(page)).toBe(true);
        expect(await runForResult(page, 'the reloaded page')).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });

        // A new browser context (another browser session) is not signed in.
        const other = await watchedPage(browser, fresh);
        await openIde(other.page, fresh);
        expect(await signedIn(other.page)).toBe(false);
        expect(await other.page.isVisible('#parley-signin-form')).toBe(true);
        expect(await storage(other.page, SIGN_IN_KEY)).toBeNull();

        // Sign-out clears the sign-in: the same query now runs anonymously.
        await page.click('#parley-signout');
        await page.waitForSelector('body[data-signed-in="false"]', { timeout: 10_000 });
        expect(await storage(page, SIGN_IN_KEY)).toBeNull();
        expect(await runForResult(page, 'a run after sign-out')).toEqual({ data: { me: null } });

        // The icon the page links to is there (no 404 in any browser).
        expect(await page.evaluate<number>("fetch(document.querySelector('link[rel=icon]').href).then((response) => response.status)")).toBe(200);

        expect(watched.foreign).toEqual([]);
        expect(other.foreign).toEqual([]);
        // No console error at all: no CSP refusal, no failed asset, no failed request.
        expect(problems).toEqual([]);
        expect(other.problems).toEqual([]);
        expect(await cspViolations(page)).toEqual([]);
        expect(await cspViolations(other.page)).toEqual([]);

        // A token the server calls expired is renewed once and the run repeated; when renewal is refused the bar says the sign-in expired.
        await page.fill('#parley-signin-form input[name=password]', ADMIN_PASSWORD);
        await page.click('#parley-signin-form button[type=submit]');
        await page.waitForSelector('body[data-signed-in="true"]', { timeout: 20_000 });
        const second = (await storage(page, SIGN_IN_KEY)) as Record<string, string>;
        const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
        await page.evaluate(([key, value]) => sessionStorage.setItem(key!, value!), [SIGN_IN_KEY, JSON.stringify({ ...second, token: expired, expiresAt: inAnHour })]);
        expect(await runForResult(page, 'a run whose token the server calls expired')).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });
        const afterRetry = (await storage(page, SIGN_IN_KEY)) as Record<string, string>;
        await page.evaluate(([key, value]) => sessionStorage.setItem(key!, value!), [SIGN_IN_KEY, JSON.stringify({ ...afterRetry, token: expired, expiresAt: inAnHour, refreshToken: 'spent' })]);
        const refused = await runForResult(page, 'a run whose sign-in cannot be renewed');
        expect(refused.errors?.[0]?.extensions).toMatchObject({ reason: 'TOKEN_EXPIRED' });
        await page.waitForSelector('body[data-signed-in="false"]', { timeout: 10_000 });
        expect(await page.textContent('#parley-status')).toMatch(/sign-in expired.*sign in again/i);
        expect(await page.isVisible('#parley-signin-form')).toBe(true);
        // Only the refused requests themselves were errors.
        expect(problems.filter((problem) => !/\b401\b/.test(problem))).toEqual([]);
        expect(await cspViolations(page)).toEqual([]);
      } finally {
        await browser?.close();
        await fresh.dispose();
      }
    },
    180_000,
  );

  browserTest(
    "a tab's own Authorization header wins over the sign-in, for a query and a live subscription",
    async () => {
      const admin = await loginAdmin(t);
      const customer = await userWithRole(t, admin, UserRole.USER);
      const staff = await userWithRole(t, admin, UserRole.STAFF);
      const sessionId = await assignedSession(t, admin, customer, staff);
      const headers = JSON.stringify({ Authorization: `Bearer ${staff.token}` });
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const { page, problems, foreign } = await watchedPage(browser, t, [
          { query: 'query Me { me { username role } }', headers },
          {
            query: 'subscription Live($sessionId: ID!) { sessionEvents(sessionId: $sessionId) { __typename ... on MessageEvent { message { content } } } }',
            variables: JSON.stringify({ sessionId }),
            headers,
          },
        ]);
        await openIde(page, t);
        await waitForIde(page, 'query Me { me { username role } }');
        expect(await runForResult(page, 'the query with its own header')).toEqual({ data: { me: { username: expect.stringMatching(/^staff/), role: 'STAFF' } } });

        await openTab(page, 1, (text) => text.startsWith('subscription Live'));
        const live = await liveResult(page, () => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'seen with the tab header' }, customer.token), 'seen with the tab header');
        expect(live).toContain('MessageEvent');
        expect(foreign).toEqual([]);
        expect(problems).toEqual([]);
        expect(await cspViolations(page)).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
    120_000,
  );
});

/** Whether the operation's selections lead along `path` (field names from the root). */
function selects(document: DocumentNode, path: string[]): boolean {
  const walk = (set: SelectionSetNode | undefined, rest: string[]): boolean => {
    if (rest.length === 0) return true;
    return (set?.selections ?? []).some((selection) => selection.kind === Kind.FIELD && selection.name.value === rest[0] && walk(selection.selectionSet, rest.slice(1)));
  };
  return document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION && walk(definition.selectionSet, path));
}

/** The same access token, signed with the server's key, expired a minute ago. */
async function expiredCopy(token: string): Promise<string> {
  const { iat: _iat, nbf: _nbf, exp: _exp, ...claims } = decodeJwt(token);
  const past = Math.floor(Date.now() / 1000) - 120;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(past)
    .setNotBefore(past)
    .setExpirationTime(past + 60)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

interface WatchedPage {
  page: Page;
  /** Console errors, page errors, failed and refused requests. */
  problems: string[];
  /** Requests to anywhere but this server (refused). */
  foreign: string[];
}

/** A page in a new browser context (its own storage), every problem recorded; `tabs` replace the example tabs. */
async function watchedPage(browser: Browser, server: TestServer, tabs?: Record<string, string>[]): Promise<WatchedPage> {
  const page = await (await browser.newContext()).newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  const origin = new URL(server.url).origin;
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== origin && url.protocol !== 'data:') {
      foreign.push(url.href);
      return route.abort();
    }
    if (tabs && url.pathname === '/graphql/ide/config.json') return route.fulfill({ json: { tabs, shared: [] } });
    return route.continue();
  });
  await page.addInitScript("window.cspViolations = []; document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));");
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('requestfailed', (request) => problems.push(`failed ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return { page, problems, foreign };
}

/** Opens GET /graphql and waits for GraphiQL with its schema (loaded anonymously: the docs and completion need it). */
async function openIde(page: Page, server: TestServer): Promise<void> {
  const schemaLoaded = page.waitForResponse((response) => response.url() === server.graphqlUrl && response.request().postData()?.includes('IntrospectionQuery') === true && response.status() === 200, {
    timeout: 30_000,
  });
  await page.goto(server.graphqlUrl);
  await schemaLoaded;
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
  await page.waitForSelector('body[data-signed-in]', { timeout: 10_000 });
}

/** After a reload: GraphiQL is back with `query` in its editor. */
async function waitForIde(page: Page, query: string): Promise<void> {
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
  await eventually(
    () => editorText(page, QUERY_EDITOR),
    (text) => text === query,
    20_000,
    'the restored tab',
  );
}

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
/** GraphiQL renders the variables editor first, then the headers editor, in the editor tools. */
const VARIABLES_EDITOR = '.graphiql-editor-tool .graphiql-editor .CodeMirror';

function editorText(page: Page, selector: string): Promise<string> {
  return page.evaluate((css) => (globalThis as any).document.querySelector(css)?.CodeMirror?.getValue() ?? '', selector);
}

async function setEditor(page: Page, selector: string, text: string): Promise<void> {
  await page.evaluate(([css, value]) => (globalThis as any).document.querySelector(css).CodeMirror.setValue(value), [selector, text]);
}

/** Selects the index-th tab and waits until GraphiQL shows its query (tab switching applies asynchronously). */
async function openTab(page: Page, index: number, shows: (query: string) => boolean): Promise<void> {
  await page.locator('.graphiql-tab-button').nth(index).click();
  await eventually(() => editorText(page, QUERY_EDITOR), shows, 10_000, `tab ${index}'s query in the editor`);
}

async function run(page: Page): Promise<void> {
  await setEditor(page, '.result-window .CodeMirror', '');
  await page.click('.graphiql-execute-button');
}

/** Runs the active tab and returns its result, once the result pane holds one. */
async function runForResult(page: Page, what: string): Promise<{ data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  await run(page);
  const text = await eventually(
    () => resultText(page),
    (value) => value.trim().startsWith('{'),
    20_000,
    `a result for ${what}`,
  );
  return JSON.parse(text);
}

/**
 * Runs the active (subscription) tab and calls `send` until one of the results it shows contains
 * `text` (the stream is open once the socket subscribed, so the first send may precede it). Every
 * result is recorded as it appears: a later event (a read receipt) replaces it in the pane.
 */
async function liveResult(page: Page, send: () => Promise<unknown>, text: string): Promise<string> {
  await page.evaluate(() => {
    const win = globalThis as any;
    const editor = win.document.querySelector('.result-window .CodeMirror').CodeMirror;
    win.resultsSeen = [];
    editor.on('change', () => win.resultsSeen.push(editor.getValue()));
  });
  await run(page);
  const seen = await eventually(
    async () => {
      await send();
      return page.evaluate<string[]>('window.resultsSeen');
    },
    (results) => results.some((result) => result.includes(text)),
    20_000,
    `a subscription result with "${text}"`,
  );
  return seen.find((result) => result.includes(text))!;
}

/** The result pane's text (GraphiQL 3 renders it in a CodeMirror 5 editor). */
function resultText(page: Page): Promise<string> {
  return editorText(page, '.result-window .CodeMirror');
}

async function signedIn(page: Page): Promise<boolean> {
  return (await page.getAttribute('body', 'data-signed-in')) === 'true';
}

async function storage(page: Page, key: string): Promise<Record<string, unknown> | null> {
  return page.evaluate((name) => {
    const text = sessionStorage.getItem(name);
    return text === null ? null : JSON.parse(text);
  }, key);
}

function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.cspViolations');
}
