import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../src/auth/totp.js';
import { Tenant } from '../src/model/tenant.entity.js';
import { UserRole } from '../src/shared/enums.js';
import { ConfirmTotpDocument, CreateSessionDocument, CreateSlaPolicyDocument, CreateUserDocument, EnrollTotpDocument, SendMessageDocument, SessionSlaDocument } from './generated/graphql.js';
import { artefactDir, browserIt, launchChromium } from './helpers/browser.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers/server.js';
import { ageSession } from './helpers/sla.js';

const html = { accept: 'text/html' };
const START_WIDGET = 'mutation($widgetKey: String!, $origin: String) { startWidgetSession(widgetKey: $widgetKey, origin: $origin) { token conversationId } }';

/** A 1×1 PNG: the widget attaches it, the agent sees it on the message. */
const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/**
 * The demo console at /demo: a customer widget page and an agent view, built from the SDK into
 * dist/demo and served under the server's CSP. In Chromium, a customer writes from the widget,
 * the agent sees it live and replies, the customer sees the reply, and read receipts update on
 * both sides, and the SLA panel shows due times and a breach as it happens; screenshots of each
 * step are kept in test-artifacts/demo/.
 */
describe('demo console at /demo', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('serves its pages and built assets from this origin only, under the same-origin CSP', async () => {
    for (const path of ['/demo', '/demo/widget', '/demo/agent']) {
      const page = await fetch(`${t.url}${path}`, { headers: html });
      expect([path, page.status]).toEqual([path, 200]);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/https?:\/\//);
      const body = await page.text();
      for (const [, src] of body.matchAll(/(?:src|href)="([^"]+)"/g)) expect(src).toMatch(/^\/(demo|graphql|docs|favicon\.svg$)/);
    }
    const script = await fetch(`${t.url}/demo/assets/widget.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, expect.stringMatching(/javascript/)]);
    expect((await fetch(`${t.url}/demo/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/demo/assets/nothing.js`)).status).toBe(404);
    const config = (await (await fetch(`${t.url}/demo/config.json`)).json()) as { widgetKey: string };
    expect(config.widgetKey).toMatch(/^wk_/);
  });

  it("opens widget sessions from its own pages; a browser's Origin outranks the origin argument", async () => {
    const { widgetKey } = (await (await fetch(`${t.url}/demo/config.json`)).json()) as { widgetKey: string };
    // The demo page's own origin (the Host the request went to): allowed while the demo is on.
    const own = await gql(t.graphqlUrl, START_WIDGET as never, { widgetKey, origin: t.url }, undefined, { origin: t.url });
    expect(own.errors).toBeUndefined();
    // Another site's page cannot borrow an allowed site's name: its Origin header is what counts.
    const em = t.server.orm.em.fork();
    const tenant = await em.findOneOrFail(Tenant, { id: t.server.defaultTenantId });
    tenant.allowedOrigins = ['https://shop.example'];
    await em.flush();
    const borrowed = await gql(t.graphqlUrl, START_WIDGET as never, { widgetKey, origin: 'https://shop.example' }, undefined, { origin: 'https://elsewhere.example' });
    expect(borrowed.errors?.[0]?.extensions?.reason).toBe('ORIGIN_NOT_ALLOWED');
    // The allowed site's own page, and a caller with no Origin naming it (the widget REST route), are let in.
    const shop = await gql(t.graphqlUrl, START_WIDGET as never, { widgetKey, origin: 'https://shop.example' }, undefined, { origin: 'https://shop.example' });
    expect(shop.errors).toBeUndefined();
    const server = await gql(t.graphqlUrl, START_WIDGET as never, { widgetKey, origin: 'https://shop.example' });
    expect(server.errors).toBeUndefined();
  });

  it('is off when DEMO=false, and its pages then open no widget session', async () => {
    const off = await startTestServer({ env: { DEMO: 'false' } });
    try {
      expect((await fetch(`${off.url}/demo/widget`, { headers: html })).status).toBe(404);
      expect((await fetch(`${off.url}/demo/config.json`)).status).toBe(404);
      const tenant = await off.server.orm.em.fork().findOneOrFail(Tenant, { id: off.server.defaultTenantId });
      const ownPage = await gql(off.graphqlUrl, START_WIDGET as never, { widgetKey: tenant.widgetKey, origin: off.url }, undefined, { origin: off.url });
      expect(ownPage.errors?.[0]?.extensions?.reason).toBe('ORIGIN_NOT_ALLOWED');
    } finally {
      await off.dispose();
    }
  }, 60_000);

  browserIt('the demo browser test')(
    'a customer writes from the widget, the agent answers live, and receipts update on both sides (Chromium)',
    async () => {
      const shots = artefactDir('demo');
      let browser: Browser | undefined;
      const foreign: string[] = [];
      const problems: string[] = [];
      const toasts: string[] = [];
      const watch = async (): Promise<Page> => {
        // Separate contexts: separate storage, as two people on two machines.
        const page = await (await browser!.newContext({ viewport: { width: 1100, height: 720 } })).newPage();
        // CI runs two suites' worth of servers on two cores: give each step room.
        page.setDefaultTimeout(60_000);
        await page.route('**/*', (route) => {
          const url = new URL(route.request().url());
          if (url.host !== new URL(t.url).host) {
            foreign.push(url.href);
            return route.abort();
          }
          return route.continue();
        });
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
          // The pages' toasts (errors shown to the user) are logged as warnings.
          if (message.type() === 'warning') toasts.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        return page;
      };
      const admin = await loginAdmin(t);
      const { createUser: dana } = await ok(t.graphqlUrl, CreateUserDocument, { username: unique('dana'), displayName: 'Dana Demo', role: 'STAFF', password: 'dana-password-123' }, admin.token);
      try {
        browser = await launchChromium();
        const customer = await watch();
        const agent = await watch();

        // The customer opens the widget: a guest conversation through the default tenant's widget key.
        await customer.goto(`${t.url}/demo/widget`);
        await customer.getByTestId('status').filter({ hasText: 'Connected' }).waitFor();
        await customer.getByLabel('Message').fill('Hello from the widget');
        await customer.getByRole('button', { name: 'Send' }).click();
        await customer.getByTestId('message').filter({ hasText: 'Hello from the widget' }).waitFor();
        await customer.getByLabel('Attach files').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PIXEL_PNG });
        await customer.getByLabel('Message').fill('and a picture');
        await customer.getByRole('button', { name: 'Send' }).click();
        await customer.getByTestId('message').filter({ hasText: 'pixel.png' }).waitFor();
        await customer.screenshot({ path: join(shots, '1-customer-wrote.png') });

        // The agent signs in, finds the conversation in the list and opens it: the messages are there.
        await agent.goto(`${t.url}/demo/agent`);
        await agent.getByLabel('Password').fill(ADMIN_PASSWORD);
        await agent.getByRole('button', { name: 'Sign in' }).click();
        // The customer's conversation, by the UUID the widget keeps for this tab.
        const conversationId = await customer.evaluate(() => JSON.parse(sessionStorage.getItem('parley-demo-widget') ?? '{}').conversationId as string);
        const row = agent.locator(`[data-testid=session][data-uuid="${conversationId}"]`);
        // Unread for the agent until opened: both customer messages, with the latest as the preview.
        await row.getByTestId('unread').filter({ hasText: /^2$/ }).waitFor();
        await row.filter({ hasText: 'and a picture' }).waitFor();
        await row.click();
        await agent.getByTestId('message').filter({ hasText: 'Hello from the widget' }).waitFor();
        await agent.getByTestId('message').filter({ hasText: 'pixel.png' }).waitFor();

        // Opening it marked the customer's messages read: the customer's receipts say so, and the badge goes.
        await customer.getByTestId('receipt').filter({ hasText: 'Read' }).nth(1).waitFor();
        await eventually(
          () => row.getByTestId('unread').count(),
          (count) => count === 0,
        );

        // Assign it to a staff member picked from the agents list: the header says who has it.
        await agent.getByLabel('Agent').selectOption(dana.id);
        await agent.getByRole('button', { name: 'Assign', exact: true }).click();
        await agent.getByTestId('state').filter({ hasText: 'assigned to Dana Demo' }).waitFor();

        // The agent types (the customer sees it), then replies; the customer sees the reply live.
        await agent.getByLabel('Reply').fill('Hi! How can I help?');
        await customer.getByTestId('typing').filter({ hasText: 'is typing' }).waitFor();
        await agent.getByRole('button', { name: 'Send' }).click();
        await customer.getByTestId('message').filter({ hasText: 'Hi! How can I help?' }).waitFor();
        await customer.screenshot({ path: join(shots, '2-customer-sees-reply.png') });

        // The customer's open widget read it: the agent's receipt turns to Read.
        await agent.getByTestId('message').filter({ hasText: 'Hi! How can I help?' }).getByTestId('receipt').filter({ hasText: 'Read' }).waitFor();
        await agent.screenshot({ path: join(shots, '3-agent-reply-read.png') });

        // Live, both ways: the customer answers and the agent's open conversation shows it without a reload.
        await customer.getByLabel('Message').fill('Thanks, that was quick');
        await customer.getByRole('button', { name: 'Send' }).click();
        await agent.getByTestId('message').filter({ hasText: 'Thanks, that was quick' }).waitFor();

        // Closing moves it out of the active list, into the closed one, where it can be reopened.
        await agent.getByRole('button', { name: 'Close', exact: true }).click();
        await agent.getByTestId('state').filter({ hasText: 'closed' }).waitFor();
        // The customer's widget says so and takes no more messages.
        await customer.getByText('This conversation is closed').waitFor();
        expect(await customer.getByLabel('Message').isVisible()).toBe(false);
        await eventually(
          () => row.count(),
          (count) => count === 0,
        );
        await agent.screenshot({ path: join(shots, '4-agent-closed.png') });
        await agent.getByRole('button', { name: 'Closed', exact: true }).click();
        await row.click();
        await agent.getByRole('button', { name: 'Reopen', exact: true }).click();
        await agent.getByTestId('state').filter({ hasText: 'active · assigned to Dana Demo' }).waitFor();
        await customer.getByLabel('Message').waitFor();

        // The agent says they take new sessions (auto-assignment needs ONLINE).
        await agent.getByLabel('Availability').selectOption('ONLINE');
        await eventually(
          () => agent.getByLabel('Availability').inputValue(),
          (value) => value === 'ONLINE',
        );

        // The SLA panel: a customer's session under a policy shows its due times; the breach arrives live.
        await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Demo SLA', firstResponseSeconds: 600, resolutionSeconds: 86_400, businessHoursOnly: false }, admin.token);
        const asker = await userWithRole(t, admin, UserRole.USER);
        const { createSession: late } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Waiting for an answer' }, asker.token);
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: late.id, content: 'Anyone there?' }, asker.token);
        const lateRow = agent.locator(`[data-testid=session][data-id="${late.id}"]`);
        await agent.getByRole('button', { name: 'Active', exact: true }).click();
        await lateRow.click();
        const panel = agent.getByTestId('sla');
        await panel.getByTestId('sla-policy').filter({ hasText: 'Demo SLA' }).waitFor();
        const firstResponse = panel.locator('[data-metric=FIRST_RESPONSE]').getByTestId('sla-due');
        await firstResponse.filter({ hasText: /^in (9|10) min$/ }).waitFor();
        await panel
          .locator('[data-metric=RESOLUTION]')
          .getByTestId('sla-due')
          .filter({ hasText: /^in (23 h \d+ min|24 h 0 min)$/ })
          .waitFor();
        expect(await panel.locator('[data-metric=NEXT_RESPONSE]').getByTestId('sla-due').textContent()).toBe('—');
        // The exact time is in the title, in the browser's locale.
        const { session: due } = await ok(t.graphqlUrl, SessionSlaDocument, { id: late.id }, admin.token);
        const exact = await agent.evaluate((iso) => new Date(iso).toLocaleString(), due.sla!.firstResponseDueAt!);
        expect(await firstResponse.getAttribute('title')).toBe(exact);
        expect(await panel.getByTestId('sla-breach').count()).toBe(0);
        expect(await lateRow.getByTestId('sla-breached').count()).toBe(0);
        await agent.screenshot({ path: join(shots, '5-agent-sla-due.png') });
        // Eleven minutes pass without a reply: the breach badge appears in the panel and in the list, without a reload.
        await ageSession(t, late.id, 660);
        await panel.locator('[data-metric=FIRST_RESPONSE]').getByTestId('sla-breach').waitFor();
        await firstResponse.filter({ hasText: /^(1|2) min overdue$/ }).waitFor();
        await lateRow.getByTestId('sla-breached').waitFor();
        expect(await panel.getByTestId('sla-breach').count()).toBe(1);
        await agent.screenshot({ path: join(shots, '6-agent-sla-breached.png') });

        expect(foreign).toEqual([]);
        expect(problems).toEqual([]);
        expect(toasts).toEqual([]);
      } catch (error) {
        // What each side showed when it failed (toasts carry the server's errors), kept beside the others.
        for (const [index, context] of (browser?.contexts() ?? []).entries()) {
          await context
            .pages()[0]
            ?.screenshot({ path: join(shots, `failure-${index}.png`) })
            .catch(() => {});
        }
        throw new Error(`${(error as Error).message}\nbrowser errors: ${JSON.stringify(problems)}\ntoasts: ${JSON.stringify(toasts)}`);
      } finally {
        await browser?.close();
      }
    },
    240_000,
  );

  browserIt('the demo two-factor sign-in test')(
    'asks an agent with two-factor sign-in for the code from their app, then opens the desk (Chromium)',
    async () => {
      const admin = await loginAdmin(t);
      const username = unique('tfagent');
      const agentUser = await userWithRole(t, admin, UserRole.STAFF, username);
      const { enrollTotp } = await ok(t.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, agentUser.token);
      await ok(t.graphqlUrl, ConfirmTotpDocument, { code: totpCode(enrollTotp.secret, Date.now() - 30_000) }, agentUser.token);
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(60_000);
        const problems: string[] = [];
        const toasts: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text());
          if (message.type() === 'warning') toasts.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        await page.goto(`${t.url}/demo/agent`);
        expect(await page.isVisible('#second-factor')).toBe(false);
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#second-factor').waitFor({ state: 'visible' });
        expect(toasts.join(' ')).toMatch(/code from your authenticator app/);
        await page.getByLabel('Code').fill(totpCode(enrollTotp.secret, Date.now()));
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#desk').waitFor({ state: 'visible' });
        expect(await page.isVisible('#login')).toBe(false);
        expect(problems).toEqual([]);
      } finally {
        await browser?.close();
      }
    },
    120_000,
  );
});
