import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AuthResolver } from '../auth/auth.resolver.js';
import { MessageResolver } from '../messages/message.resolver.js';
import { RateLimitMiddleware } from '../ratelimit/rate-limit.middleware.js';
import { RealtimeResolver } from '../realtime/realtime.resolver.js';
import { unusedTopicPubSub } from '../realtime/topic-pubsub.js';
import { RoomResolver } from '../rooms/room.resolver.js';
import { SessionResolver } from '../sessions/session.resolver.js';
import { StatsResolver } from '../stats/stats.resolver.js';
import { WidgetResolver } from '../widget/widget.resolver.js';
import './enums.js';

/** Services validate every argument themselves, so type-graphql's class-validator pass is off. */
export function buildParleySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AuthResolver, SessionResolver, MessageResolver, StatsResolver, RoomResolver, WidgetResolver, RealtimeResolver],
    pubSub: unusedTopicPubSub,
    validate: false,
    globalMiddlewares: [RateLimitMiddleware],
    emitSchemaFile: false,
  });
}

/** The committed `schema.graphql`: sorted so that reordering code does not churn the file. */
export function printParleySchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
