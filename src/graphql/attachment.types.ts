import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { attachmentDto } from '../attachments/attachment.dto.js';
import type { AttachmentRecord } from '../sessions/message-record.js';

@ObjectType('AttachmentMetadata')
export class AttachmentMetadataType {
  @Field(() => Int, { nullable: true, description: 'Images: width in pixels, as displayed' })
  width!: number | null;

  @Field(() => Int, { nullable: true, description: 'Images: height in pixels, as displayed' })
  height!: number | null;

  @Field(() => Float, { nullable: true, description: 'Audio and video: length in seconds' })
  duration!: number | null;
}

@ObjectType('Attachment')
export class AttachmentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Download path (GET with the same bearer token): /api/chat/attachments/{id}' })
  url!: string;

  @Field(() => String, { description: 'Content type sniffed from the bytes, not the one the client sent' })
  type!: string;

  @Field(() => String, { description: "The sender's file name, cleaned" })
  name!: string;

  @Field(() => Int, { description: 'Size in bytes' })
  size!: number;

  @Field(() => AttachmentMetadataType)
  metadata!: AttachmentMetadataType;

  static from(attachment: AttachmentRecord): AttachmentType {
    return Object.assign(new AttachmentType(), attachmentDto(attachment));
  }
}
