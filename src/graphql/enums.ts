import { registerEnumType } from 'type-graphql';
import { SearchOrder } from '../search/search-cursor.js';
import { AuditActorType, Availability, DeliveryStatus, ParticipantRole, Priority, ReportKind, SenderType, SessionAction, SessionKind, SessionStatus, UserRole, Weekday } from '../shared/enums.js';

registerEnumType(UserRole, { name: 'UserRole' });
registerEnumType(SessionKind, { name: 'SessionKind' });
registerEnumType(SessionStatus, { name: 'SessionStatus', description: 'ACTIVE: open; SNOOZED: open, set aside until `snoozedUntil` or the customer writes; CLOSED: ended' });
registerEnumType(Priority, { name: 'Priority' });
registerEnumType(ParticipantRole, { name: 'ParticipantRole' });
registerEnumType(SenderType, { name: 'SenderType', description: 'Who wrote a message: the customer side, support staff, a bot, or the system' });
registerEnumType(DeliveryStatus, { name: 'DeliveryStatus', description: "Derived from the other side's delivered and read watermarks" });
registerEnumType(Availability, { name: 'Availability', description: 'ONLINE: takes new sessions (while connected); BUSY and OFFLINE: takes none' });
registerEnumType(SearchOrder, { name: 'SearchOrder', description: 'RANK: best match first (ties newest first); NEWEST: newest first' });

registerEnumType(Weekday, { name: 'Weekday' });
registerEnumType(SessionAction, { name: 'SessionAction', description: 'What a workflow step did to a session: assigned, transferred, unassigned, closed, reopened, snoozed, or woke from a snooze' });

registerEnumType(ReportKind, {
  name: 'ReportKind',
  description:
    'SESSIONS: support sessions started in the range; MESSAGES: their messages created in it; AGENTS: per-agent numbers as `stats` gives them; SLA: one row per SLA clock cycle decided in the range, or started in it and still running; AUDIT: audit log entries made in the range',
});

registerEnumType(AuditActorType, {
  name: 'AuditActorType',
  description: 'USER: a signed-in user; API_KEY: an API key (actorId is the key); SYSTEM: the admin CLI; ANONYMOUS: nobody signed in (a failed sign-in)',
});

export { AuditActorType, Availability, DeliveryStatus, ParticipantRole, Priority, ReportKind, SearchOrder, SenderType, SessionAction, SessionKind, SessionStatus, UserRole };
