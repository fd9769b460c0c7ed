import { Field, ObjectType } from 'type-graphql';
import type { MessageHit, SearchConnection, SessionHit } from '../search/search.service.js';
import type { Viewer } from '../shared/viewer.js';
import { MessageType, PageInfoType } from './message.types.js';
import { SessionType } from './session.types.js';

@ObjectType('MessageSearchEdge')
export class MessageSearchEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => MessageType)
  node!: MessageType;

  @Field(() => String, {
    description: 'A short excerpt around the matches, HTML-escaped, each match wrapped in <mark>…</mark>: safe to insert as HTML',
  })
  highlight!: string;
}

@ObjectType('MessageSearchConnection')
export class MessageSearchConnectionType {
  @Field(() => [MessageSearchEdgeType])
  edges!: MessageSearchEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  static from(result: SearchConnection<MessageHit>): MessageSearchConnectionType {
    return { ...result, edges: result.edges.map((edge) => ({ cursor: edge.cursor, highlight: edge.highlight, node: MessageType.from(edge.node) })) };
  }
}

@ObjectType('SessionSearchEdge')
export class SessionSearchEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => SessionType)
  node!: SessionType;
}

@ObjectType('SessionSearchConnection')
export class SessionSearchConnectionType {
  @Field(() => [SessionSearchEdgeType])
  edges!: SessionSearchEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  static from(result: SearchConnection<SessionHit>, viewer: Viewer): SessionSearchConnectionType {
    return { ...result, edges: result.edges.map((edge) => ({ cursor: edge.cursor, node: SessionType.from(edge.node, viewer) })) };
  }
}
