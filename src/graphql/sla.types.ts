import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { SLA_METRICS, type SlaMetric } from '../model/event-contract.js';
import type { SessionSlaView } from '../sla/sla.service.js';
import type { SlaPolicyRecord } from '../sla/sla-state.js';
import { Priority } from './enums.js';

export const SlaMetricEnum = Object.fromEntries(SLA_METRICS.map((metric) => [metric, metric])) as { [K in SlaMetric]: K };
registerEnumType(SlaMetricEnum, {
  name: 'SlaMetric',
  description: 'FIRST_RESPONSE: start to first support reply; NEXT_RESPONSE: a customer wait to the reply ending it; RESOLUTION: start to close, paused while waiting on the customer',
});

@ObjectType('SlaPolicy', { description: 'Response and resolution targets for the sessions of one priority (priority null: the default for priorities without a policy)' })
export class SlaPolicyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Priority, { nullable: true, description: "Null: the tenant's default policy" })
  priority!: Priority | null;

  @Field(() => Int, { nullable: true, description: 'Null: no target' })
  firstResponseSeconds!: number | null;

  @Field(() => Int, { nullable: true, description: 'Null: no target' })
  nextResponseSeconds!: number | null;

  @Field(() => Int, { nullable: true, description: 'Null: no target' })
  resolutionSeconds!: number | null;

  @Field(() => Boolean, { description: "Clocks count only the tenant's business hours" })
  businessHoursOnly!: boolean;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  static from(policy: SlaPolicyRecord): SlaPolicyType {
    return Object.assign(new SlaPolicyType(), policy);
  }
}

@ObjectType('SlaBreach')
export class SlaBreachType {
  @Field(() => SlaMetricEnum)
  metric!: SlaMetric;

  @Field(() => Date, { description: 'The due time that passed' })
  at!: Date;
}

@ObjectType('SessionSla', { description: "A session's SLA clocks (staff, admins and bots only). A due time is null when its clock has no target, was met, or is paused" })
export class SessionSlaType {
  @Field(() => SlaPolicyType)
  policy!: SlaPolicyType;

  @Field(() => Date, { nullable: true })
  firstResponseDueAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The current wait, when the customer waits for a next reply' })
  nextResponseDueAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Null while waiting on the customer (paused) and once closed in time' })
  resolutionDueAt!: Date | null;

  @Field(() => [SlaBreachType])
  breaches!: SlaBreachType[];

  static from(view: SessionSlaView): SessionSlaType {
    return Object.assign(new SessionSlaType(), {
      ...view,
      policy: SlaPolicyType.from(view.policy),
      breaches: view.breaches.map((breach) => Object.assign(new SlaBreachType(), breach)),
    });
  }
}

@ObjectType('SlaAlert', { description: 'What an SLA_WARNING (80% of the target) or SLA_BREACHED event is about' })
export class SlaAlertType {
  @Field(() => SlaMetricEnum)
  metric!: SlaMetric;

  @Field(() => Date, { description: 'When the threshold was reached' })
  at!: Date;

  @Field(() => Date)
  dueAt!: Date;

  @Field(() => ID)
  policyId!: string;
}
