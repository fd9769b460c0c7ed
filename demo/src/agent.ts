import { createParleyClient, type ParleyClient } from '@parley/client';
import { ConversationView } from './conversation.js';
import { byId, composer, el, formatTime, GRAPHQL_URL, toast } from './dom.js';
import { DemoAssignDocument, DemoCloseDocument, DemoMeDocument, DemoSessionsDocument, type DemoMeQuery, type DemoSessionRowFragment, type SessionStatus } from './generated/graphql.js';

/**
 * The agent's side: sign in, the session list (kept current by the `inbox` stream), one
 * conversation at a time (history, live messages, typing, read receipts, attachments), and
 * assign/close for admins.
 */

type Me = NonNullable<DemoMeQuery['me']>;

const LIST_LIMIT = 50;

class AgentConsole {
  private conversation: ConversationView | null = null;
  private selected: DemoSessionRowFragment | null = null;
  private listStatus: SessionStatus = 'ACTIVE';
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  constructor(
    private readonly client: ParleyClient,
    private readonly me: Me,
  ) {}

  start(): void {
    byId('who').textContent = `${this.me.displayName ?? this.me.username} (${this.me.role.toLowerCase()})`;
    for (const button of document.querySelectorAll<HTMLButtonElement>('[data-status]')) {
      button.addEventListener('click', () => {
        this.listStatus = button.dataset.status as SessionStatus;
        for (const other of document.querySelectorAll<HTMLButtonElement>('[data-status]')) other.setAttribute('aria-pressed', String(other === button));
        this.refreshList();
      });
    }
    byId('assign').addEventListener('click', () => this.act(() => this.client.request(DemoAssignDocument, { sessionId: this.selectedId(), agentId: this.me.id }).then((r) => r.assignAgent)));
    byId('close').addEventListener('click', () => this.act(() => this.client.request(DemoCloseDocument, { sessionId: this.selectedId() }).then((r) => r.closeSession)));
    composer(byId<HTMLFormElement>('composer'), {
      onSend: async (content, files) => {
        if (!this.conversation) throw new Error('open a conversation first');
        await this.conversation.send(content, files);
      },
      onTyped: () => this.conversation?.typed(),
    });
    this.client.watchInbox({
      onEvent: () => this.refreshList(),
      onResync: () => this.refreshList(),
      onError: (error) => toast(`Inbox stopped: ${error.message}`),
    });
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

  private async loadList(): Promise<void> {
    const { sessions } = await this.client.request(DemoSessionsDocument, { status: this.listStatus, limit: LIST_LIMIT });
    const rows = [...sessions.items].sort((a, b) => activity(b).localeCompare(activity(a)));
    const list = byId('sessions');
    list.replaceChildren(
      ...rows.map((session) => {
        const row = el(
          'li',
          { className: `session${session.id === this.selected?.id ? ' selected' : ''}`, 'data-testid': 'session', 'data-id': session.id, 'data-uuid': session.uuid, tabindex: '0' },
          el('strong', {}, titleOf(session)),
          el('span', { className: 'detail' }, `${session.agent ? `→ ${session.agent.displayName ?? session.agent.username}` : 'Unassigned'} · ${session.messageCount} msg · ${formatTime(activity(session))}`),
        );
        row.addEventListener('click', () => this.open(session));
        row.addEventListener('keydown', (event) => event.key === 'Enter' && this.open(session));
        return row;
      }),
    );
    byId('count').textContent = `${sessions.totalCount}`;
    if (this.selected) {
      const fresh = rows.find((row) => row.id === this.selected?.id);
      if (fresh) this.showHeader(fresh);
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
        // The list shows counts and assignees: a message or a session change moves it.
        if (event.__typename === 'MessageEvent' || event.__typename === 'SessionUpdateEvent') this.refreshList();
      },
    );
    this.conversation.start();
    byId('chat').hidden = false;
  }

  private showHeader(session: DemoSessionRowFragment): void {
    this.selected = session;
    byId('title').textContent = titleOf(session);
    byId('state').textContent = `${session.status.toLowerCase()} · ${session.agent ? `assigned to ${session.agent.displayName ?? session.agent.username}` : 'unassigned'}`;
    const admin = this.me.role === 'ADMIN';
    byId<HTMLButtonElement>('assign').hidden = !admin || Boolean(session.agent) || session.status !== 'ACTIVE';
    byId<HTMLButtonElement>('close').hidden = !admin || session.status !== 'ACTIVE';
  }

  private selectedId(): string {
    if (!this.selected) throw new Error('no conversation is open');
    return this.selected.id;
  }

  private act(change: () => Promise<DemoSessionRowFragment>): void {
    change()
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

function activity(session: DemoSessionRowFragment): string {
  return session.lastMessageAt ?? session.startedAt;
}

/** Signs in with the form; the SDK keeps the session alive with refresh tokens from then on. */
function signIn(): void {
  const form = byId<HTMLFormElement>('login');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const client = createParleyClient({ url: GRAPHQL_URL, credentials: { username: String(data.get('username')), password: String(data.get('password')) } });
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
        toast(`Sign-in failed: ${error.message}`);
      });
  });
}

signIn();
