export {
  createParleyClient,
  type ParleyClient,
  type ParleyClientOptions,
  type Message,
  type SessionEvent,
  type InboxEvent,
  type WatchSessionHandlers,
  type WatchInboxHandlers,
  type SendOptions,
} from './client.js';
export { ParleyError, ParleyNetworkError, type ParleyGraphQLError } from './errors.js';
export type { Credentials, GetToken } from './tokens.js';
export type { Operation } from './http.js';
export { possibleTypes, typePolicies } from './apollo.js';
export * as documents from './generated/graphql.js';
