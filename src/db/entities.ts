import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';
import { ChatSession } from '../sessions/session.entity.js';
import { Participant } from '../sessions/participant.entity.js';
import { ChatMessage } from '../messages/message.entity.js';
import { SessionEvent } from '../events/session-event.entity.js';
import { Attachment } from '../attachments/attachment.entity.js';

/** Explicit list: folder discovery breaks under jest and in compiled output alike. */
export const entities = [Tenant, User, ChatSession, Participant, ChatMessage, SessionEvent, Attachment];
