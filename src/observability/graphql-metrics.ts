import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Metrics } from './metrics.js';

/**
 * The `operation` label: the root field an operation selects (`sendMessage`, `messages`). The
 * client-chosen operation name would let any caller mint new time series; root fields come from
 * the schema (validation has passed by then), so the label set is bounded. Several root fields
 * in one document share the label `multiple`.
 */
export function operationLabel(operation: OperationDefinitionNode | undefined): string {
  if (!operation) return 'invalid';
  const fields = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
    else fields.add('fragment');
  }
  if (fields.size === 1) return [...fields][0]!;
  return fields.size === 0 ? 'empty' : 'multiple';
}

/**
 * Apollo plugin: GraphQL-over-HTTP operation latency by root field and operation type.
 * Requests that fail before an operation is resolved (parse or validation errors) are
 * labelled `invalid`, type `unknown`.
 */
export function graphqlMetricsPlugin<TContext extends object>(metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse(requestContext: GraphQLRequestContext<TContext>) {
          const operation = requestContext.operation;
          stop({ operation: operationLabel(operation), type: operation?.operation ?? 'unknown' });
        },
      };
    },
  };
}
