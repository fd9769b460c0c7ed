import { isWatermarkEvent, type PublishedEvent, watermarkOf } from '../model/event-contract.js';
import { DomainError } from '../shared/errors.js';

/** Records a delivery receipt on a fresh fork of one of the participant's streams. */
export type MarkDelivered = (messageId: string) => Promise<void>;

/**
 * A participant's delivered watermark in one session, as this node knows it, shared by every
 * stream of that participant here (many tabs, many subscriptions): each message costs one
 * comparison per stream and at most one write per node, and a receipt is written only when it
 * moves the watermark.
 */
class Watermark {
  holders = 0;
  private inFlight: Promise<void> | null = null;
  private pending: { messageId: string; mark: MarkDelivered; onError: (error: unknown) => void } | null = null;

  constructor(
    private readonly participantId: string,
    public value: bigint,
  ) {}

  /** The participant's watermark moved (a delivery/read event, from any connection on any node). */
  observe(event: PublishedEvent): void {
    if (!isWatermarkEvent(event) || event.payload.participantId !== this.participantId) return;
    const value = BigInt(watermarkOf(event));
    if (value > this.value) this.value = value;
  }

  /** A stream delivered `messageId`; the newest such receipt is written, on the fork of the stream that asked last. */
  delivered(messageId: string, mark: MarkDelivered, onError: (error: unknown) => void): void {
    if (BigInt(messageId) <= this.value) return;
    this.value = BigInt(messageId);
    this.pending = { messageId, mark, onError };
    this.inFlight ??= this.flush();
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending !== null) {
        const { messageId, mark, onError } = this.pending;
        this.pending = null;
        try {
          await mark(messageId);
        } catch (error) {
          // Lost access or a closing database: the receipt is simply not recorded.
          if (!(error instanceof DomainError)) onError(error);
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}

/** A stream's handle on its participant's shared watermark; `release` when the stream ends. */
export interface ReceiptHandle {
  observe(event: PublishedEvent): void;
  delivered(messageId: string): void;
  release(): void;
}

/** The node's watermarks, by tenant, session and participant, while any stream holds them. */
export class DeliveryReceipts {
  private readonly watermarks = new Map<string, Watermark>();

  acquire(key: { tenantId: string; sessionId: string; participantId: string }, stored: bigint, mark: MarkDelivered, onError: (error: unknown) => void): ReceiptHandle {
    const id = `${key.tenantId}:${key.sessionId}:${key.participantId}`;
    let watermark = this.watermarks.get(id);
    if (!watermark) {
      watermark = new Watermark(key.participantId, stored);
      this.watermarks.set(id, watermark);
    } else if (stored > watermark.value) {
      watermark.value = stored;
    }
    watermark.holders += 1;
    const shared = watermark;
    let released = false;
    return {
      observe: (event) => shared.observe(event),
      delivered: (messageId) => shared.delivered(messageId, mark, onError),
      release: () => {
        if (released) return;
        released = true;
        shared.holders -= 1;
        if (shared.holders === 0 && this.watermarks.get(id) === shared) this.watermarks.delete(id);
      },
    };
  }
}

/** The node's registry: every session stream of this process uses it. */
export const deliveryReceipts = new DeliveryReceipts();
