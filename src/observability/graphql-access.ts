import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { traceContext } from './logger.js';

/** At most this many root fields or error codes are named on one access line. */
const MAX_NAMED = 20;

const add = (list: string[], value: string) => {
  if (list.length < MAX_NAMED && !list.includes(value)) list.push(value);
};

/**
 * Apollo plugin: records each operation's root fields (schema names, never the client's alias or
 * operation name) and the `extensions.code` of every error it answered on the request's trace, so
 * the access line says `sendMessage` / `FORBIDDEN` instead of only `POST /graphql 200`. REST
 * routes run their operations inside the request too, so their lines name them as well.
 */
export function graphqlAccessPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  const access = () => {
    const trace = traceContext.getStore();
    return trace ? (trace.graphql ??= { fields: [] }) : null;
  };
  const addError = (code: unknown) => {
    const target = access();
    if (target) add((target.errors ??= []), typeof code === 'string' ? code : 'UNKNOWN');
  };
  return {
    // A bad bearer token fails before any operation is read (answered 401 as a whole).
    async contextCreationDidFail({ error }) {
      addError((error as { extensions?: { code?: unknown } }).extensions?.code);
    },
    async requestDidStart() {
      return {
        async willSendResponse({ operation, response }) {
          const target = access();
          if (!target) return;
          for (const selection of operation?.selectionSet.selections ?? []) {
            if (selection.kind === Kind.FIELD) add(target.fields, selection.name.value);
          }
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          for (const error of errors ?? []) addError(error.extensions?.code);
        },
      };
    },
  };
}
