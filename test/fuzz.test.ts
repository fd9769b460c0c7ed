import { randomUUID } from 'node:crypto';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { buildParleySchema } from '../src/graphql/schema.js';
import { buildOpenApiDocument } from '../src/rest/openapi/openapi.document.js';
import { UserRole } from '../src/shared/enums.js';
import { ERROR_CATALOGUE, isErrorReason } from '../src/shared/errors.js';
import { CreateRoomDocument, SendMessageDocument, SessionDocument } from './generated/graphql.js';
import { settled } from './helpers/background.js';
import { ok } from './helpers/client.js';
import { assignedSession, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A seeded fuzz over every argument of every GraphQL query and mutation, generated from the
 * schema itself (new fields are covered without editing this file). Each case sends one field
 * with hostile or random variables as a random caller. Never a 500; and when the call is
 * rejected, no row of any table changed.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 2000);
/**
 * Signing everybody out would only make the rest of the run unauthenticated: `logout`, and
 * `requireTwoFactor` (which signs out the users of the roles it names who have no second factor).
 */
const SKIPPED_FIELDS = new Set(['logout', 'requireTwoFactor']);
const seed = testSeed();

type Pick = <T>(items: readonly T[]) => T;

describe(`GraphQL and REST fuzz (${CASES} cases each, seed ${seed})`, () => {
  let t: TestServer;
  let schema: GraphQLSchema;
  const tokens: (string | undefined)[] = [undefined];
  const ids: string[] = [];
  /** Values for REST path parameters: real ids, UUIDs, keys and hostile text. */
  const pathValues: string[] = [];
  let widgetKey = '';
  let tables: string[] = [];

  /**
   * The rows a rejected call may add: a refused sign-in is itself recorded in the audit log (it
   * writes nothing else). Every other audit entry must stay as it was.
   */
  const rowsOf = (table: string) => (table === 'audit_log' ? `(select * from audit_log where action <> 'auth.login_failed')` : `"${table}"`);

  /** Every table's row count and content hash, in one statement (one round trip, one snapshot). */
  async function fingerprint(): Promise<string> {
    const connection = t.server.orm.em.fork().getConnection();
    const rows = (await connection.execute(
      tables
        .map((table) => `select '${table}' as name, (select count(*)::text || ':' || coalesce(md5(string_agg(md5(t::text), '' order by md5(t::text))), '') from ${rowsOf(table)} t) as f`)
        .join(' union all '),
    )) as { name: string; f: string }[];
    const byTable = new Map(rows.map((row) => [row.name, row.f]));
    return tables.map((table) => `${table}=${byTable.get(table)}`).join(';');
  }

  /**
   * The durable timers as they stand: a timer that fired (an SLA alert, a snooze's wake, an
   * auto-close set going by an earlier accepted call) changes it. A rejected call's transaction
   * never commits, so it cannot.
   */
  async function timersMark(): Promise<string> {
    const [row] = (await t.server.orm.em.fork().getConnection().execute(`select coalesce(string_agg(id::text || ':' || version::text, ',' order by id), '') as mark from timers`)) as {
      mark: string;
    }[];
    return row?.mark ?? '';
  }

  /**
   * Whether stored data changed under a rejected call. Background work an earlier accepted call
   * scheduled for later (a timer that came due meanwhile) also changes it: then the timers show
   * it, and the state once that work is done is the new baseline.
   */
  async function changedByRejectedCall(before: string, beforeTimers: string): Promise<{ changed: boolean; baseline: string }> {
    const after = await fingerprint();
    if (after === before) return { changed: false, baseline: before };
    if ((await timersMark()) === beforeTimers) return { changed: true, baseline: before };
    await settled(t);
    return { changed: false, baseline: await fingerprint() };
  }

  beforeAll(async () => {
    t = await startTestServer();
    schema = await buildParleySchema();
    const admin = await loginAdmin(t);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const guest = await guestSession(t);
    const sessionId = await assignedSession(t, admin, owner, staff);
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'seed message' }, owner.token);
    tokens.push(admin.token, staff.token, owner.token, guest.token);
    ids.push(sessionId, guest.sessionId, sendMessage.message.id, staff.userId, owner.userId, admin.userId);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'fuzz room', memberIds: [staff.userId] }, owner.token);
    const { session: guestSessionRow } = await ok(t.graphqlUrl, SessionDocument, { id: guest.sessionId }, admin.token);
    ids.push(createRoom.id);
    pathValues.push(...ids, guest.sessionKey, guestSessionRow.uuid, randomUUID(), '0', '-1', 'abc', '..', '%00', '%2e%2e%2f', '%E0', '%', '%C3%28', 'x'.repeat(300), '😀');
    const connection = t.server.orm.em.fork().getConnection();
    await connection.execute(`update tenants set allowed_origins = '{https://shop.example}'`);
    widgetKey = ((await connection.execute('select widget_key from tenants order by id limit 1')) as { widget_key: string }[])[0]!.widget_key;
    const rows = (await t.server.orm.em
      .fork()
      .getConnection()
      .execute(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'mikro_orm%' order by 1`)) as {
      name: string;
    }[];
    // A reaction's checkpoint moves on its own, after the calls that committed events (reactions
    // run in the background): it is the node's progress, not data a call changes.
    tables = rows.map((r) => r.name).filter((name) => name !== 'reaction_checkpoints');
  });
  afterAll(() => t?.dispose());

  const hostileStrings = [
    '',
    ' ',
    '\n\t ',
    'ok',
    'a'.repeat(10_001),
    'b'.repeat(300),
    'a\u0000b',
    '\u202Eevil.exe',
    '😀'.repeat(40),
    '<script>alert(1)</script>',
    "'; drop table users; --",
    '../../etc/passwd',
    'x@y.z',
    '+420 123 456 789',
    '1',
    '-1',
    '9'.repeat(30),
    'null',
    'URGENT',
    'Bearer x',
    // Lone UTF-16 surrogates (jsonb refuses them), C1 controls and bidirectional isolates.
    'a\ud800b',
    '\udc00',
    'x\udfff\ud800y',
    'name\u0085',
    '\u2067admin\u2069',
  ];
  /** Metadata a database cannot store or a walker cannot survive: NUL in keys and values, lone surrogates, 5,000 levels. */
  const deep = (levels: number) => {
    let value: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < levels; i++) value = { n: value };
    return value;
  };
  /** Stands for 5,000 levels of nesting until `serialise` writes them (JSON.stringify itself overflows on them). */
  const VERY_DEEP = { deep: '5000 levels' };
  const serialise = (value: unknown) => JSON.stringify(value).replaceAll(JSON.stringify(VERY_DEEP), `${'{"n":'.repeat(5000)}{"leaf":true}${'}'.repeat(5000)}`);
  const hostileObjects: Record<string, unknown>[] = [{ 'k\u0000': 1 }, { k: 'v\u0000' }, { k: ['ok', { inner: 'a\u0000b' }] }, { k: '\ud800' }, { '\udc00': 'v' }, VERY_DEEP, deep(9)];
  const hostileIds = ['0', '-1', 'abc', '99999999999999999999', '1.5', ' 1', '', '00001', '9223372036854775807'];
  const ints = [0, 1, -1, 2, 20, 50, 100, 101, 1000, 2_147_483_647, -2_147_483_648];
  /** Values a well-behaved client cannot send for the type: coercion must refuse them, never crash. */
  const wrongTyped = [2_147_483_648, 1.5, 'text', true, [], {}, null];

  function valueFor(type: GraphQLInputType, pick: Pick, random: () => number, depth = 0): unknown {
    if (random() < 0.04) return pick(wrongTyped);
    if (!isNonNullType(type) && random() < 0.2) return null;
    const inner = getNullableType(type);
    if (isListType(inner)) {
      const length = pick([0, 1, 2, 3, 50, 101, 150]);
      return Array.from({ length }, () => valueFor(inner.ofType, pick, random, depth + 1));
    }
    if (isEnumType(inner)) return random() < 0.85 ? pick(inner.getValues()).value : 'BOGUS';
    if (isInputObjectType(inner)) {
      const object: Record<string, unknown> = {};
      for (const field of Object.values(inner.getFields())) if (random() < 0.7 || isNonNullType(field.type)) object[field.name] = valueFor(field.type, pick, random, depth + 1);
      return object;
    }
    if (isScalarType(inner)) {
      switch (inner.name) {
        case 'ID':
          return random() < 0.6 ? pick(ids) : pick(hostileIds);
        case 'Int':
          return pick(ints);
        case 'Float':
          return pick([0, -1, 1.5, 1e308]);
        case 'Boolean':
          return random() < 0.5;
        case 'JSONObject':
          return random() < 0.3 ? pick(hostileObjects) : pick([{}, { a: 1 }, { nested: { deep: [1, 2, { x: 'y' }] } }, { big: 'x'.repeat(20_000) }, [1, 2], 'text']);
        case 'DateTimeISO':
          return pick([new Date().toISOString(), 'yesterday', '']);
        case 'Upload':
          return null;
        default:
          return random() < 0.5 ? pick(hostileStrings) : randomUUID();
      }
    }
    return null;
  }

  it('answers more than 50 invalid variable values (graphql-js stops counting) as BAD_USER_INPUT, not an internal error', async () => {
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
      body: JSON.stringify({ query: 'mutation($ids: [ID!]!) { markRead(sessionId: "1", messageIds: $ids) { lastReadMessageId } }', variables: { ids: Array.from({ length: 60 }, () => null) } }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.length).toBeGreaterThan(50);
    expect(new Set(body.errors.map((error) => error.extensions.code))).toEqual(new Set(['BAD_USER_INPUT']));
  });

  it('never answers 500, and a rejected call changes no row', async () => {
    const random = seededRandom(seed);
    const pick: Pick = (items) => items[Math.floor(random() * items.length)]!;
    const operations: { kind: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }[] = [];
    for (const [kind, root] of [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
    ] as const) {
      for (const field of Object.values(root?.getFields() ?? {})) if (!SKIPPED_FIELDS.has(field.name)) operations.push({ kind, field });
    }
    expect(operations.length).toBeGreaterThan(10);

    await settled(t);
    let before = await fingerprint();
    const seen = { rejected: 0, accepted: 0, reasons: new Set<string>() };
    for (let i = 0; i < CASES; i++) {
      const { kind, field } = pick(operations);
      const args = field.args.filter((arg: GraphQLArgument) => isNonNullType(arg.type) || random() < 0.6);
      const variables: Record<string, unknown> = {};
      for (const [n, arg] of args.entries()) variables[`v${n}`] = valueFor(arg.type, pick, random);
      const declared = args.map((arg, n) => `$v${n}: ${String(arg.type)}`).join(', ');
      const passed = args.map((arg, n) => `${arg.name}: $v${n}`).join(', ');
      const selection = isObjectType(getNamedType(field.type)) ? '{ __typename }' : '';
      const query = `${kind}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''} ${selection} }`;
      const token = pick(tokens);

      const beforeTimers = await timersMark();
      const response = await fetch(t.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: serialise({ query, variables }),
      });
      const context = `case ${i} (seed ${seed}): ${query} ${JSON.stringify(variables).slice(0, 300)}`;
      const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string; reason?: string } }[] };
      if (response.status >= 500 || body.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
        throw new Error(`server error on ${context}: ${JSON.stringify(body.errors)}`);
      }
      // Every refusal speaks the one vocabulary: a catalogued reason, under that reason's code
      // (an ended stream's FORBIDDEN is the one exception, and no query or mutation ends one).
      for (const error of body.errors ?? []) {
        const reason = error.extensions?.reason;
        if (!isErrorReason(reason) || ERROR_CATALOGUE[reason][0] !== error.extensions?.code) {
          throw new Error(`an error outside the reason catalogue on ${context}: ${JSON.stringify(error)}`);
        }
        seen.reasons.add(reason);
      }
      if (body.errors?.length) {
        seen.rejected++;
        const verdict = await changedByRejectedCall(before, beforeTimers);
        if (verdict.changed) throw new Error(`a rejected call changed stored data: ${context}`);
        before = verdict.baseline;
      } else {
        seen.accepted++;
        // An accepted call may set background work going (reactions after its events, timers due
        // now): the next call's "before" is the state once that work is done.
        await settled(t);
        before = await fingerprint();
      }
    }
    process.stdout.write(`fuzz: ${JSON.stringify({ ...seen, reasons: [...seen.reasons].sort() })}\n`);
    // The generator must reach both outcomes, or it is not exploring anything.
    expect(seen.rejected).toBeGreaterThan(CASES / 10);
    expect(seen.accepted).toBeGreaterThan(CASES / 50);
  }, 300_000);

  /** A JSON value shaped like the schema, or deliberately not: wrong types, extra fields, hostile text. */
  function bodyFor(schema: JsonSchema | undefined, pick: Pick, random: () => number, depth = 0): unknown {
    const roll = random();
    if (roll < 0.05) return pick([null, [], 'text', 42, true, [{}]]);
    const properties = schema?.properties ?? {};
    // A free-form object (metadata): sometimes one the database could not store.
    if (schema?.type === 'object' && Object.keys(properties).length === 0 && depth > 0 && random() < 0.3) return pick(hostileObjects);
    if (schema?.type === 'object' || Object.keys(properties).length > 0 || depth === 0) {
      const body: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) if (random() < 0.75) body[name] = bodyFor(property, pick, random, depth + 1);
      if (random() < 0.2) body[pick(['extra', 'sender_id', 'is_read', '__proto__', 'constructor'])] = pick(hostileStrings);
      if (random() < 0.1) body.widget_key = random() < 0.7 ? widgetKey : pick(hostileStrings);
      return body;
    }
    if (roll < 0.15) return pick(wrongTyped);
    switch (schema?.type) {
      case 'string':
        return random() < 0.5 ? pick(hostileStrings) : random() < 0.5 ? pick(ids) : randomUUID();
      case 'integer':
      case 'number':
        return pick([...ints, 1.5, -0, 1e21]);
      case 'boolean':
        return random() < 0.7 ? random() < 0.5 : pick(['true', 1, 'yes']);
      case 'array':
        return Array.from({ length: pick([0, 1, 2, 101]) }, () => bodyFor(schema.items, pick, random, depth + 1));
      default:
        return pick([...hostileStrings, ...ids, null]);
    }
  }

  it('never answers a REST route with a 500 or HTML, and a rejected call changes no row', async () => {
    const random = seededRandom(seed + 1);
    const pick: Pick = (items) => items[Math.floor(random() * items.length)]!;
    const document = buildOpenApiDocument() as { paths: Record<string, Record<string, RestOperation>>; components: { schemas: Record<string, JsonSchema> } };
    const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined => (schema?.$ref ? document.components.schemas[schema.$ref.split('/').pop()!] : schema);
    const routes: { method: string; path: string; operation: RestOperation }[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) if (['get', 'post', 'put'].includes(method)) routes.push({ method: method.toUpperCase(), path, operation });
    }
    expect(routes.length).toBeGreaterThanOrEqual(15);

    await settled(t);
    let before = await fingerprint();
    const seen = { rejected: 0, accepted: 0 };
    for (let i = 0; i < CASES; i++) {
      const { method, path, operation } = pick(routes);
      const url = path.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(pathValues)).replace(/%25/g, '%'));
      const query = new URLSearchParams();
      for (const name of ['limit', 'offset', 'page', 'status', 'before', 'cursor', 'page_size', 'last_message_id', 'unknown']) {
        if (random() < 0.2) query.set(name, String(pick([...hostileStrings.slice(0, 8), ...ints.map(String), 'active', 'closed'])));
      }
      const schema = resolve(operation.requestBody?.content?.['application/json']?.schema);
      const token = pick(tokens);
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(random() < 0.5 ? { origin: 'https://shop.example' } : {}) };
      let body: string | undefined;
      if (method !== 'GET') {
        headers['content-type'] = 'application/json';
        body = random() < 0.08 ? pick(['{', '{"content": ', '[1,2', 'null', '"\\u0000"', '{"a":1}}']) : serialise(bodyFor(schema, pick, random));
      }
      const beforeTimers = await timersMark();
      const response = await fetch(`${t.url}${url}${query.size ? `?${query}` : ''}`, { method, headers, body });
      const text = await response.text();
      const context = `REST case ${i} (seed ${seed}): ${method} ${url}?${query} ${body?.slice(0, 300) ?? ''} → ${response.status} ${text.slice(0, 300)}`;
      if (response.status >= 500) throw new Error(`server error on ${context}`);
      const type = response.headers.get('content-type') ?? '';
      if (/html/i.test(type) || /^\s*</.test(text)) throw new Error(`HTML answer on ${context}`);
      if (text !== '' && response.status !== 200 && response.status !== 206 && !/json/.test(type)) throw new Error(`non-JSON error on ${context}`);
      if (response.status >= 400) {
        seen.rejected++;
        const verdict = await changedByRejectedCall(before, beforeTimers);
        if (verdict.changed) throw new Error(`a rejected call changed stored data: ${context}`);
        before = verdict.baseline;
      } else {
        seen.accepted++;
        // An accepted call may set background work going (reactions after its events, timers due
        // now): the next call's "before" is the state once that work is done.
        await settled(t);
        before = await fingerprint();
      }
    }
    process.stdout.write(`REST fuzz: ${JSON.stringify(seen)}\n`);
    expect(seen.rejected).toBeGreaterThan(CASES / 10);
    expect(seen.accepted).toBeGreaterThan(CASES / 100);
  }, 300_000);
});

interface JsonSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

interface RestOperation {
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
