import { Migration20261121144730_initial } from './Migration20261121144730_initial.js';
import { Migration20261122130500_attachments } from './Migration20261122130500_attachments.js';

/** Every committed migration, in order. `npm run migration:create -- name` writes new ones beside this file. */
export const migrations = [
  { name: 'Migration20261121144730_initial', class: Migration20261121144730_initial },
  { name: 'Migration20261122130500_attachments', class: Migration20261122130500_attachments },
];
