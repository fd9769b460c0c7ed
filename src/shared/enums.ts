/** Domain enums shared by entities, services and the GraphQL schema (registered in graphql/enums.ts). */

export enum UserRole {
  ADMIN = 'ADMIN',
  STAFF = 'STAFF',
  USER = 'USER',
  BOT = 'BOT',
}

export enum SessionKind {
  SUPPORT = 'SUPPORT',
  ROOM = 'ROOM',
}

export enum SessionStatus {
  ACTIVE = 'ACTIVE',
  /** Set aside by the desk until a time (snoozeSession): wakes ACTIVE when it passes or the customer writes. */
  SNOOZED = 'SNOOZED',
  CLOSED = 'CLOSED',
}

export enum Priority {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

/** What an agent says about taking new work; presence (a live connection) is tracked apart. */
export enum Availability {
  ONLINE = 'ONLINE',
  BUSY = 'BUSY',
  OFFLINE = 'OFFLINE',
}

export enum ParticipantRole {
  CUSTOMER = 'CUSTOMER',
  AGENT = 'AGENT',
  MEMBER = 'MEMBER',
  BOT = 'BOT',
}

/** What a workflow step did to a session (`session.updated`'s `action`). */
export enum SessionAction {
  ASSIGNED = 'ASSIGNED',
  TRANSFERRED = 'TRANSFERRED',
  UNASSIGNED = 'UNASSIGNED',
  CLOSED = 'CLOSED',
  REOPENED = 'REOPENED',
  /** snoozeSession (also when it moved the wake time of a snoozed session). */
  SNOOZED = 'SNOOZED',
  /** A snoozed session became ACTIVE again: its time came, the customer wrote, or staff woke it (unsnoozeSession). */
  WOKE = 'WOKE',
}

export enum SenderType {
  USER = 'USER',
  SUPPORT = 'SUPPORT',
  ASSISTANT = 'ASSISTANT',
  SYSTEM = 'SYSTEM',
}

/** SENDING and FAILED are client-side states; the server only ever reports these three. */
export enum DeliveryStatus {
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  READ = 'READ',
}

/** ISO weekday order (Monday first), as business hours name them. */
export enum Weekday {
  MONDAY = 'MONDAY',
  TUESDAY = 'TUESDAY',
  WEDNESDAY = 'WEDNESDAY',
  THURSDAY = 'THURSDAY',
  FRIDAY = 'FRIDAY',
  SATURDAY = 'SATURDAY',
  SUNDAY = 'SUNDAY',
}

/** The CSV reports an admin can export (exports/). */
export enum ReportKind {
  SESSIONS = 'SESSIONS',
  MESSAGES = 'MESSAGES',
  AGENTS = 'AGENTS',
  /** One row per SLA clock cycle decided or running in the range (sla/sla-report.ts). */
  SLA = 'SLA',
  /** The tenant's audit log entries made in the range (audit/audit-log.ts). */
  AUDIT = 'AUDIT',
}

/** Who made an audit entry (audit/audit-log.ts). */
export enum AuditActorType {
  USER = 'USER',
  API_KEY = 'API_KEY',
  SYSTEM = 'SYSTEM',
  ANONYMOUS = 'ANONYMOUS',
}
