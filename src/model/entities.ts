import { ApiKey } from './api-key.entity.js';
import { Attachment } from './attachment.entity.js';
import { BusinessHours } from './business-hours.entity.js';
import { CannedResponse } from './canned-response.entity.js';
import { ChatMessage } from './message.entity.js';
import { Participant } from './participant.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { ChatSession } from './session.entity.js';
import { SessionEvent } from './session-event.entity.js';
import { SessionRating } from './session-rating.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';
import { WebhookAttempt } from './webhook-attempt.entity.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookEndpoint } from './webhook-endpoint.entity.js';

/** Explicit list: folder discovery breaks under jest and in compiled output alike. */
export const entities = [
  Tenant,
  User,
  ChatSession,
  Participant,
  ChatMessage,
  SessionEvent,
  Attachment,
  WebhookEndpoint,
  WebhookDelivery,
  WebhookAttempt,
  ApiKey,
  RefreshToken,
  CannedResponse,
  SessionRating,
  BusinessHours,
];
