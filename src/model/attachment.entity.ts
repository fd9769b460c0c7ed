import { randomUUID } from 'node:crypto';
import { BigIntType, type Opt, type Rel } from '@mikro-orm/core';
import { Entity, Filter, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { MAX_FILE_NAME_LENGTH } from '../shared/limits.js';
import { tenantFilter } from '../shared/tenant-filter.js';
import { ChatMessage } from './message.entity.js';
import { Tenant } from './tenant.entity.js';

/** What the metadata parsers found: pixel size for images, seconds for audio and video. */
export interface AttachmentMetadata {
  width?: number;
  height?: number;
  duration?: number;
}

/**
 * A file sent with a message. The bytes live in the attachment storage under `storageKey`, a
 * server-generated name; `name` is the client's file name, checked and cleaned, and is only
 * ever used in Content-Disposition. `contentType` is what the bytes are, not what the client said.
 */
@Entity({ tableName: 'attachments' })
@Filter(tenantFilter)
export class Attachment {
  /** A UUID: the public id in download URLs, not guessable from its neighbours. */
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = randomUUID();

  @ManyToOne({ entity: () => Tenant, deleteRule: 'cascade', index: false })
  tenant!: Rel<Tenant>;

  @ManyToOne({ entity: () => ChatMessage, deleteRule: 'cascade' })
  message!: Rel<ChatMessage>;

  /** Position within the message, so attachments come back in the order they were sent. */
  @Property({ type: 'smallint' })
  position!: number;

  @Property({ type: 'string', length: 255, unique: true })
  storageKey!: string;

  @Property({ type: 'string', length: MAX_FILE_NAME_LENGTH })
  name!: string;

  @Property({ type: 'string', length: 255 })
  contentType!: string;

  @Property({ type: new BigIntType('number') })
  size!: number;

  /** Hex SHA-256 of the bytes; the download ETag. */
  @Property({ type: 'string', length: 64 })
  sha256!: string;

  @Property({ type: 'json' })
  metadata: AttachmentMetadata & Opt = {};

  @Property({ type: 'datetime' })
  createdAt: Date & Opt = new Date();
}
