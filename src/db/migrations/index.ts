import { Migration20261121144730_initial } from './Migration20261121144730_initial.js';
import { Migration20261122130000_token_version } from './Migration20261122130000_token_version.js';
import { Migration20261122130500_attachments } from './Migration20261122130500_attachments.js';
import { Migration20261122131500_room_membership } from './Migration20261122131500_room_membership.js';
import { Migration20261129200000_event_sequences } from './Migration20261129200000_event_sequences.js';
import { Migration20261129220000_search } from './Migration20261129220000_search.js';
import { Migration20261129233000_history_cut } from './Migration20261129233000_history_cut.js';
import { Migration20261129234500_message_version } from './Migration20261129234500_message_version.js';
import { Migration20261130000000_webhooks_api_keys } from './Migration20261130000000_webhooks_api_keys.js';
import { Migration20261130001000_refresh_tokens } from './Migration20261130001000_refresh_tokens.js';
import { Migration20261130002000_private_notes } from './Migration20261130002000_private_notes.js';
import { Migration20261130010000_unread_inbox } from './Migration20261130010000_unread_inbox.js';
import { Migration20261130011000_canned_responses } from './Migration20261130011000_canned_responses.js';
import { Migration20261130013000_csat } from './Migration20261130013000_csat.js';
import { Migration20261130012000_availability } from './Migration20261130012000_availability.js';
import { Migration20261207180000_reactions_timers } from './Migration20261207180000_reactions_timers.js';
import { Migration20261207190000_marks_on_notes } from './Migration20261207190000_marks_on_notes.js';
import { Migration20261207200000_length_limits } from './Migration20261207200000_length_limits.js';
import { Migration20261208100000_business_hours } from './Migration20261208100000_business_hours.js';
import { Migration20261208110000_auto_replies } from './Migration20261208110000_auto_replies.js';
import { Migration20261208120000_priority_queue } from './Migration20261208120000_priority_queue.js';
import { Migration20261208130000_auto_close } from './Migration20261208130000_auto_close.js';

/** Every committed migration, in order. `npm run migration:create -- name` writes new ones beside this file. */
export const migrations = [
  { name: 'Migration20261121144730_initial', class: Migration20261121144730_initial },
  { name: 'Migration20261122130000_token_version', class: Migration20261122130000_token_version },
  { name: 'Migration20261122130500_attachments', class: Migration20261122130500_attachments },
  { name: 'Migration20261122131500_room_membership', class: Migration20261122131500_room_membership },
  { name: 'Migration20261129200000_event_sequences', class: Migration20261129200000_event_sequences },
  { name: 'Migration20261129220000_search', class: Migration20261129220000_search },
  { name: 'Migration20261129233000_history_cut', class: Migration20261129233000_history_cut },
  { name: 'Migration20261129234500_message_version', class: Migration20261129234500_message_version },
  { name: 'Migration20261130000000_webhooks_api_keys', class: Migration20261130000000_webhooks_api_keys },
  { name: 'Migration20261130001000_refresh_tokens', class: Migration20261130001000_refresh_tokens },
  { name: 'Migration20261130002000_private_notes', class: Migration20261130002000_private_notes },
  { name: 'Migration20261130010000_unread_inbox', class: Migration20261130010000_unread_inbox },
  { name: 'Migration20261130011000_canned_responses', class: Migration20261130011000_canned_responses },
  { name: 'Migration20261130013000_csat', class: Migration20261130013000_csat },
  { name: 'Migration20261130012000_availability', class: Migration20261130012000_availability },
  { name: 'Migration20261207180000_reactions_timers', class: Migration20261207180000_reactions_timers },
  { name: 'Migration20261207190000_marks_on_notes', class: Migration20261207190000_marks_on_notes },
  { name: 'Migration20261207200000_length_limits', class: Migration20261207200000_length_limits },
  { name: 'Migration20261208100000_business_hours', class: Migration20261208100000_business_hours },
  { name: 'Migration20261208110000_auto_replies', class: Migration20261208110000_auto_replies },
  { name: 'Migration20261208120000_priority_queue', class: Migration20261208120000_priority_queue },
  { name: 'Migration20261208130000_auto_close', class: Migration20261208130000_auto_close },
];
