import { UserRole } from '../src/shared/enums.js';
import { CannedResponseDocument, CannedResponsesDocument, CreateCannedResponseDocument, DeleteCannedResponseDocument, UpdateCannedResponseDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const MAX = 12;

let t: TestServer;
let admin: Actor;
let staff: Actor;
let customer: Actor;
let bot: Actor;
let foreign: Actor;

const extensionsOf = async (result: Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>) => {
  const { errors } = await result;
  return errors?.[0]?.extensions ? { code: errors[0].extensions.code, reason: errors[0].extensions.reason } : 'OK';
};

const create = (shortCode: string, content: string, as: Actor = admin) => ok(t.graphqlUrl, CreateCannedResponseDocument, { shortCode, content }, as.token);

beforeAll(async () => {
  t = await startTestServer({ env: { CANNED_RESPONSES_MAX: String(MAX) } });
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
  bot = await userWithRole(t, admin, UserRole.BOT);
  foreign = await foreignTenantAdmin(t);
});
afterAll(() => t.dispose());

describe('canned responses', () => {
  it('are created, read, updated and deleted by admins; staff read them', async () => {
    const { createCannedResponse: created } = await create('  Greeting ', '  Hello! How can I help you today?  ');
    expect(created).toMatchObject({ shortCode: 'greeting', content: 'Hello! How can I help you today?' });
    const { cannedResponse } = await ok(t.graphqlUrl, CannedResponseDocument, { id: created.id }, staff.token);
    expect(cannedResponse).toEqual(created);

    const { updateCannedResponse } = await ok(t.graphqlUrl, UpdateCannedResponseDocument, { id: created.id, content: 'Hi there!' }, admin.token);
    expect(updateCannedResponse).toMatchObject({ id: created.id, shortCode: 'greeting', content: 'Hi there!' });
    const renamed = await ok(t.graphqlUrl, UpdateCannedResponseDocument, { id: created.id, shortCode: 'hi' }, admin.token);
    expect(renamed.updateCannedResponse).toMatchObject({ shortCode: 'hi', content: 'Hi there!' });

    expect(await extensionsOf(gql(t.graphqlUrl, UpdateCannedResponseDocument, { id: created.id, content: 'x' }, staff.token))).toEqual({ code: 'FORBIDDEN', reason: 'ADMIN_ONLY' });
    expect(await extensionsOf(gql(t.graphqlUrl, DeleteCannedResponseDocument, { id: created.id }, staff.token))).toEqual({ code: 'FORBIDDEN', reason: 'ADMIN_ONLY' });
    expect((await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: created.id }, admin.token)).deleteCannedResponse).toBe(true);
    expect(await extensionsOf(gql(t.graphqlUrl, CannedResponseDocument, { id: created.id }, staff.token))).toEqual({ code: 'NOT_FOUND', reason: 'CANNED_RESPONSE_NOT_FOUND' });
    expect(await extensionsOf(gql(t.graphqlUrl, DeleteCannedResponseDocument, { id: created.id }, admin.token))).toEqual({ code: 'NOT_FOUND', reason: 'CANNED_RESPONSE_NOT_FOUND' });
  });

  it('refuses bad input with a clear reason', async () => {
    const refusal = (shortCode: string, content: string) => extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode, content }, admin.token));
    expect(await refusal('', 'text')).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    expect(await refusal('has space', 'text')).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    expect(await refusal('/refund', 'text')).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    expect(await refusal('a'.repeat(33), 'text')).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    expect(await refusal('ok', '   ')).toEqual({ code: 'BAD_USER_INPUT', reason: 'BLANK' });
    expect(await refusal('ok', 'x'.repeat(10_001))).toEqual({ code: 'BAD_USER_INPUT', reason: 'TOO_LONG' });
    expect(await refusal('ok', 'bell \u0007')).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    const { createCannedResponse } = await create('a'.repeat(32), 'x'.repeat(10_000));
    expect(createCannedResponse.content).toHaveLength(10_000);
    expect(await extensionsOf(gql(t.graphqlUrl, UpdateCannedResponseDocument, { id: createCannedResponse.id }, admin.token))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await extensionsOf(gql(t.graphqlUrl, UpdateCannedResponseDocument, { id: 'nope' }, admin.token))).toMatchObject({ code: 'BAD_USER_INPUT' });
    const page = (variables: Record<string, unknown>) => extensionsOf(gql(t.graphqlUrl, CannedResponsesDocument, variables, staff.token));
    expect(await page({ first: 0 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await page({ first: 101 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await page({ after: 'not a cursor!' })).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    expect(await page({ after: Buffer.from('UPPER CASE').toString('base64url') })).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    expect(await page({ query: '!!! ???' })).toEqual({ code: 'BAD_USER_INPUT', reason: 'SEARCH_QUERY_EMPTY' });
    expect(await page({ query: 'x'.repeat(201) })).toEqual({ code: 'BAD_USER_INPUT', reason: 'TOO_LONG' });
    expect(await page({ query: 'a b c d e f g h i j k' })).toEqual({ code: 'BAD_USER_INPUT', reason: 'TOO_LONG' });
    expect(await page({ shortCodePrefix: 'no spaces' })).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' });
    // A tsquery operator is just punctuation between words here, never syntax.
    expect(await page({ query: "refund' & | ! :* (" })).toBe('OK');
    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: createCannedResponse.id }, admin.token);
  });

  it('keep short codes unique per tenant, not across tenants', async () => {
    const code = unique('dup').toLowerCase();
    const { createCannedResponse: first } = await create(code, 'first');
    expect(await extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: code.toUpperCase(), content: 'again' }, admin.token))).toEqual({
      code: 'CONFLICT',
      reason: 'SHORT_CODE_TAKEN',
    });
    const { createCannedResponse: other } = await create(`${code}-2`, 'second');
    expect(await extensionsOf(gql(t.graphqlUrl, UpdateCannedResponseDocument, { id: other.id, shortCode: code }, admin.token))).toEqual({ code: 'CONFLICT', reason: 'SHORT_CODE_TAKEN' });
    // Another tenant may use the same code.
    const { createCannedResponse: theirs } = await create(code, 'theirs', foreign);
    expect(theirs.shortCode).toBe(code);
    for (const id of [first.id, other.id]) await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id }, admin.token);
    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: theirs.id }, foreign.token);
  });

  it("treat another tenant's ids exactly like missing ones, and never list them", async () => {
    const { createCannedResponse: mine } = await create('tenant-private', 'only for us');
    for (const [document, variables] of [
      [CannedResponseDocument, { id: mine.id }],
      [UpdateCannedResponseDocument, { id: mine.id, content: 'hijacked' }],
      [DeleteCannedResponseDocument, { id: mine.id }],
    ] as const) {
      const foreignAnswer = await gql(t.graphqlUrl, document as typeof CannedResponseDocument, variables as { id: string }, foreign.token);
      const missing = await gql(t.graphqlUrl, document as typeof CannedResponseDocument, { ...variables, id: '987654321' } as { id: string }, foreign.token);
      expect(foreignAnswer.errors![0]!.extensions).toEqual(missing.errors![0]!.extensions);
      expect(foreignAnswer.errors![0]!.message).toBe(missing.errors![0]!.message);
      expect(foreignAnswer.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CANNED_RESPONSE_NOT_FOUND' });
    }
    const { cannedResponses } = await ok(t.graphqlUrl, CannedResponsesDocument, { first: 100 }, foreign.token);
    expect(cannedResponses.items.map((item) => item.id)).not.toContain(mine.id);
    const still = await ok(t.graphqlUrl, CannedResponseDocument, { id: mine.id }, staff.token);
    expect(still.cannedResponse.content).toBe('only for us');
    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: mine.id }, admin.token);
  });

  it('are refused to customers, guests, bots and the anonymous', async () => {
    const guest = await guestSession(t);
    const { createCannedResponse: existing } = await create('who-reads', 'staff only');
    for (const [actor, token, expected] of [
      ['customer', customer.token, { code: 'FORBIDDEN', reason: 'STAFF_ONLY' }],
      ['bot', bot.token, { code: 'FORBIDDEN', reason: 'STAFF_ONLY' }],
      ['guest', guest.token, { code: 'FORBIDDEN', reason: 'GUEST_NOT_ALLOWED' }],
      ['anonymous', undefined, { code: 'UNAUTHENTICATED', reason: 'AUTHENTICATION_REQUIRED' }],
    ] as const) {
      expect([actor, await extensionsOf(gql(t.graphqlUrl, CannedResponsesDocument, {}, token))]).toEqual([actor, expected]);
      expect([actor, await extensionsOf(gql(t.graphqlUrl, CannedResponseDocument, { id: existing.id }, token))]).toEqual([actor, expected]);
      const writeRefusal = actor === 'guest' || actor === 'anonymous' ? expected : { code: 'FORBIDDEN', reason: 'ADMIN_ONLY' };
      expect([actor, await extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: 'nope', content: 'x' }, token))]).toEqual([actor, writeRefusal]);
    }
    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: existing.id }, admin.token);
  });
});

describe('listing and search', () => {
  let ids: string[] = [];
  beforeAll(async () => {
    const seed: [string, string][] = [
      ['refund', 'We have issued a full refund to your card.'],
      ['refund-partial', 'We refunded part of the order; the rest ships soon.'],
      ['ref_policy', 'Our refund policy allows returns within 30 days.'],
      ['shipping', 'Your parcel ships within two business days.'],
      ['hello', 'Hello! Thanks for reaching out.'],
      ['bye', 'Thanks for chatting with us, goodbye!'],
      ['refx', 'Something else entirely.'],
    ];
    ids = [];
    for (const [shortCode, content] of seed) ids.push((await create(shortCode, content)).createCannedResponse.id);
  });
  afterAll(async () => {
    for (const id of ids) await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id }, admin.token);
  });

  const list = async (variables: Record<string, unknown>, as: Actor = staff) => (await ok(t.graphqlUrl, CannedResponsesDocument, variables, as.token)).cannedResponses;
  const codes = (page: Awaited<ReturnType<typeof list>>) => page.items.map((item) => item.shortCode);

  it('lists every response by short code', async () => {
    const page = await list({ first: 100 });
    expect(codes(page)).toEqual(['bye', 'hello', 'ref_policy', 'refund', 'refund-partial', 'refx', 'shipping']);
    expect(page).toMatchObject({ totalCount: 7, hasMore: false });
  });

  it('finds by short-code prefix ("_" is no wildcard; a leading "/" and case are ignored)', async () => {
    expect(codes(await list({ shortCodePrefix: 'ref' }))).toEqual(['ref_policy', 'refund', 'refund-partial', 'refx']);
    expect(codes(await list({ shortCodePrefix: '/REFUND' }))).toEqual(['refund', 'refund-partial']);
    expect(codes(await list({ shortCodePrefix: 'ref_' }))).toEqual(['ref_policy']);
    expect(codes(await list({ shortCodePrefix: 'zzz' }))).toEqual([]);
  });

  it('finds by content words, each a word prefix, together with the prefix', async () => {
    expect(codes(await list({ query: 'refund' }))).toEqual(['ref_policy', 'refund', 'refund-partial']);
    expect(codes(await list({ query: 'refun' }))).toEqual(['ref_policy', 'refund', 'refund-partial']);
    expect(codes(await list({ query: 'full refund' }))).toEqual(['refund']);
    expect(codes(await list({ query: 'THANKS' }))).toEqual(['bye', 'hello']);
    expect(codes(await list({ query: 'ships days' }))).toEqual(['shipping']);
    expect(codes(await list({ query: 'refund', shortCodePrefix: 'refund' }))).toEqual(['refund', 'refund-partial']);
    expect(codes(await list({ query: 'policy', shortCodePrefix: 'refund' }))).toEqual([]);
  });

  it('pages by short code with an opaque cursor, counting every match', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof list>> = await list({ first: 3, after, shortCodePrefix: 'ref' });
      expect(page.totalCount).toBe(4);
      seen.push(...codes(page));
      if (!page.hasMore) break;
      after = page.endCursor;
    }
    expect(seen).toEqual(['ref_policy', 'refund', 'refund-partial', 'refx']);
    const admins = await list({ first: 2 }, admin);
    expect(codes(admins)).toEqual(['bye', 'hello']);
    expect(admins.hasMore).toBe(true);
  });

  it('uses the indexes for prefix and content search', async () => {
    // A handful of rows would be scanned anyway; with scans priced out the plan shows which index can serve each condition.
    const explain = (where: string, params: unknown[]) =>
      t.server.orm.em.fork().transactional(async (tx) => {
        await tx.execute('set local enable_seqscan = off');
        const rows = await tx.execute<{ 'QUERY PLAN': string }[]>(`explain select c.id from canned_responses c where ${where} order by c.short_code limit 21`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    const prefixPlan = await explain('c.tenant_id = ? and c.short_code like ?', [t.server.defaultTenantId, 'ref%']);
    expect(prefixPlan).toContain('canned_responses_tenant_id_short_code_unique');
    expect(prefixPlan).toMatch(/Index Cond: \(\(tenant_id = .*short_code\)::text >= 'ref'.*short_code\)::text < 'reg'/);
    // With a tenant's worth of rows the planner combines it with the tenant condition (or not, for a tiny tenant).
    const contentPlan = await explain(`c.search_vector @@ to_tsquery('simple', ?)`, ['refund:*']);
    expect(contentPlan).toContain('Bitmap Index Scan on canned_responses_search_vector_index');
  });
});

describe('the per-tenant maximum', () => {
  it(`allows CANNED_RESPONSES_MAX (${MAX}) per tenant, refuses one more, and frees a place on delete`, async () => {
    const { cannedResponses } = await ok(t.graphqlUrl, CannedResponsesDocument, { first: 100 }, admin.token);
    const created: string[] = [];
    for (let i = cannedResponses.totalCount; i < MAX; i++) created.push((await create(`limit-${i}`, `number ${i}`)).createCannedResponse.id);
    expect(await extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: 'one-too-many', content: 'x' }, admin.token))).toEqual({
      code: 'CONFLICT',
      reason: 'CANNED_RESPONSE_LIMIT',
    });
    // Concurrent creates cannot overshoot either.
    const racing = await Promise.all([1, 2, 3].map((n) => extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: `race-${n}`, content: 'x' }, admin.token))));
    expect(racing.every((answer) => answer !== 'OK')).toBe(true);
    // Another tenant has its own allowance.
    const theirs = await create('their-own', 'fine', foreign);
    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: theirs.createCannedResponse.id }, foreign.token);

    await ok(t.graphqlUrl, DeleteCannedResponseDocument, { id: created.pop()! }, admin.token);
    const answers = await Promise.all([1, 2, 3].map((n) => extensionsOf(gql(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: `race-again-${n}`, content: 'x' }, admin.token))));
    expect(answers.filter((answer) => answer === 'OK')).toHaveLength(1);
    expect(answers.filter((answer) => answer !== 'OK')).toEqual([
      { code: 'CONFLICT', reason: 'CANNED_RESPONSE_LIMIT' },
      { code: 'CONFLICT', reason: 'CANNED_RESPONSE_LIMIT' },
    ]);
    expect((await ok(t.graphqlUrl, CannedResponsesDocument, { first: 100 }, admin.token)).cannedResponses.totalCount).toBe(MAX);
  });
});
