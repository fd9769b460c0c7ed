/**
 * What fan-out shares per node (DESIGN §6): subscription execution per (document, variables,
 * viewer) per event, periodic access checks per (credentials, sequence), and a participant's
 * delivered watermark per session. The end-to-end guarantees (order, resume, access loss) are
 * tested over real sockets in realtime, resume, ordering and multi-node tests.
 */
import { type ExecutionArgs, type ExecutionResult, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import type { PublishedEvent } from '../src/model/event-contract.js';
import { DeliveryReceipts } from '../src/realtime/delivery-receipts.js';
import { PeriodicChecks } from '../src/realtime/periodic-checks.js';
import { sharedSubscriptions } from '../src/ws/shared-execution.js';

/** A schema whose subscription yields the given root objects and counts how often its field is executed. */
function countingSchema(roots: object[]) {
  const counter = { executions: 0 };
  const Query = new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } });
  const Subscription = new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      echo: {
        type: GraphQLString,
        args: { prefix: { type: GraphQLString } },
        subscribe: async function* () {
          for (const root of roots) yield root;
        },
        resolve: (root: { text: string }, args: { prefix?: string }, context: { viewer: string }) => {
          counter.executions += 1;
          return `${args.prefix ?? ''}${root.text} for ${context.viewer}`;
        },
      },
    },
  });
  return { schema: new GraphQLSchema({ query: Query, subscription: Subscription }), counter };
}

async function collect(subscribe: (args: ExecutionArgs) => Promise<unknown>, args: ExecutionArgs): Promise<ExecutionResult[]> {
  const stream = (await subscribe(args)) as AsyncIterable<ExecutionResult>;
  const out: ExecutionResult[] = [];
  for await (const result of stream) out.push(result);
  return out;
}

describe('shared subscription execution', () => {
  const document = parse('subscription($p: String) { echo(prefix: $p) }');
  const events = [{ text: 'a' }, { text: 'b' }];

  it('executes each event once for subscriptions of the same document, variables and viewer', async () => {
    const { schema, counter } = countingSchema(events);
    const subscribe = sharedSubscriptions((context) => (context as { viewer: string }).viewer);
    const args = (viewer: string, p: string): ExecutionArgs => ({ schema, document, contextValue: { viewer }, variableValues: { p } });
    const [first, second] = await Promise.all([collect(subscribe, args('ann', '>')), collect(subscribe, args('ann', '>'))]);
    expect(first.map((r) => r.data?.echo)).toEqual(['>a for ann', '>b for ann']);
    expect(second).toEqual(first);
    expect(second[0]).toBe(first[0]); // the same result object: serialised per socket, executed once
    expect(counter.executions).toBe(2);
  });

  it('executes separately for another viewer or other variables', async () => {
    const { schema, counter } = countingSchema(events);
    const subscribe = sharedSubscriptions((context) => (context as { viewer: string }).viewer);
    const args = (viewer: string, p: string): ExecutionArgs => ({ schema, document, contextValue: { viewer }, variableValues: { p } });
    const [ann, bob, annOther] = await Promise.all([collect(subscribe, args('ann', '>')), collect(subscribe, args('bob', '>')), collect(subscribe, args('ann', '#'))]);
    expect(ann.map((r) => r.data?.echo)).toEqual(['>a for ann', '>b for ann']);
    expect(bob.map((r) => r.data?.echo)).toEqual(['>a for bob', '>b for bob']);
    expect(annOther.map((r) => r.data?.echo)).toEqual(['#a for ann', '#b for ann']);
    expect(counter.executions).toBe(6);
  });

  it('answers a refused subscription with its errors, as graphql-js does', async () => {
    const { schema } = countingSchema(events);
    const subscribe = sharedSubscriptions(() => 'x');
    const result = (await subscribe({ schema, document: parse('subscription { nope }') })) as ExecutionResult;
    expect(result.errors?.length).toBe(1);
  });
});

describe('periodic checks', () => {
  /** Polls until `done` (timers may run late on a loaded machine). */
  async function until(done: () => boolean): Promise<void> {
    for (let waited = 0; !done() && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('runs one check per tick for every member of a key, and stops when the last leaves', async () => {
    const checks = new PeriodicChecks(20);
    let calls = 0;
    const check = async () => ++calls;
    const answers: unknown[][] = [[], [], []];
    const leaves = answers.map((into) => checks.join('session:1\u0000token', check, (outcome) => into.push(outcome)));
    const others: unknown[] = [];
    const leaveOther = checks.join('session:2\u0000token', check, (outcome) => others.push(outcome));
    expect(checks.size).toBe(2);
    await until(() => answers[0]!.length >= 3 && others.length >= 3);
    for (const leave of leaves) leave();
    leaveOther();
    expect(checks.size).toBe(0);
    // Every member of a group heard every answer of its group; each answer cost one check.
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(calls).toBeGreaterThanOrEqual(answers[0]!.length + others.length);
    expect(calls).toBeLessThanOrEqual(answers[0]!.length + others.length + 2); // a check in flight when its group was left
    const settled = calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(settled);
  });

  it('hands a failure to every member', async () => {
    const checks = new PeriodicChecks(10);
    const seen: unknown[] = [];
    const failure = new Error('gone');
    const leaveA = checks.join(
      'k',
      async () => Promise.reject(failure),
      (outcome) => seen.push(outcome),
    );
    const leaveB = checks.join(
      'k',
      async () => 1,
      (outcome) => seen.push(outcome),
    );
    await until(() => seen.length >= 2);
    leaveA();
    leaveB();
    expect(seen[0]).toEqual({ error: failure });
    expect(seen[1]).toEqual({ error: failure });
  });
});

describe('delivery receipts', () => {
  const key = { tenantId: '1', sessionId: '7', participantId: '3' };

  it('writes one receipt per message for all streams of a participant, only when it moves the watermark', async () => {
    const receipts = new DeliveryReceipts();
    const written: string[] = [];
    const mark = async (messageId: string) => {
      written.push(messageId);
    };
    const handles = [1, 2, 3].map(() => receipts.acquire(key, 10n, mark, () => {}));
    for (const handle of handles) handle.delivered('12');
    for (const handle of handles) handle.delivered('9');
    // Another connection of the participant moved it to 20 (a delivery event): 15 is no news.
    handles[0]!.observe({ type: 'delivery.updated', payload: { participantId: '3', lastDeliveredMessageId: '20' } } as unknown as PublishedEvent);
    for (const handle of handles) handle.delivered('15');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['12']);
    for (const handle of handles) handle.release();
    // Released by all: a new stream starts from what it read.
    const fresh = receipts.acquire(key, 0n, mark, () => {});
    fresh.delivered('5');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['12', '5']);
    fresh.release();
  });
});
