import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { AgentView } from '../assignment/assignment.service.js';
import { Availability } from './enums.js';

@ObjectType('Agent', { description: 'A staff member as auto-assignment sees them' })
export class AgentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => Availability, { description: 'What the agent said (setAvailability)' })
  availability!: Availability;

  @Field(() => Boolean, { description: 'Whether the agent has a live WebSocket connection on any node' })
  online!: boolean;

  @Field(() => Int, { description: 'Open (ACTIVE or SNOOZED) support sessions assigned to the agent: what counts toward capacity' })
  activeSessions!: number;

  @Field(() => Int, { description: 'Most active sessions auto-assignment gives the agent' })
  capacity!: number;

  static from(view: AgentView): AgentType {
    return Object.assign(new AgentType(), view);
  }
}
