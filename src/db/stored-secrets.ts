import type { Logger } from 'pino';
import { isSealed, type SecretBox, SecretUnreadable } from '../shared/secret-box.js';
import type { Db } from './orm.js';

/**
 * Every column that holds a secret Parley must read back in the clear, sealed with the SecretBox
 * (shared/secret-box.ts), and the place each value is bound to. Hashes (API keys, refresh tokens,
 * recovery codes, passwords) are not here: they are never read back. A place names the row and
 * what the secret is for, not the column: a webhook's secret moves to `previous_secret` on
 * rotation, and a TOTP secret from `pending_secret` to `secret` on confirmation, by SQL alone.
 */
export const webhookSecretPlace = (endpointId: string): string => `webhook_endpoints/${endpointId}/signing secret`;
export const totpSecretPlace = (userId: string): string => `user_two_factor/${userId}/totp secret`;

interface SealedColumn {
  table: string;
  /** The primary key (a bigint), which `place` is built from. */
  key: string;
  column: string;
  place: (id: string) => string;
}

const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'webhook_endpoints', key: 'id', column: 'secret', place: webhookSecretPlace },
  { table: 'webhook_endpoints', key: 'id', column: 'previous_secret', place: webhookSecretPlace },
  { table: 'user_two_factor', key: 'user_id', column: 'secret', place: totpSecretPlace },
  { table: 'user_two_factor', key: 'user_id', column: 'pending_secret', place: totpSecretPlace },
];

const BATCH = 200;

export interface ResealReport {
  /** Values stored in the clear (from before sealing) that are sealed now. */
  sealed: number;
  /** Values under the previous key whose data keys are now wrapped under the current one. */
  rewrapped: number;
  /** Values that could not be opened with either key, left as they are. */
  unreadable: number;
}

/**
 * Brings stored secrets under the current key, in batches of BATCH rows per column: plaintext is
 * sealed, and (unless `plaintextOnly`) values under the previous key are re-wrapped. Each row is
 * written with `where <column> = <the value read>`, so a value changed meanwhile (a rotation, a
 * confirmation, another node doing the same) is left to whoever changed it: safe while servers
 * run, on any number of nodes at once, and idempotent. Runs across tenants (maintenance, raw SQL).
 */
export async function resealStoredSecrets(db: Db, box: SecretBox, options: { plaintextOnly: boolean; logger?: Logger }): Promise<ResealReport> {
  const report: ResealReport = { sealed: 0, rewrapped: 0, unreadable: 0 };
  for (const { table, key, column, place } of SEALED_COLUMNS) {
    // Plaintext, or (a rotation) anything not under the current key.
    const done = options.plaintextOnly ? 'enc:%' : `enc:v1:${box.currentKid}:%`;
    let after = '0';
    for (;;) {
      const rows = await db.execute<{ id: string; value: string }[]>(
        `select "${key}"::text as id, "${column}" as value from "${table}" where "${key}" > ? and "${column}" is not null and "${column}" not like ? order by "${key}" limit ?`,
        [after, done, BATCH],
      );
      for (const { id, value } of rows) {
        let next: string | null;
        try {
          next = box.reseal(value, place(id));
        } catch (error) {
          if (!(error instanceof SecretUnreadable)) throw error;
          report.unreadable++;
          options.logger?.error({ table, column, id, reason: error.reason, kid: error.kid }, 'a stored secret cannot be opened with SECRETS_KEY or SECRETS_PREVIOUS_KEY');
          continue;
        }
        if (next === null) continue;
        const written = await db.execute<{ id: string }[]>(`update "${table}" set "${column}" = ? where "${key}" = ? and "${column}" = ? returning "${key}"::text as id`, [next, id, value]);
        if (written.length > 0) report[isSealed(value) ? 'rewrapped' : 'sealed']++;
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1]!.id;
    }
  }
  return report;
}

/** How many stored secrets are sealed under each key id (plaintext ones under `plaintext`). */
export async function storedSecretKeys(db: Db): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { table, column } of SEALED_COLUMNS) {
    const rows = await db.execute<{ kid: string; n: number }[]>(
      `select case when "${column}" like 'enc:v1:%' then substr("${column}", 8, 8) else 'plaintext' end as kid, count(*)::int as n
         from "${table}" where "${column}" is not null group by 1`,
    );
    for (const { kid, n } of rows) counts.set(kid, (counts.get(kid) ?? 0) + n);
  }
  return counts;
}

/**
 * At start-up, on every node: seals what is still stored in the clear (secrets written before
 * sealing existed, or by a node of an older version during a rolling upgrade), and says loudly
 * when stored secrets are under a key this node does not have, which would make those webhooks
 * fail and those users' sign-ins refused. The node still starts: the rest of the service works.
 */
export async function sealStoredSecretsAtStart(db: Db, box: SecretBox, logger: Logger): Promise<void> {
  const { sealed } = await resealStoredSecrets(db, box, { plaintextOnly: true, logger });
  if (sealed > 0) logger.info({ sealed }, 'sealed secrets that were stored in the clear');
  const keys = [...(await storedSecretKeys(db))].filter(([kid]) => kid !== 'plaintext');
  const unknown = keys.filter(([kid]) => !box.knows(kid));
  if (unknown.length > 0) {
    logger.error(
      { keys: Object.fromEntries(unknown) },
      'stored secrets are sealed under keys this node does not have: set SECRETS_KEY (and SECRETS_PREVIOUS_KEY during a rotation) to the keys they were sealed with',
    );
  }
  const previous = keys.filter(([kid]) => kid !== box.currentKid && box.knows(kid));
  if (previous.length > 0) logger.warn({ keys: Object.fromEntries(previous) }, 'stored secrets are still under SECRETS_PREVIOUS_KEY: run `npm run admin -- rotate-secrets`');
}

/**
 * A stored secret in the clear: opened with the box, or, when a node without sealing (an older
 * version during a rolling upgrade) stored it in the clear, taken as it is, with a warning; the
 * next start or `rotate-secrets` seals it. Throws SecretUnreadable when it cannot be opened.
 */
export function openStoredSecret(box: SecretBox, stored: string, place: string, logger?: Pick<Logger, 'warn'>): string {
  if (isSealed(stored)) return box.open(stored, place);
  logger?.warn({ place }, 'a secret is stored in the clear; it is sealed at the next start or by `npm run admin -- rotate-secrets`');
  return stored;
}
