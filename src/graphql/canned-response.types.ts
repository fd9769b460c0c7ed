import { ArgsType, Field, ID, Int, ObjectType } from 'type-graphql';
import type { CannedResponsePage } from '../canned/canned-response.service.js';
import type { CannedResponse } from '../model/canned-response.entity.js';
import { mapNodes } from '../shared/connection.js';
import { PageInfoType } from './message.types.js';

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

/** What to list: the same for cannedResponsesConnection and cannedResponses. */
@ArgsType()
export class CannedResponseArgsType {
  @Field(() => String, { nullable: true, description: 'A leading "/" is ignored' })
  shortCodePrefix?: string | null;

  @Field(() => String, { nullable: true, description: 'Words the content must contain' })
  query?: string | null;

  @Field(() => Int, { nullable: true, description: '1 to 100; default 20' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
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

  static from(page: CannedResponsePage): CannedResponsePageType {
    return {
      items: page.edges.map((edge) => CannedResponseType.from(edge.node)),
      totalCount: page.totalCount,
      hasMore: page.pageInfo.hasNextPage,
      endCursor: page.pageInfo.endCursor,
    };
  }
}

@ObjectType('CannedResponseEdge')
export class CannedResponseEdgeType {
  @Field(() => String, { description: 'Pass as `after` for the responses that follow this one' })
  cursor!: string;

  @Field(() => CannedResponseType)
  node!: CannedResponseType;
}

@ObjectType('CannedResponseConnection', { description: 'Canned responses by short code (a Relay connection)' })
export class CannedResponseConnectionType {
  @Field(() => [CannedResponseEdgeType])
  edges!: CannedResponseEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'Matches of the whole query, over every page' })
  totalCount!: number;

  static from(page: CannedResponsePage): CannedResponseConnectionType {
    return mapNodes(page, (node) => CannedResponseType.from(node));
  }
}
