import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ApiKeyResolver } from './api-key.resolver.js';
import { AssignmentResolver, SessionQueueResolver } from './assignment.resolver.js';
import { AuditResolver } from './audit.resolver.js';
import { AuthResolver } from './auth.resolver.js';
import { BusinessHoursResolver } from './business-hours.resolver.js';
import { CannedResponseResolver } from './canned-response.resolver.js';
import { ExportResolver } from './export.resolver.js';
import { InboxPageTabsResolver, InboxResolver, SessionUnreadResolver, UserUnreadResolver } from './inbox.resolver.js';
import { MessageConnectionPositionResolver, MessagePagePositionResolver, MessageResolver } from './message.resolver.js';
import { RateLimitMiddleware } from './rate-limit.middleware.js';
import { RatingResolver } from './rating.resolver.js';
import { RealtimeResolver } from './realtime.resolver.js';
import { RoomResolver } from './room.resolver.js';
import { SearchResolver } from './search.resolver.js';
import { SessionResolver } from './session.resolver.js';
import { SlaResolver } from './sla.resolver.js';
import { StatsResolver } from './stats.resolver.js';
import { unusedTopicPubSub } from './topic-pubsub.js';
import { TwoFactorResolver } from './two-factor.resolver.js';
import { WebhookResolver } from './webhook.resolver.js';
import { WidgetResolver } from './widget.resolver.js';
import './enums.js';

/** Services validate every argument themselves, so type-graphql's class-validator pass is off. */
export function buildParleySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      AuthResolver,
      SessionResolver,
      MessageResolver,
      MessageConnectionPositionResolver,
      MessagePagePositionResolver,
      StatsResolver,
      RoomResolver,
      WidgetResolver,
      RealtimeResolver,
      SearchResolver,
      WebhookResolver,
      ApiKeyResolver,
      CannedResponseResolver,
      BusinessHoursResolver,
      SlaResolver,
      RatingResolver,
      InboxResolver,
      InboxPageTabsResolver,
      SessionUnreadResolver,
      UserUnreadResolver,
      AssignmentResolver,
      SessionQueueResolver,
      ExportResolver,
      TwoFactorResolver,
      AuditResolver,
    ],
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
