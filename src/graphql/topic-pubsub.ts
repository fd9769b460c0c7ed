import type { PubSub } from 'type-graphql';

/**
 * type-graphql refuses to build subscriptions without a `pubSub`, which only its topic-based
 * `@Subscription({ topics })` form uses. Every Parley subscription passes `subscribe` instead
 * (resume, access checks and receipts need more than a topic), so this one must never be reached.
 */
export const unusedTopicPubSub: PubSub = {
  publish() {
    throw new Error('Topic-based subscriptions are not used: publish through the EventBus');
  },
  subscribe() {
    throw new Error('Topic-based subscriptions are not used: subscribe through openSessionStream');
  },
};
