import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';

/**
 * Subscription execution shared by every subscriber of a node (DESIGN §6): each event is executed
 * once per distinct (document, operation, variables, viewer class), and every subscription with
 * that key receives the same result object. What stays per subscription is its own stream
 * (ordering, access) and the frame write.
 *
 * An event is recognised by its root value's identity: the streams of realtime/session-stream.ts
 * yield one item object per published event for all their subscribers, and items that carry
 * per-subscriber state (inbox rows) are objects of their own, which therefore share nothing.
 * Results live in a WeakMap keyed by that object, so they go when the event does.
 */

/** What a viewer class is: equal for two contexts only when executing for either gives the same result. */
export type ViewerClassOf = (contextValue: unknown) => string;

type Results = Map<string, Promise<ExecutionResult>>;

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function sharedSubscriptions(viewerClassOf: ViewerClassOf) {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const byRoot = new WeakMap<object, Results>();

  /** The part of the key fixed for a subscription's whole life, computed once when it starts. */
  const keyOf = (args: ExecutionArgs): string => {
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) {
      documentId = ++nextDocumentId;
      documentIds.set(args.document, documentId);
    }
    return JSON.stringify([documentId, args.operationName ?? null, args.variableValues ?? null, viewerClassOf(args.contextValue)]);
  };

  const executeShared = (args: ExecutionArgs, key: string, payload: unknown): Promise<ExecutionResult> => {
    const run = async () => execute({ ...args, rootValue: payload });
    if (typeof payload !== 'object' || payload === null) return run();
    let results = byRoot.get(payload);
    if (!results) {
      results = new Map();
      byRoot.set(payload, results);
    }
    let result = results.get(key);
    if (!result) {
      result = run();
      results.set(key, result);
    }
    return result;
  };

  /** graphql-ws's `subscribe` hook: graphql-js `subscribe`, with the per-event execution shared. */
  return async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    const key = keyOf(args);
    const iterator = source[Symbol.asyncIterator]();
    const closeQuietly = async () => {
      try {
        await iterator.return?.();
      } catch {
        // Keep the original error when closing the source also fails.
      }
    };
    // As graphql-js's mapAsyncIterator: a failed execution closes the source, then throws.
    const map = async (step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => {
      if (step.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await executeShared(args, key, step.value) };
      } catch (error) {
        await closeQuietly();
        throw error;
      }
    };
    const mapped: AsyncGenerator<ExecutionResult> = {
      next: async () => map(await iterator.next()),
      return: async () => (iterator.return ? map(await iterator.return()) : { done: true, value: undefined }),
      throw: async (error: unknown) => {
        if (iterator.throw) return map(await iterator.throw(error));
        await closeQuietly();
        throw error;
      },
      [Symbol.asyncIterator]: () => mapped,
      [Symbol.asyncDispose]: async () => {
        await mapped.return(undefined);
      },
    };
    return mapped;
  };
}
