import { createParleyClient, type Message } from '@parley/client';
import { ConversationView } from './conversation.js';
import { byId, composer, GRAPHQL_URL, toast } from './dom.js';
import { DemoSessionStatusDocument, DemoStartWidgetDocument } from './generated/graphql.js';

/**
 * The customer's side: a website chat widget. It opens a guest conversation with the tenant's
 * public widget key (`?key=` or the default tenant's, from /demo/config.json), keeps it for this
 * tab (sessionStorage) so a reload continues the same conversation, and follows it with the SDK.
 */

const STORAGE_KEY = 'parley-demo-widget';

interface Visit {
  token: string;
  conversationId: string;
}

async function widgetKey(): Promise<string> {
  const fromUrl = new URLSearchParams(location.search).get('key');
  if (fromUrl) return fromUrl;
  const response = await fetch('/demo/config.json');
  const config = (await response.json()) as { widgetKey: string | null };
  if (!config.widgetKey) throw new Error('no widget key: pass ?key=wk_…');
  return config.widgetKey;
}

/** A stored visit, or a new guest conversation opened through the widget key. */
async function visit(): Promise<Visit> {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (stored) return JSON.parse(stored) as Visit;
  const anonymous = createParleyClient({ url: GRAPHQL_URL, getToken: () => null });
  const { startWidgetSession } = await anonymous.request(DemoStartWidgetDocument, { widgetKey: await widgetKey(), origin: location.origin });
  await anonymous.close();
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(startWidgetSession));
  return startWidgetSession;
}

/** A closed conversation takes no messages: hide the composer and say how to go on. */
function showOpen(open: boolean): void {
  byId('composer').hidden = !open;
  byId('closed-note').hidden = open;
}

async function main(): Promise<void> {
  const status = byId('status');
  const { token, conversationId } = await visit();
  const client = createParleyClient({
    url: GRAPHQL_URL,
    // A guest token is scoped to this one conversation; it cannot be renewed, only replaced by a new visit.
    getToken: () => token,
    on: {
      connected: () => {
        status.textContent = 'Connected';
        status.dataset.state = 'connected';
      },
      closed: () => {
        status.textContent = 'Reconnecting…';
        status.dataset.state = 'closed';
      },
    },
  });
  const view = new ConversationView(
    client,
    conversationId,
    {
      // In a guest conversation the visitor is the only USER sender; staff write as SUPPORT, bots as ASSISTANT.
      ownsMessage: (message: Message) => message.senderType === 'USER',
      isReader: (userId) => userId.startsWith('guest:'),
      isTyper: (userId) => userId.startsWith('guest:'),
    },
    byId('conversation'),
    (event) => {
      // An agent closed (or reopened) the conversation: the composer follows its status.
      if (event.__typename === 'SessionUpdateEvent') showOpen(event.status !== 'CLOSED');
    },
  );
  view.start();
  const { session } = await client.request(DemoSessionStatusDocument, { id: conversationId });
  showOpen(session.status !== 'CLOSED');
  composer(byId<HTMLFormElement>('composer'), { onSend: (content, files) => view.send(content, files), onTyped: () => view.typed() });
  byId('new-conversation').addEventListener('click', () => {
    sessionStorage.removeItem(STORAGE_KEY);
    location.reload();
  });
}

main().catch((error: Error) => {
  toast(`The chat could not start: ${error.message}`);
  byId('status').textContent = 'Unavailable';
});
