import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface SeedSender {
  /** participants.id, or null for a system message. */
  participantId: string | null;
  senderType: 'USER' | 'SUPPORT' | 'ASSISTANT' | 'SYSTEM';
}

export interface SeedBatch {
  tenantId: string;
  sessionId: string;
  /** Alternated message by message. */
  senders: SeedSender[];
  count: number;
  /** createdAt of the first message; each next one is 1 s later, so (createdAt, id) and id agree. */
  firstAt: Date;
  /** The i-th message's content (no tabs, newlines or backslashes: COPY text format); "Seeded message number i" by default. */
  content?: (i: number) => string;
}

const ROWS_PER_CHUNK = 2_000;
const CONTENT = 'Seeded message number';

/**
 * Writes chat_messages rows with `COPY … FROM STDIN` (the fastest bulk path PostgreSQL has),
 * through the schema the migrations created, indexes and constraints included.
 */
export async function copyMessages(client: pg.ClientBase, batches: SeedBatch[]): Promise<number> {
  let total = 0;
  function* lines(): Generator<string> {
    for (const batch of batches) {
      let chunk = '';
      for (let i = 0; i < batch.count; i++) {
        const sender = batch.senders[i % batch.senders.length]!;
        const createdAt = new Date(batch.firstAt.getTime() + i * 1000).toISOString();
        const responseMs = sender.senderType === 'SUPPORT' ? '30000' : '\\N';
        chunk += `${randomUUID()}\t${batch.tenantId}\t${batch.sessionId}\t${sender.participantId ?? '\\N'}\t${sender.senderType}\t${batch.content ? batch.content(i) : `${CONTENT} ${i}`}\t{}\t${createdAt}\t${responseMs}\n`;
        if ((i + 1) % ROWS_PER_CHUNK === 0) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
      total += batch.count;
    }
  }
  const copy = client.query(copyFrom('copy chat_messages (uuid, tenant_id, session_id, sender_id, sender_type, content, metadata, created_at, response_ms) from stdin'));
  await pipeline(Readable.from(lines()), copy);
  return total;
}

/** A seeded session's tenant and its participants as senders (agents write SUPPORT, everyone else USER), in participant order. */
export async function sessionSenders(client: pg.ClientBase, sessionId: string): Promise<{ tenantId: string; senders: SeedSender[] }> {
  const { rows } = await client.query<{ id: string; role: string; tenant_id: string }>('select id, role, tenant_id from participants where session_id = $1 order by id', [sessionId]);
  const senders = rows.map((p) => ({ participantId: p.id, senderType: p.role === 'AGENT' ? ('SUPPORT' as const) : ('USER' as const) }));
  return { tenantId: rows[0]!.tenant_id, senders };
}
