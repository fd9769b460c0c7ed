import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { InboxAssignee, InboxOrder, type InboxPage, type InboxRow, type InboxTabs } from '../sessions/inbox.service.js';
import { mapNodes } from '../shared/connection.js';
import type { Viewer } from '../shared/viewer.js';
import { Priority, SessionStatus } from './enums.js';
import { MessageType, PageInfoType } from './message.types.js';
import { SessionType } from './session.types.js';

registerEnumType(InboxAssignee, {
  name: 'InboxAssignee',
  description:
    "ME: the viewer's sessions; UNASSIGNED: the queue (admins; staff see only their own sessions); ANY: everything the viewer may see. Without a `status` filter, ME and UNASSIGNED leave snoozed sessions out (they have their own tab: `status: SNOOZED`)",
});

registerEnumType(InboxOrder, {
  name: 'InboxOrder',
  description:
    'LAST_ACTIVITY: newest activity first (the default); SLA_DUE: the nearest due time of a running SLA clock first (overdue ones first of all), sessions without a running clock last, ties by id',
});

@InputType('InboxFilter')
export class InboxFilterInput {
  @Field(() => SessionStatus, { nullable: true })
  status?: SessionStatus | null;

  @Field(() => InboxAssignee, { nullable: true, description: 'ANY when absent' })
  assignee?: InboxAssignee | null;

  @Field(() => ID, { nullable: true, description: "One agent's sessions (instead of assignee)" })
  agentId?: string | null;

  @Field(() => Priority, { nullable: true })
  priority?: Priority | null;

  @Field(() => String, { nullable: true })
  tag?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'True: the customer spoke last and no support reply followed (false: the opposite)' })
  waitingForReply?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'True: sessions with at least one recorded SLA breach (any metric, met late or still overdue: what Session.sla.breaches lists); false: sessions with none',
  })
  slaBreached?: boolean | null;
}

@ObjectType('InboxTabs', { description: "Session counts per tab under the filter's other conditions (its assignee is what the tabs choose)" })
export class InboxTabsType {
  @Field(() => Int, { description: 'Assigned to the viewer' })
  mine!: number;

  @Field(() => Int, { description: 'Not assigned (always 0 for staff, who see only their own sessions)' })
  unassigned!: number;

  @Field(() => Int, { description: 'Everything the viewer may see, snoozed sessions included' })
  all!: number;

  @Field(() => Int, { description: 'Snoozed sessions, whoever holds them (list them with `status: SNOOZED`); without a status filter they are not in mine or unassigned' })
  snoozed!: number;

  static from(tabs: InboxTabs): InboxTabsType {
    return Object.assign(new InboxTabsType(), tabs);
  }
}

@ObjectType('InboxRow')
export class InboxRowType {
  @Field(() => SessionType)
  session!: SessionType;

  @Field(() => Int, { description: "The viewer's unread messages in the session (Session.unreadCount)" })
  unreadCount!: number;

  @Field(() => MessageType, { nullable: true, description: 'The newest message; a private note is marked `private` (the inbox is staff-only)' })
  lastMessage!: MessageType | null;

  @Field(() => Date, { description: 'The newest message or lifecycle change: the inbox order' })
  lastActivityAt!: Date;

  @Field(() => Date, { nullable: true, description: 'The nearest due time of the running SLA clocks (past when overdue): the SLA_DUE order; null when none runs' })
  slaDueAt!: Date | null;

  @Field(() => Boolean, { description: 'Whether an SLA breach is recorded on the session (as InboxFilter.slaBreached tests)' })
  slaBreached!: boolean;

  static from(row: InboxRow, viewer: Viewer): InboxRowType {
    return Object.assign(new InboxRowType(), {
      session: SessionType.from(row.session, viewer),
      unreadCount: row.unreadCount,
      lastMessage: row.lastMessage ? MessageType.from(row.lastMessage) : null,
      lastActivityAt: row.lastActivityAt,
      slaDueAt: row.slaDueAt,
      slaBreached: row.slaBreached,
    });
  }
}

@ObjectType('InboxEdge')
export class InboxEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => InboxRowType)
  node!: InboxRowType;
}

/** Which page of the inbox: the same for inboxConnection and inbox. */
@ArgsType()
export class InboxArgsType {
  @Field(() => InboxFilterInput, { nullable: true })
  filter?: InboxFilterInput | null;

  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => InboxOrder, { nullable: true, description: 'LAST_ACTIVITY when absent; a cursor continues only the order it came from' })
  order?: InboxOrder | null;
}

@ObjectType('InboxPage', { description: 'Support sessions by last activity, newest first' })
export class InboxPageType {
  @Field(() => [InboxEdgeType])
  edges!: InboxEdgeType[];

  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page' })
  endCursor!: string | null;

  /** Counted when selected (tabs field resolver). */
  tabs!: () => Promise<InboxTabs>;

  static from(page: InboxPage, viewer: Viewer): InboxPageType {
    const { edges } = InboxConnectionType.from(page, viewer);
    return Object.assign(new InboxPageType(), { edges, hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor, tabs: page.tabs });
  }
}

@ObjectType('InboxConnection', { description: 'Support sessions by last activity, newest first (a Relay connection)' })
export class InboxConnectionType {
  @Field(() => [InboxEdgeType])
  edges!: InboxEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  /** Counted when selected (tabs field resolver). */
  tabs!: () => Promise<InboxTabs>;

  static from(page: InboxPage, viewer: Viewer): InboxConnectionType {
    return Object.assign(
      new InboxConnectionType(),
      mapNodes(page, (row) => InboxRowType.from(row, viewer)),
    );
  }
}

@ObjectType('UnreadSummary')
export class UnreadSummaryType {
  @Field(() => Int, { description: 'Unread messages across the sessions the viewer takes part in and may read' })
  total!: number;

  @Field(() => Int, { description: 'How many of those sessions have unread messages' })
  sessions!: number;
}
