import type { Logger } from 'pino';
import type { AttachmentStorage } from '../../attachments/storage.js';
import type { UploadConfig } from '../../config/config.js';
import type { OperationRunner } from './operation-runner.js';
import type { LinkConfig } from './public-url.js';

/** What every dialect router is built from. */
export interface RestDeps {
  runner: OperationRunner;
  logger: Logger;
  /** Attachment limits, for the chat API's multipart send. */
  uploads: UploadConfig;
  /** Where the chat API's form send stages files while the body arrives (attachments/intake.ts). */
  storage: AttachmentStorage;
  /** PUBLIC_URL and ALLOWED_HOSTS, for absolute links (the rooms dialect's next/previous). */
  links: LinkConfig;
}
