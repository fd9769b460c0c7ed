export { possibleTypes, typePolicies } from './apollo.js';
export {
  createParleyClient,
  type InboxEvent,
  type Message,
  type ParleyClient,
  type ParleyClientOptions,
  type SendOptions,
  type SessionEvent,
  type WatchInboxHandlers,
  type WatchSessionHandlers,
} from './client.js';
export { ParleyError, type ParleyGraphQLError, ParleyNetworkError } from './errors.js';
export * as documents from './generated/graphql.js';
export type { Operation } from './http.js';
export type { Credentials, GetToken } from './tokens.js';
