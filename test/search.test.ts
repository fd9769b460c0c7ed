import { randomUUID } from 'node:crypto';
import { RANK_CANDIDATES } from '../src/search/search.service.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CreateGuestSessionDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  RemoveRoomMemberDocument,
  SearchMessagesDocument,
  type SearchMessagesQuery,
  type SearchOrder,
  SearchSessionsDocument,
  type SearchSessionsQuery,
  SendMessageDocument,
  SetSearchLanguageDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Search against a brute-force model. A random corpus in Czech, German and English words (all
 * lowercase, so the `simple` configuration matches a word exactly) is sent into sessions of every
 * kind, then partly edited and deleted; for each viewer and query, the server's hits must equal
 * the messages the model says the viewer may read and that match.
 */
const VOCABULARY = ['účet', 'platba', 'zásilka', 'děkuji', 'moc', 'rechnung', 'lieferung', 'passwort', 'grüße', 'refund', 'parcel', 'broken'];

type Viewer = 'admin' | 'staffA' | 'staffB' | 'staffC' | 'userOne' | 'userTwo' | 'userThree' | 'guest' | 'bot' | 'foreignAdmin';
type SessionName = 'S1' | 'S2' | 'S3' | 'G' | 'R' | 'F';

/** DESIGN §4 for this fixture: the sessions each viewer may read. */
const READABLE: Record<Viewer, SessionName[]> = {
  admin: ['S1', 'S2', 'S3', 'G', 'R'],
  staffA: ['S1', 'S2'], // assigned to S1 and S2
  staffB: ['G', 'R'], // assigned to G, member of room R
  staffC: [], // assigned nothing
  userOne: ['S1', 'R'], // opened S1, owns R
  userTwo: ['S2', 'S3', 'R'], // opened S2 and S3 (S3 unassigned), member of R
  userThree: [], // removed from R
  guest: ['G'],
  bot: ['R'], // member of R
  foreignAdmin: ['F'], // another tenant
};

interface Query {
  query: string;
  matches(tokens: string[]): boolean;
}

const has = (word: string) => (tokens: string[]) => tokens.includes(word);
const adjacent = (a: string, b: string) => (tokens: string[]) => tokens.some((token, i) => token === a && tokens[i + 1] === b);

const QUERIES: Query[] = [
  { query: 'účet', matches: has('účet') },
  { query: 'rechnung', matches: has('rechnung') },
  { query: 'Grüße', matches: has('grüße') },
  { query: 'platba lieferung', matches: (t) => has('platba')(t) && has('lieferung')(t) },
  { query: 'zásilka or passwort', matches: (t) => has('zásilka')(t) || has('passwort')(t) },
  { query: 'refund -broken', matches: (t) => has('refund')(t) && !has('broken')(t) },
  { query: '"děkuji moc"', matches: adjacent('děkuji', 'moc') },
  { query: '"parcel broken" or účet', matches: (t) => adjacent('parcel', 'broken')(t) || has('účet')(t) },
];

interface Sent {
  id: string;
  session: SessionName;
  content: string;
  deleted: boolean;
  author: Viewer;
}

describe('search', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sentence = () => Array.from({ length: 3 + Math.floor(random() * 5) }, () => pick(VOCABULARY)).join(' ');

  let t: TestServer;
  const actors = {} as Record<Viewer, Actor>;
  const sessions = {} as Record<SessionName, string>;
  const sent: Sent[] = [];

  const search = (viewer: Viewer | null, variables: Parameters<typeof gql<SearchMessagesQuery, Record<string, unknown>>>[2]) =>
    gql(t.graphqlUrl, SearchMessagesDocument, variables as never, viewer ? actors[viewer].token : undefined);

  /** Every hit, walking pages of `first` with `after`; fails on an error. */
  async function allHits(viewer: Viewer, query: string, order: SearchOrder, first = 7): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const { searchMessages }: SearchMessagesQuery = await ok(t.graphqlUrl, SearchMessagesDocument, { query, first, after, order }, actors[viewer].token);
      ids.push(...searchMessages.edges.map((edge) => edge.node.id));
      expect(searchMessages.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!searchMessages.pageInfo.hasNextPage) return ids;
      expect(searchMessages.edges).toHaveLength(first);
      after = searchMessages.pageInfo.endCursor;
    }
    throw new Error('more than 100 pages');
  }

  const expected = (viewer: Viewer, query: Query) =>
    sent
      .filter((m) => READABLE[viewer].includes(m.session) && !m.deleted && query.matches(m.content.split(' ')))
      .map((m) => m.id)
      .sort((a, b) => Number(b) - Number(a));

  beforeAll(async () => {
    t = await startTestServer();
    actors.admin = await loginAdmin(t);
    for (const [name, role] of [
      ['staffA', UserRole.STAFF],
      ['staffB', UserRole.STAFF],
      ['staffC', UserRole.STAFF],
      ['userOne', UserRole.USER],
      ['userTwo', UserRole.USER],
      ['userThree', UserRole.USER],
      ['bot', UserRole.BOT],
    ] as const) {
      actors[name] = await userWithRole(t, actors.admin, role);
    }
    const supportSession = async (owner: Actor, staff: Actor | null, subject: string, tags: string[]) => {
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject, tags }, owner.token);
      if (staff) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: staff.userId }, actors.admin.token);
      return createSession.id;
    };
    sessions.S1 = await supportSession(actors.userOne, actors.staffA, 'login trouble', ['billing']);
    sessions.S2 = await supportSession(actors.userTwo, actors.staffA, 'parcel lost', ['shipping']);
    sessions.S3 = await supportSession(actors.userTwo, null, 'rechnung falsch', ['billing', 'german']);
    const { createGuestSession } = await ok(t.graphqlUrl, CreateGuestSessionDocument, {
      sessionKey: randomUUID(),
      guestName: 'Jana Nováková',
      guestEmail: 'jana@shop.example',
    });
    actors.guest = { token: createGuestSession.token, userId: '' };
    sessions.G = createGuestSession.session.id;
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: sessions.G, agentId: actors.staffB.userId }, actors.admin.token);
    const members = [actors.userTwo, actors.bot, actors.staffB, actors.userThree].map((a) => a.userId);
    sessions.R = (await ok(t.graphqlUrl, CreateRoomDocument, { name: 'team room', memberIds: members }, actors.userOne.token)).createRoom.id;
    actors.foreignAdmin = await foreignTenantAdmin(t);
    sessions.F = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'parcel lost' }, actors.foreignAdmin.token)).createSession.id;

    const writers: Record<SessionName, Viewer[]> = {
      S1: ['userOne', 'staffA'],
      S2: ['userTwo', 'staffA'],
      S3: ['userTwo'],
      G: ['guest', 'staffB'],
      R: ['userOne', 'userTwo', 'bot', 'staffB', 'userThree'],
      F: ['foreignAdmin'],
    };
    for (let i = 0; i < 150; i++) {
      const session = pick(Object.keys(writers) as SessionName[]);
      const author = pick(writers[session]);
      const content = sentence();
      const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: sessions[session], content }, actors[author].token);
      sent.push({ id: sendMessage.message.id, session, content, deleted: false, author });
    }
    // Edits and deletes, by each message's sender.
    for (const message of sent) {
      const roll = random();
      if (roll < 0.15) {
        message.content = sentence();
        await ok(t.graphqlUrl, EditMessageDocument, { messageId: message.id, content: message.content }, actors[message.author].token);
      } else if (roll < 0.25) {
        message.deleted = true;
        await ok(t.graphqlUrl, DeleteMessageDocument, { messageId: message.id }, actors[message.author].token);
      }
    }
    // A former member reads nothing of the room any more.
    await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: sessions.R, userId: actors.userThree.userId }, actors.userOne.token);
  }, 180_000);
  afterAll(() => t?.dispose());

  describe(`equals a brute-force filter over what each viewer may read (TEST_SEED=${seed})`, () => {
    const viewers = Object.keys(READABLE) as Viewer[];
    it.each(viewers)('for %s, every query, newest first, walking every page', async (viewer) => {
      for (const query of QUERIES) {
        const hits = await allHits(viewer, query.query, 'NEWEST');
        expect({ query: query.query, hits }).toEqual({ query: query.query, hits: expected(viewer, query) });
      }
    });

    it.each(viewers)('for %s, every query, ranked, each hit exactly once', async (viewer) => {
      for (const query of QUERIES) {
        const hits = await allHits(viewer, query.query, 'RANK', 4);
        expect(new Set(hits).size).toBe(hits.length);
        expect({ query: query.query, hits: [...hits].sort((a, b) => Number(b) - Number(a)) }).toEqual({ query: query.query, hits: expected(viewer, query) });
      }
    });
  });

  it('ranks a message with more matches above one with fewer', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, actors.userOne.token);
    const once = (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'quokka and other words here' }, actors.userOne.token)).sendMessage.message.id;
    const thrice = (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'quokka quokka quokka' }, actors.userOne.token)).sendMessage.message.id;
    const ranked = await allHits('userOne', 'quokka', 'RANK');
    expect(ranked).toEqual([thrice, once]);
    // Newest first is by send order, whatever the rank.
    await ok(t.graphqlUrl, EditMessageDocument, { messageId: once, content: 'quokka quokka quokka quokka' }, actors.userOne.token);
    expect(await allHits('userOne', 'quokka', 'RANK')).toEqual([once, thrice]);
    expect(await allHits('userOne', 'quokka', 'NEWEST')).toEqual([thrice, once]);
  });

  it(`ranks the newest ${RANK_CANDIDATES} matches of a common word; newest first still walks every match`, async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, actors.userOne.token);
    const oldBest = (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'wombat wombat wombat wombat' }, actors.userOne.token)).sendMessage.message.id;
    // More matches than candidates, written straight into the table (sending them one by one would take minutes).
    await t.server.orm.em
      .fork()
      .getConnection()
      .execute(
        `insert into chat_messages (uuid, tenant_id, session_id, sender_type, content, metadata, created_at)
       select gen_random_uuid(), s.tenant_id, s.id, 'USER', 'wombat ' || n, '{}', now() from chat_sessions s, generate_series(1, ?) n where s.id = ?`,
        [RANK_CANDIDATES, createSession.id],
      );
    const ranked = await allHits('userOne', 'wombat', 'RANK', 50);
    expect(ranked).toHaveLength(RANK_CANDIDATES);
    expect(ranked).not.toContain(oldBest);
    const newest = await allHits('userOne', 'wombat', 'NEWEST', 50);
    expect(newest).toHaveLength(RANK_CANDIDATES + 1);
    expect(newest[newest.length - 1]).toBe(oldBest);
  }, 60_000);

  it('narrows to one readable session and a time range, and refuses a session the viewer may not read', async () => {
    const query = QUERIES[0]!;
    const inS1 = (await ok(t.graphqlUrl, SearchMessagesDocument, { query: query.query, sessionId: sessions.S1, first: 50, order: 'NEWEST' }, actors.admin.token)).searchMessages;
    expect(inS1.edges.map((e) => e.node.id)).toEqual(expected('admin', query).filter((id) => sent.find((m) => m.id === id)!.session === 'S1'));
    expect(inS1.edges.every((e) => e.node.sessionId === sessions.S1)).toBe(true);

    const refused = await search('staffC', { query: query.query, sessionId: sessions.S1 });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const foreign = await search('foreignAdmin', { query: query.query, sessionId: sessions.S1 });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const future = await ok(t.graphqlUrl, SearchMessagesDocument, { query: query.query, from: new Date(Date.now() + 60_000).toISOString() }, actors.admin.token);
    expect(future.searchMessages.edges).toEqual([]);
    const past = await ok(t.graphqlUrl, SearchMessagesDocument, { query: query.query, to: new Date(Date.now() + 60_000).toISOString(), first: 50, order: 'NEWEST' }, actors.admin.token);
    expect(past.searchMessages.edges.map((e) => e.node.id)).toEqual(expected('admin', query).slice(0, 50));
  });

  it('highlights matches in <mark> and lets no markup through, markers in the content included', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, actors.userThree.token);
    const content = '<b>xyzzy</b> & <script>alert(1)</script> \uE000forged\uE001 "quoted" xyzzy';
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content }, actors.userThree.token);
    const { searchMessages } = await ok(t.graphqlUrl, SearchMessagesDocument, { query: 'xyzzy' }, actors.userThree.token);
    const [edge] = searchMessages.edges;
    expect(edge?.node.content).toBe(content);
    expect(edge?.highlight).toContain('<mark>xyzzy</mark>');
    expect(edge?.highlight.replaceAll('<mark>', '').replaceAll('</mark>', '')).not.toMatch(/[<>"\uE000\uE001]/);
    // ts_headline leaves markup out of an excerpt; what remains is escaped.
    expect(edge?.highlight).toContain('&amp;');
    expect(edge?.highlight).toContain('&quot;quoted&quot;');
  });

  it('keeps a highlight short whatever the length of the message', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, actors.userThree.token);
    const content = `${'filler '.repeat(800)}wombat ${'filler '.repeat(600)}`;
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content }, actors.userThree.token);
    const { searchMessages } = await ok(t.graphqlUrl, SearchMessagesDocument, { query: 'wombat' }, actors.userThree.token);
    expect(searchMessages.edges[0]?.highlight).toContain('<mark>wombat</mark>');
    expect(searchMessages.edges[0]!.highlight.length).toBeLessThanOrEqual(400);
  });

  describe('bad input is BAD_USER_INPUT with a reason, never a 500', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an empty query', { query: '' }, 'BLANK'],
      ['a whitespace-only query', { query: ' \t\n ' }, 'BLANK'],
      ['a query over 256 characters', { query: 'a'.repeat(257) }, 'TOO_LONG'],
      ['syntax only', { query: '"" - or' }, 'SEARCH_QUERY_EMPTY'],
      ['punctuation only', { query: '!!! ???' }, 'SEARCH_QUERY_EMPTY'],
      ['only excluded words', { query: '-refund' }, 'SEARCH_QUERY_EMPTY'],
      ['a cursor that is not one', { query: 'refund', after: 'nonsense' }, 'INVALID_CURSOR'],
      ['a page size of 0', { query: 'refund', first: 0 }, 'INVALID_ARGUMENT'],
      ['a page size over 50', { query: 'refund', first: 51 }, 'INVALID_ARGUMENT'],
    ];
    it.each(cases)('searchMessages: %s', async (_label, variables, reason) => {
      const result = await search('admin', variables);
      expect(result.status).toBeLessThan(500);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    });
    it.each(cases)('searchSessions: %s', async (_label, variables, reason) => {
      const result = await gql(t.graphqlUrl, SearchSessionsDocument, variables as never, actors.admin.token);
      expect(result.status).toBeLessThan(500);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    });

    it('takes quotes, placeholders and backslashes as text', async () => {
      for (const query of ["it's ?? účet? \\ ;--", '$1 :name @x účet', "'); drop table tenants; --"]) {
        const result = await search('admin', { query, first: 50, order: 'NEWEST' });
        expect({ query, errors: result.errors }).toEqual({ query, errors: undefined });
      }
    });

    it('accepts a query of exactly 256 characters', async () => {
      const result = await search('admin', { query: `${'a'.repeat(251)} účet` });
      expect(result.errors).toBeUndefined();
    });

    it('refuses a ranked cursor for newest-first paging', async () => {
      const first = await ok(t.graphqlUrl, SearchMessagesDocument, { query: 'účet', first: 1, order: 'RANK' }, actors.admin.token);
      const result = await search('admin', { query: 'účet', after: first.searchMessages.pageInfo.endCursor, order: 'NEWEST' });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    });
  });

  describe('searchSessions', () => {
    const found = async (viewer: Viewer, query: string): Promise<string[]> => {
      const { searchSessions }: SearchSessionsQuery = await ok(t.graphqlUrl, SearchSessionsDocument, { query, first: 50, order: 'NEWEST' }, actors[viewer].token);
      return searchSessions.edges.map((edge) => edge.node.id);
    };

    it('finds by subject, tag, guest name and guest email within what the viewer may read', async () => {
      expect(await found('admin', 'parcel')).toEqual([sessions.S2]);
      expect(await found('admin', 'billing')).toEqual([sessions.S3, sessions.S1]);
      expect(await found('staffA', 'billing')).toEqual([sessions.S1]);
      expect(await found('staffC', 'billing')).toEqual([]);
      expect(await found('admin', 'nováková')).toEqual([sessions.G]);
      expect(await found('staffB', 'jana@shop.example')).toEqual([sessions.G]);
      expect(await found('staffA', 'jana@shop.example')).toEqual([]);
      expect(await found('staffB', '"team room"')).toEqual([sessions.R]);
      expect(await found('foreignAdmin', 'parcel')).toEqual([sessions.F]);
    });

    it("finds by the customer's name; the customer's email only for admins", async () => {
      const name = unique('zdenka');
      const customer = await userWithRole(t, actors.admin, UserRole.USER, name);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
      await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: actors.staffC.userId }, actors.admin.token);
      expect(await found('staffC', name)).toEqual([createSession.id]);
      expect(await found('admin', `${name}@example.test`)).toEqual([createSession.id]);
      expect(await found('staffC', `${name}@example.test`)).toEqual([]);
    });

    it('pages each hit exactly once in both orders', async () => {
      for (const order of ['RANK', 'NEWEST'] as const) {
        const ids: string[] = [];
        let after: string | null = null;
        for (;;) {
          const { searchSessions }: SearchSessionsQuery = await ok(t.graphqlUrl, SearchSessionsDocument, { query: 'billing or parcel or room', first: 1, after, order }, actors.admin.token);
          ids.push(...searchSessions.edges.map((edge) => edge.node.id));
          if (!searchSessions.pageInfo.hasNextPage) break;
          after = searchSessions.pageInfo.endCursor;
        }
        expect([...ids].sort()).toEqual([sessions.S1, sessions.S2, sessions.S3, sessions.R].sort());
      }
    });

    it.each([
      ['userOne', 'FORBIDDEN'],
      ['guest', 'FORBIDDEN'],
      ['bot', 'FORBIDDEN'],
      [null, 'UNAUTHENTICATED'],
    ] as const)('is refused to %s', async (viewer, code) => {
      const result = await gql(t.graphqlUrl, SearchSessionsDocument, { query: 'parcel' }, viewer ? actors[viewer].token : undefined);
      expect(result.errors?.[0]?.extensions?.code).toBe(code);
    });
  });

  it('searchMessages needs a signed-in caller', async () => {
    const result = await search(null, { query: 'účet' });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  describe('the language setting', () => {
    it('re-indexes the tenant with the chosen configuration and leaves other tenants on theirs', async () => {
      const foreign = actors.foreignAdmin;
      const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: sessions.F, content: 'the parcels were running late' }, foreign.token);
      const hits = async (query: string) => (await ok(t.graphqlUrl, SearchMessagesDocument, { query }, foreign.token)).searchMessages.edges.map((edge) => edge.node.id);
      expect(await hits('run')).toEqual([]);
      expect((await ok(t.graphqlUrl, SetSearchLanguageDocument, { config: 'english' }, foreign.token)).setSearchLanguage).toBe('english');
      // The message sent before the change is found by its stem, and so is a new one.
      expect(await hits('run')).toEqual([sendMessage.message.id]);
      const later = (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: sessions.F, content: 'she runs' }, foreign.token)).sendMessage.message.id;
      expect((await hits('running')).sort()).toEqual([sendMessage.message.id, later].sort());
      // The default tenant still matches words exactly.
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, actors.userThree.token);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'running' }, actors.userThree.token);
      expect((await ok(t.graphqlUrl, SearchMessagesDocument, { query: 'run' }, actors.userThree.token)).searchMessages.edges).toEqual([]);
    });

    it('refuses an unknown configuration and anyone but an admin', async () => {
      const unknown = await gql(t.graphqlUrl, SetSearchLanguageDocument, { config: 'klingon' }, actors.admin.token);
      expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_SEARCH_CONFIG' });
      for (const viewer of ['staffA', 'userOne', 'guest'] as const) {
        const refused = await gql(t.graphqlUrl, SetSearchLanguageDocument, { config: 'english' }, actors[viewer].token);
        expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    });
  });
});
