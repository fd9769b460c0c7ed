import { GraphQLDate } from 'graphql-scalars';
import { Arg, Field, InputType, Int, ObjectType } from 'type-graphql';
import type { BusinessHoursView } from '../hours/business-hours.service.js';
import { isOpenAt } from '../hours/schedule.js';
import { Weekday } from '../shared/enums.js';

const OPENING_TIME = "Wall-clock time HH:MM (24-hour) in the schedule's time zone";

@InputType('OpeningInput', { description: 'One opening on a weekday. `closes` at or before `opens` runs past midnight into the next day; "24:00" closes at midnight' })
export class OpeningInput {
  @Field(() => Weekday)
  day!: Weekday;

  @Field(() => String, { description: OPENING_TIME })
  opens!: string;

  @Field(() => String, { description: `${OPENING_TIME}, or "24:00"` })
  closes!: string;
}

@ObjectType('Opening', { description: 'One opening of the weekly schedule' })
export class OpeningType {
  @Field(() => Weekday)
  day!: Weekday;

  @Field(() => String)
  opens!: string;

  @Field(() => String)
  closes!: string;
}

@ObjectType('AutoReply', { description: 'The out-of-hours auto-reply: sent once per closed period per session to a customer who writes while the team is closed' })
export class AutoReplyType {
  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'The text of the reply (at most 2000 characters)' })
  outOfHours!: string | null;
}

@ObjectType('AutoClose', { description: 'Auto-close: a support session whose customer stays silent this long after a support reply is closed, with an automatic message' })
export class AutoCloseType {
  @Field(() => Int, { nullable: true, description: 'Seconds of customer silence after a support reply (60 to 7776000); null: off' })
  inactiveSeconds!: number | null;

  @Field(() => String, { description: 'The automatic message posted before the close' })
  message!: string;
}

@ObjectType('BusinessHours', { description: "A tenant's opening hours: a weekly schedule in one IANA time zone, daylight-saving changes included, minus holidays" })
export class BusinessHoursType {
  @Field(() => String, { description: 'IANA time zone name, e.g. Europe/Berlin' })
  timeZone!: string;

  @Field(() => [OpeningType], { description: 'By weekday, then opening time. Several openings a day (split shifts) are allowed; they never overlap' })
  weekly!: OpeningType[];

  @Field(() => [GraphQLDate], { description: 'Local dates on which no opening starts' })
  holidays!: Date[];

  @Field(() => Boolean, { description: 'Open at the time of the request' })
  openNow!: boolean;

  @Field(() => Date, { nullable: true, description: 'When closed: the start of the next opening (null if it never opens). Null while open' })
  nextOpenAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'While open: when this opening ends (touching openings count as one; null when no close comes within eight days). Null while closed' })
  closesAt!: Date | null;

  @Field(() => Date)
  updatedAt!: Date;

  private view!: BusinessHoursView;

  @Field(() => Boolean, { description: 'Whether the schedule is open at the given instant (past or future)' })
  isOpenAt(@Arg('at', () => Date) at: Date): boolean {
    return isOpenAt(this.view.schedule, at.getTime());
  }

  static from(view: BusinessHoursView): BusinessHoursType {
    return Object.assign(new BusinessHoursType(), {
      timeZone: view.schedule.timeZone,
      weekly: view.schedule.openings.map((opening) => Object.assign(new OpeningType(), opening)),
      holidays: view.schedule.holidays.map((date) => new Date(`${date}T00:00:00Z`)),
      openNow: view.openNow,
      nextOpenAt: view.nextOpenAt,
      closesAt: view.closesAt,
      updatedAt: view.updatedAt,
      view,
    });
  }
}
