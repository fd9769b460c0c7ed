import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { CannedResponse } from '../model/canned-response.entity.js';

@ObjectType('CannedResponse', { description: 'A reply support staff insert by short code' })
export class CannedResponseType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Unique in the tenant: 1 to 32 of a-z, 0-9, "_" and "-"' })
  shortCode!: string;

  @Field(() => String)
  content!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  static from(response: CannedResponse): CannedResponseType {
    return Object.assign(new CannedResponseType(), {
      id: response.id,
      shortCode: response.shortCode,
      content: response.content,
      createdAt: response.createdAt,
      updatedAt: response.updatedAt,
    });
  }
}

@ObjectType('CannedResponsePage')
export class CannedResponsePageType {
  @Field(() => [CannedResponseType])
  items!: CannedResponseType[];

  @Field(() => Int, { description: 'Matches of the whole query, over every page' })
  totalCount!: number;

  @Field(() => Boolean)
  hasMore!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page' })
  endCursor!: string | null;
}
