import type { Message, ParleyClient, SessionEvent } from '@parley/client';
import { el, formatBytes, formatTime, toast } from './dom.js';
import { DemoMarkReadDocument, DemoTypingDocument } from './generated/graphql.js';

/** Who "I" am in a conversation: decides which messages carry my receipts and which readers are the other side. */
export interface Me {
  ownsMessage(message: Message): boolean;
  /** Whether a ReadEvent's reader (a user id, or `guest:<participantId>`) is me. */
  isReader(userId: string): boolean;
  /** Whether a TypingEvent's user id is me. */
  isTyper(userId: string): boolean;
}

const STATUS_ORDER = { SENT: 0, DELIVERED: 1, READ: 2 } as const;
type Status = keyof typeof STATUS_ORDER;
const RECEIPT: Record<Status, string> = { SENT: '✓ Sent', DELIVERED: '✓✓ Delivered', READ: '✓✓ Read' };

/** Typing indicators expire after this long without a refresh (the server's own expiry is 6 s). */
const TYPING_VISIBLE_MS = 6_000;
/** How often a typist's "still typing" is re-sent while they keep typing. */
const TYPING_REFRESH_MS = 3_000;

/**
 * One conversation on screen, kept by `watchSession`: the history, then every event exactly once
 * and in order. Messages are keyed by id and replaced only by a newer version, receipts only move
 * forward, and messages from the other side are marked read while the page is visible.
 */
export class ConversationView {
  private readonly messages = new Map<string, Message>();
  private readonly typists = new Map<string, { name: string; until: number }>();
  private stopWatch: (() => void) | null = null;
  private readWatermark = 0n;
  private markingRead: Promise<void> | null = null;
  private typingSentAt = 0;
  private typingTimer: ReturnType<typeof setInterval> | null = null;
  private readonly list: HTMLElement;
  private readonly typingLine: HTMLElement;

  constructor(
    private readonly client: ParleyClient,
    readonly sessionId: string,
    private readonly me: Me,
    root: HTMLElement,
    private readonly onActivity: (event: SessionEvent) => void = () => {},
  ) {
    this.list = el('ol', { className: 'messages', 'data-testid': 'messages' });
    this.typingLine = el('div', { className: 'typing', 'data-testid': 'typing' });
    root.replaceChildren(this.list, this.typingLine);
    document.addEventListener('visibilitychange', this.markReadSoon);
    this.typingTimer = setInterval(() => this.renderTyping(), 1_000);
  }

  start(): void {
    this.stopWatch = this.client.watchSession(this.sessionId, {
      onHistory: (messages) => {
        this.messages.clear();
        for (const message of messages) this.messages.set(message.id, message);
        this.render();
        this.markReadSoon();
      },
      onEvent: (event) => this.apply(event),
      onError: (error) => toast(`This conversation stopped: ${error.message}`),
    });
  }

  stop(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    document.removeEventListener('visibilitychange', this.markReadSoon);
    if (this.typingTimer) clearInterval(this.typingTimer);
  }

  /** Sends with an idempotency key (the SDK retries safely); the message appears when its event arrives. */
  async send(content: string, files: File[]): Promise<void> {
    this.typingSentAt = 0;
    const { message } = await this.client.send(this.sessionId, content, { attachments: files });
    this.upsert(message);
    await this.setTyping(false);
  }

  /** Called on every keystroke: tells the other side at most every few seconds. */
  typed(): void {
    const now = Date.now();
    if (now - this.typingSentAt < TYPING_REFRESH_MS) return;
    this.typingSentAt = now;
    this.setTyping(true).catch(() => {});
  }

  private async setTyping(isTyping: boolean): Promise<void> {
    await this.client.request(DemoTypingDocument, { sessionId: this.sessionId, isTyping });
  }

  private apply(event: SessionEvent): void {
    switch (event.__typename) {
      case 'MessageEvent':
        this.upsert(event.message);
        if (!this.me.ownsMessage(event.message)) this.typists.clear();
        this.markReadSoon();
        break;
      case 'ReadEvent':
        if (!this.me.isReader(event.userId)) this.receipt(BigInt(event.messageId), event.type === 'READ_UPDATED' ? 'READ' : 'DELIVERED');
        break;
      case 'TypingEvent':
        if (this.me.isTyper(event.userId)) break;
        if (event.isTyping) this.typists.set(event.userId, { name: event.name ?? 'Someone', until: Date.now() + TYPING_VISIBLE_MS });
        else this.typists.delete(event.userId);
        this.renderTyping();
        break;
      case 'SessionUpdateEvent':
        break;
    }
    this.onActivity(event);
  }

  /** A message replaces what is shown only when it is at least as new (a replay never goes back). */
  private upsert(message: Message): void {
    const shown = this.messages.get(message.id);
    if (shown && (shown.version ?? 0) > (message.version ?? 0)) return;
    const status = shown && STATUS_ORDER[shown.status as Status] > STATUS_ORDER[message.status as Status] ? shown.status : message.status;
    this.messages.set(message.id, { ...message, status });
    this.render();
  }

  /** The other side's watermark moved: my messages up to it are delivered or read. */
  private receipt(upTo: bigint, status: Status): void {
    for (const [id, message] of this.messages) {
      if (!this.me.ownsMessage(message) || BigInt(id) > upTo) continue;
      if (STATUS_ORDER[status] > STATUS_ORDER[message.status as Status]) this.messages.set(id, { ...message, status, read: status === 'READ' || message.read });
    }
    this.render();
  }

  /** Marks the newest message from the other side read, once the page is visible. One call at a time. */
  private readonly markReadSoon = (): void => {
    if (document.visibilityState !== 'visible' || this.markingRead) return;
    const newest = [...this.messages.values()].filter((message) => !this.me.ownsMessage(message) && !message.deletedAt).map((message) => BigInt(message.id));
    const latest = newest.reduce((max, id) => (id > max ? id : max), 0n);
    if (latest <= this.readWatermark) return;
    this.markingRead = this.client
      .request(DemoMarkReadDocument, { sessionId: this.sessionId, messageIds: [latest.toString()] })
      .then(() => {
        this.readWatermark = latest;
      })
      .catch((error: Error) => toast(`Could not mark as read: ${error.message}`))
      .finally(() => {
        this.markingRead = null;
        // Something newer may have arrived meanwhile.
        if (newest.some((id) => id > this.readWatermark)) this.markReadSoon();
      });
  };

  private render(): void {
    const ordered = [...this.messages.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    this.list.replaceChildren(...ordered.map((message) => this.renderMessage(message)));
    this.list.lastElementChild?.scrollIntoView({ block: 'end' });
  }

  private renderMessage(message: Message): HTMLElement {
    const mine = this.me.ownsMessage(message);
    const item = el('li', {
      className: `message ${mine ? 'mine' : 'theirs'}${message.private ? ' note' : ''}`,
      'data-testid': 'message',
      'data-id': message.id,
      'data-mine': String(mine),
    });
    item.append(el('div', { className: 'meta' }, `${message.private ? 'Private note · ' : ''}${message.senderName ?? message.senderType} · ${formatTime(message.createdAt)}`));
    item.append(el('div', { className: 'content' }, message.deletedAt ? '(deleted)' : message.content));
    for (const attachment of message.attachments ?? []) {
      const link = el('button', { className: 'attachment', type: 'button' }, `${attachment.name} (${formatBytes(attachment.size)})`);
      link.addEventListener('click', () => {
        this.download(attachment.url, attachment.name).catch((error: Error) => toast(`Download failed: ${error.message}`));
      });
      item.append(link);
    }
    if (mine) item.append(el('div', { className: `receipt ${String(message.status).toLowerCase()}`, 'data-testid': 'receipt' }, RECEIPT[message.status as Status] ?? String(message.status)));
    return item;
  }

  /** Attachments need the bearer token, so they are fetched and handed to the browser as a blob. */
  private async download(path: string, name: string): Promise<void> {
    const token = await this.client.token();
    const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const anchor = el('a', { href: url, download: name });
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  private renderTyping(): void {
    const now = Date.now();
    for (const [id, typist] of this.typists) if (typist.until < now) this.typists.delete(id);
    const names = [...this.typists.values()].map((typist) => typist.name);
    this.typingLine.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
  }
}
