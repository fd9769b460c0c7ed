import { gql } from './helpers/client.js';
import { type Cluster, clusterAvailable, outboxOf, skipReason, startCluster, streamFixture } from './helpers/cluster.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { ResumingSubscriber } from './helpers/resuming-subscriber.js';

const available = clusterAvailable();
skipReason(available, 'ordering under load needs two nodes on PostgreSQL + Redis (DATABASE_URL and REDIS_URL)');

const SEND = 'mutation Send($sessionId: ID!, $content: String!) { sendMessage(sessionId: $sessionId, content: $content) { message { id } } }';
const SENDERS = 20;
const SUBSCRIBERS = 200;
const SESSIONS = 2;
const SECONDS = Number(process.env.ORDERING_TEST_SECONDS ?? 30);

describe('ordering under load, across two nodes', () => {
  (available ? it : it.skip)(
    `${SENDERS} senders at full speed, ${SUBSCRIBERS} subscribers resuming after random drops: every subscriber gets every event once, in sequence order`,
    async () => {
      const random = seededRandom(testSeed());
      const cluster: Cluster = await startCluster();
      const subscribers: ResumingSubscriber[] = [];
      try {
        const { owner, watcher, sessions } = await streamFixture(cluster, SESSIONS);

        for (let i = 0; i < SUBSCRIBERS; i++) {
          const subscriber = new ResumingSubscriber(sessions[i % SESSIONS]!, watcher.token);
          subscriber.connect(cluster.nodes[i % 2]!.url);
          subscribers.push(subscriber);
        }

        const deadline = Date.now() + SECONDS * 1000;
        let sent = 0;
        const failures: unknown[] = [];
        const sender = async (n: number) => {
          for (let k = 0; Date.now() < deadline; k++) {
            // Alternate nodes and sessions: each session's events are published by both nodes.
            const node = cluster.nodes[(n + k) % 2]!;
            const result = await gql(node.graphqlUrl, SEND, { sessionId: sessions[(n + k) % SESSIONS]!, content: `s${n}-${k}` }, owner.token);
            if (result.errors?.length) failures.push(result.errors);
            else sent += 1;
          }
        };
        const dropper = async () => {
          while (Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50 + random() * 250));
            const victim = subscribers[Math.floor(random() * subscribers.length)]!;
            await victim.reconnect(cluster.nodes[Math.floor(random() * 2)]!.url);
          }
        };
        await Promise.all([...Array.from({ length: SENDERS }, (_, n) => sender(n)), dropper()]);
        expect(failures).toEqual([]);
        expect(sent).toBeGreaterThan(SENDERS);
        process.stdout.write(`ordering: ${sent} messages sent, ${SUBSCRIBERS} subscribers\n`);

        const outbox = new Map<string, string[]>();
        for (const sessionId of sessions) outbox.set(sessionId, (await outboxOf(cluster, sessionId)).ids);
        await Promise.all(subscribers.map((s, i) => s.until(outbox.get(sessions[i % SESSIONS]!)!.at(-1)!, 60_000)));
        for (const [i, subscriber] of subscribers.entries()) {
          expect(subscriber.errors).toEqual([]);
          // Exactly the outbox, in its order: nothing missing, nothing twice, nothing swapped.
          expect(subscriber.received).toEqual(outbox.get(sessions[i % SESSIONS]!));
        }
      } finally {
        await Promise.all(subscribers.map((s) => s.close()));
        await cluster.dispose();
      }
    },
    (SECONDS + 150) * 1000,
  );
});
