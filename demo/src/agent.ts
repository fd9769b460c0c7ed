import { createParleyClient, type ParleyClient } from '@parley/client';
import { ConversationView } from './conversation.js';
import { byId, composer, el, formatTime, GRAPHQL_URL, toast } from './dom.js';
import {
  type Availability,
  DemoAgentsDocument,
  DemoAssignDocument,
  DemoCloseDocument,
  DemoInboxDocument,
  DemoMeDocument,
  type DemoMeQuery,
  DemoReopenDocument,
  type DemoSessionRowFragment,
  DemoSetAvailabilityDocument,
  DemoTransferDocument,
  DemoUnassignDocument,
  type InboxAssignee,
  type SessionStatus,
} from './generated/graphql.js';
import { SlaPanel } from './sla-panel.js';

/**
 * The agent's side: sign in, the inbox (tabs mine / unassigned / all with their counts, unread
 * badges and previews, kept current by the `inbox` stream and the open conversation), one
 * conversation at a time (history, live messages, typing, read receipts, attachments), its
 * SLA (due times and breaches, live), and the workflow: assign, transfer, unassign, close and reopen.
 */

type Me = NonNullable<DemoMeQuery['me']>;

const LIST_LIMIT = 50;

class AgentConsole {
  private conversation: ConversationView | null = null;
  private selected: DemoSessionRowFragment | null = null;
  private listStatus: SessionStatus = 'ACTIVE';
  private assignee: InboxAssignee;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private readonly sla: SlaPanel;

  constructor(
    private readonly client: ParleyClient,
    private readonly me: Me,
  ) {
    // Staff see the sessions assigned to them; admins start from the whole tenant.
    this.assignee = me.role === 'ADMIN' ? 'ANY' : 'ME';
    this.sla = new SlaPanel(client, byId('sla'));
  }

  start(): void {
    byId('who').textContent = `${this.me.displayName ?? this.me.username} (${this.me.role.toLowerCase()})`;
    // Auto-assignment gives sessions only to agents who are ONLINE (and connected).
    const availability = byId<HTMLSelectElement>('availability');
    availability.addEventListener('change', () => {
      this.client
        .request(DemoSetAvailabilityDocument, { availability: availability.value as Availability })
        .then(({ setAvailability }) => {
          availability.value = setAvailability.availability;
        })
        .catch((error: Error) => toast(`Could not change availability: ${error.message}`));
    });
    this.toggles('status', (value) => {
      this.listStatus = value as SessionStatus;
    });
    this.toggles('assignee', (value) => {
      this.assignee = value as InboxAssignee;
    });
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-assignee]')) button.setAttribute('aria-pressed', String(button.dataset.assignee === this.assignee));
    const sessionId = () => this.selectedId();
    this.onClick('assign', () => this.client.request(DemoAssignDocument, { sessionId: sessionId(), agentId: this.pickedAgent() }).then((r) => r.assignAgent));
    this.onClick('transfer', () => this.client.request(DemoTransferDocument, { sessionId: sessionId(), agentId: this.pickedAgent() }).then((r) => r.transferSession));
    this.onClick('unassign', () => this.client.request(DemoUnassignDocument, { sessionId: sessionId() }).then((r) => r.unassignSession));
    this.onClick('close', () => this.client.request(DemoCloseDocument, { sessionId: sessionId() }).then((r) => r.closeSession));
    this.onClick('reopen', () => this.client.request(DemoReopenDocument, { sessionId: sessionId() }).then((r) => r.reopenSession));
    composer(byId<HTMLFormElement>('composer'), {
      onSend: async (content, files) => {
        if (!this.conversation) throw new Error('open a conversation first');
        await this.conversation.send(content, files);
      },
      onTyped: () => this.conversation?.typed(),
    });
    // Lifecycle changes and, with `activity`, new messages anywhere in the inbox move the list.
    this.client.watchInbox(
      {
        onEvent: () => this.refreshList(),
        onResync: () => this.refreshList(),
        onError: (error) => toast(`Inbox stopped: ${error.message}`),
      },
      { activity: true },
    );
    this.refreshList();
  }

  /** Reloads the list; calls during a reload coalesce into one more. */
  private refreshList(): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = this.loadList()
      .catch((error: Error) => toast(`Could not load sessions: ${error.message}`))
      .finally(() => {
        this.refreshing = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refreshList();
        }
      });
  }

  /** A group of toggle buttons (`data-NAME`): one pressed at a time; a press reloads the list. */
  private toggles(name: string, choose: (value: string) => void): void {
    const buttons = [...document.querySelectorAll<HTMLButtonElement>(`[data-${name}]`)];
    for (const button of buttons) {
      button.addEventListener('click', () => {
        choose(button.dataset[name] ?? '');
        for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
        this.refreshList();
      });
    }
  }

  /** The inbox page: newest activity first, with the viewer's unread count, a preview and the tab counts. */
  private async loadList(): Promise<void> {
    const { inboxConnection: inbox } = await this.client.request(DemoInboxDocument, { filter: { status: this.listStatus, assignee: this.assignee }, first: LIST_LIMIT });
    for (const [tab, count] of Object.entries(inbox.tabs)) {
      const badge = document.querySelector(`[data-tab=${tab}]`);
      if (badge && typeof count === 'number') badge.textContent = String(count);
    }
    const rows = inbox.edges.map((edge) => edge.node);
    const list = byId('sessions');
    list.replaceChildren(
      ...rows.map(({ session, unreadCount, lastMessage, lastActivityAt, slaBreached }) => {
        const preview = lastMessage ? `${lastMessage.private ? 'Note · ' : ''}${lastMessage.senderName ?? ''}: ${lastMessage.deletedAt ? '(deleted)' : lastMessage.content}` : 'No messages yet';
        const row = el(
          'li',
          { className: `session${session.id === this.selected?.id ? ' selected' : ''}`, 'data-testid': 'session', 'data-id': session.id, 'data-uuid': session.uuid, tabindex: '0' },
          el(
            'div',
            { className: 'top' },
            el('strong', {}, titleOf(session)),
            slaBreached ? el('span', { className: 'sla-breached', 'data-testid': 'sla-breached', title: 'SLA breached' }, 'SLA') : '',
            unreadCount > 0 ? el('span', { className: 'unread', 'data-testid': 'unread', title: 'unread' }, String(unreadCount)) : '',
          ),
          el('span', { className: `preview${lastMessage?.private ? ' note' : ''}` }, preview),
          el('span', { className: 'detail' }, `${session.agent ? `→ ${session.agent.displayName ?? session.agent.username}` : 'Unassigned'} · ${formatTime(lastActivityAt)}`),
        );
        row.addEventListener('click', () => this.open(session));
        row.addEventListener('keydown', (event) => event.key === 'Enter' && this.open(session));
        return row;
      }),
    );
    if (this.selected) {
      const fresh = rows.find((row) => row.session.id === this.selected?.id);
      if (fresh) this.showHeader(fresh.session);
    }
  }

  private open(session: DemoSessionRowFragment): void {
    this.conversation?.stop();
    this.selected = session;
    this.showHeader(session);
    for (const row of document.querySelectorAll('[data-testid=session]')) row.classList.toggle('selected', row.getAttribute('data-id') === session.id);
    this.conversation = new ConversationView(
      this.client,
      session.id,
      {
        ownsMessage: (message) => message.senderUserId === this.me.id,
        isReader: (userId) => userId === this.me.id,
        isTyper: (userId) => userId === this.me.id,
      },
      byId('conversation'),
      (event) => {
        // The list shows counts and assignees: a message or a session change moves it. Either may
        // move the SLA clocks too, and an SLA warning or breach arrives as a session change.
        if (event.__typename === 'MessageEvent' || event.__typename === 'SessionUpdateEvent') {
          this.refreshList();
          this.sla.refresh();
        }
      },
    );
    this.conversation.start();
    this.sla.show(session.id);
    byId('chat').hidden = false;
  }

  /**
   * The header and the workflow buttons this viewer may use on this session: admins assign,
   * transfer, unassign, close and reopen; the agent holding it may transfer, unassign and reopen.
   * Picking an agent needs the `agents` list, which only admins may read.
   */
  private showHeader(session: DemoSessionRowFragment): void {
    this.selected = session;
    byId('title').textContent = titleOf(session);
    byId('state').textContent = `${session.status.toLowerCase()} · ${session.agent ? `assigned to ${session.agent.displayName ?? session.agent.username}` : 'unassigned'}`;
    const admin = this.me.role === 'ADMIN';
    const holds = session.agent?.id === this.me.id;
    // Open: ACTIVE or SNOOZED (a snoozed session can be closed, transferred, unassigned).
    const active = session.status !== 'CLOSED';
    const show = {
      assign: admin && active && !session.agent,
      transfer: admin && active && Boolean(session.agent),
      unassign: (admin || holds) && active && Boolean(session.agent),
      close: admin && active,
      reopen: (admin || holds) && !active,
    };
    for (const [id, visible] of Object.entries(show)) byId<HTMLButtonElement>(id).hidden = !visible;
    const picker = byId<HTMLSelectElement>('agent-pick');
    picker.hidden = !(show.assign || show.transfer);
    if (!picker.hidden) this.fillAgents(picker, session).catch((error: Error) => toast(`Could not list agents: ${error.message}`));
  }

  /** The tenant's agents (admins only), the current one left out, online ones first. */
  private async fillAgents(picker: HTMLSelectElement, session: DemoSessionRowFragment): Promise<void> {
    const { agents } = await this.client.request(DemoAgentsDocument, {});
    const chosen = picker.value;
    const options = agents
      .filter((agent) => agent.id !== session.agent?.id)
      .sort((a, b) => Number(b.online) - Number(a.online) || a.displayName.localeCompare(b.displayName))
      .map((agent) => el('option', { value: agent.id }, `${agent.displayName}${agent.online ? ' (online' : ' (offline'}, ${agent.activeSessions}/${agent.capacity})`));
    picker.replaceChildren(...(options.length ? options : [el('option', { value: '', disabled: 'disabled' }, 'No other agent')]));
    if (options.some((option) => option.value === chosen)) picker.value = chosen;
  }

  private pickedAgent(): string {
    const agentId = byId<HTMLSelectElement>('agent-pick').value;
    if (!agentId) throw new Error('pick an agent first');
    return agentId;
  }

  private onClick(id: string, change: () => Promise<DemoSessionRowFragment>): void {
    byId(id).addEventListener('click', () => this.act(change));
  }

  private selectedId(): string {
    if (!this.selected) throw new Error('no conversation is open');
    return this.selected.id;
  }

  private act(change: () => Promise<DemoSessionRowFragment>): void {
    Promise.resolve()
      .then(change)
      .then((session) => {
        this.showHeader(session);
        this.refreshList();
      })
      .catch((error: Error) => toast(error.message));
  }
}

function titleOf(session: DemoSessionRowFragment): string {
  const who = session.customer?.displayName ?? session.customer?.username ?? session.guestName ?? 'Visitor';
  return session.subject ? `${who}: ${session.subject}` : `${who} #${session.id}`;
}

/** Signs in with the form; the SDK keeps the session alive with refresh tokens from then on. */
function signIn(): void {
  const form = byId<HTMLFormElement>('login');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    // An account with two-factor sign-in: the typed code serves the first sign-in; a later one
    // (its refresh token spent) asks again, since a code works once.
    let typed: string | null = String(data.get('code') ?? '').trim() || null;
    const totp = () => {
      const code = typed ?? window.prompt('Code from your authenticator app') ?? '';
      typed = null;
      return code;
    };
    const credentials = { username: String(data.get('username')), password: String(data.get('password')) };
    const client = createParleyClient({ url: GRAPHQL_URL, credentials: typed === null ? credentials : { ...credentials, totp } });
    client
      .request(DemoMeDocument, {})
      .then(async ({ me }) => {
        if (!me) throw new Error('signed in, but the server did not say who you are');
        if (me.role !== 'ADMIN' && me.role !== 'STAFF') throw new Error('the agent view is for staff and admins');
        form.hidden = true;
        byId('desk').hidden = false;
        new AgentConsole(client, me).start();
      })
      .catch(async (error: Error) => {
        await client.close();
        if ((error as { reason?: string }).reason === 'TOTP_REQUIRED') {
          const field = byId('second-factor');
          field.hidden = false;
          field.querySelector('input')?.focus();
          toast('Enter the code from your authenticator app (or a recovery code), then sign in again.');
          return;
        }
        toast(`Sign-in failed: ${error.message}`);
      });
  });
}

signIn();
