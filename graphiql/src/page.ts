import { type DocumentNode, type FormattedExecutionResult, type OperationDefinitionNode, parse } from 'graphql';
import { type Client, createClient, type Sink } from 'graphql-ws';

/**
 * The GraphiQL page's own script (src/graphql/ide.ts serves it; `npm run build` bundles it with
 * graphql-ws). GraphiQL 3 and React 18 come as UMD globals from their installed packages.
 *
 * One sign-in serves every tab: the bar above the editors calls `login`, keeps the token pair in
 * sessionStorage (this browser tab, until it closes), adds `Authorization: Bearer …` to every
 * operation whose tab sets no Authorization header of its own, and gives the graphql-ws connection
 * the same authorization. The access token is renewed with the refresh token before it expires and
 * once more when the server calls it expired; when renewal is refused the bar says the sign-in
 * expired. Shared variables (`sessionId` from `createSession`) are remembered the same way and
 * filled into operations that declare them when the tab's Variables do not.
 */

declare const React: { createElement(type: unknown, props: Record<string, unknown>): unknown };
declare const ReactDOM: { createRoot(element: Element): { render(node: unknown): void } };
declare const GraphiQL: unknown;

/** One example tab, as GraphiQL's `defaultTabs` takes it. */
interface Tab {
  query: string;
  variables?: string;
}

/** A variable the page learns from a result (`path` into `data`) and supplies to tabs that leave it out. */
interface SharedVariable {
  variable: string;
  path: string[];
}

/** `/graphql/ide/config.json`. */
interface PageConfig {
  tabs: Tab[];
  shared: SharedVariable[];
}

interface SignIn {
  token: string;
  expiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
  user: { username: string; role: string };
}

type Result = FormattedExecutionResult<Record<string, unknown>>;
type Params = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null };
type Options = { headers?: Record<string, unknown> };

const SIGN_IN_KEY = 'parley.graphiql.signIn';
const SHARED_KEY = 'parley.graphiql.shared';
/** GraphiQL keeps its tabs, editors and history under this prefix (GraphiQL's own namespace). */
const GRAPHIQL_PREFIX = 'graphiql:';
/** Renew when less than this share of the token's life is left, or less than a minute. */
const RENEW_AHEAD_MS = 60_000;

const httpUrl = `${location.origin}/graphql`;
const wsUrl = httpUrl.replace(/^http/, 'ws');

const PAIR = 'fragment GraphiQLSignIn on AuthPayload { token expiresAt refreshToken refreshExpiresAt user { username role } }';
const LOGIN = `mutation GraphiQLLogin($username: String!, $password: String!, $tenant: String, $totp: String, $recoveryCode: String) { login(username: $username, password: $password, tenant: $tenant, totp: $totp, recoveryCode: $recoveryCode) { ...GraphiQLSignIn } } ${PAIR}`;
const REFRESH = `mutation GraphiQLRefresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ...GraphiQLSignIn } } ${PAIR}`;

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
};

function readJson<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(key);
    return text === null ? null : (JSON.parse(text) as T);
  } catch {
    return null;
  }
}

const storedSignIn = (): SignIn | null => readJson<SignIn>(SIGN_IN_KEY);
const sharedValues = (): Record<string, unknown> => readJson<Record<string, unknown>>(SHARED_KEY) ?? {};

/** GraphiQL's storage, in sessionStorage: tabs and edits last as long as the sign-in, and a new browser session starts from the current examples. */
const graphiqlStorage = {
  getItem: (key: string) => sessionStorage.getItem(key),
  setItem: (key: string, value: string) => sessionStorage.setItem(key, value),
  removeItem: (key: string) => sessionStorage.removeItem(key),
  get length() {
    return graphiqlKeys().length;
  },
  clear() {
    for (const key of graphiqlKeys()) sessionStorage.removeItem(key);
  },
};

function graphiqlKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < sessionStorage.length; i++) {
    const key = sessionStorage.key(i);
    if (key?.startsWith(GRAPHIQL_PREFIX)) keys.push(key);
  }
  return keys;
}

async function post(params: Params, headers: Record<string, string>): Promise<Result> {
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify(params),
  });
  return (await response.json()) as Result;
}

const reasonOf = (result: Result): string | undefined => {
  const extensions = result.errors?.[0]?.extensions;
  return typeof extensions?.reason === 'string' ? extensions.reason : typeof extensions?.code === 'string' ? extensions.code : undefined;
};

// ---- The sign-in bar -------------------------------------------------------------------------

const bar = {
  form: element<HTMLFormElement>('parley-signin-form'),
  signedIn: element<HTMLElement>('parley-signed-in'),
  who: element<HTMLElement>('parley-who'),
  expiry: element<HTMLElement>('parley-expiry'),
  status: element<HTMLElement>('parley-status'),
  shared: element<HTMLElement>('parley-shared'),
  signOut: element<HTMLButtonElement>('parley-signout'),
  /** Shown when the account answers TOTP_REQUIRED: the authenticator app's code, or a recovery code. */
  secondFactor: element<HTMLElement>('parley-second-factor'),
};

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function render(message?: string): void {
  const signIn = storedSignIn();
  document.body.dataset.signedIn = signIn ? 'true' : 'false';
  bar.form.hidden = signIn !== null;
  bar.signedIn.hidden = signIn === null;
  if (signIn) {
    bar.who.textContent = `${signIn.user.username} (${signIn.user.role})`;
    bar.expiry.textContent = `· access token valid until ${clock(signIn.expiresAt)}, renewed automatically until ${new Date(signIn.refreshExpiresAt).toLocaleDateString()}`;
  }
  if (message !== undefined) bar.status.textContent = message;
  const shared = Object.entries(sharedValues());
  bar.shared.textContent = shared.length === 0 ? '' : `Shared variables: ${shared.map(([name, value]) => `$${name} = ${JSON.stringify(value)}`).join(', ')} (a tab's own Variables win)`;
}

function keep(pair: SignIn): SignIn {
  const signIn: SignIn = { token: pair.token, expiresAt: pair.expiresAt, refreshToken: pair.refreshToken, refreshExpiresAt: pair.refreshExpiresAt, user: pair.user };
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify(signIn));
  return signIn;
}

function forget(message: string): void {
  sessionStorage.removeItem(SIGN_IN_KEY);
  closeSockets();
  render(message);
}

let renewing: Promise<SignIn | null> | null = null;

/** A new token pair from the refresh token; one renewal at a time. Null (and the bar says so) when the server refuses it. */
function renew(): Promise<SignIn | null> {
  renewing ??= (async () => {
    const current = storedSignIn();
    if (!current) return null;
    const result = await post({ query: REFRESH, variables: { refreshToken: current.refreshToken }, operationName: 'GraphiQLRefresh' }, {});
    const pair = result.data?.refreshToken as SignIn | undefined;
    if (pair) {
      keep(pair);
      render('');
      return storedSignIn();
    }
    forget(`Your sign-in expired (${reasonOf(result) ?? 'refused'}): sign in again.`);
    return null;
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

/** The signed-in Authorization header, renewed first when the access token is about to expire; undefined when signed out. */
async function signedInAuthorization(): Promise<string | undefined> {
  let signIn = storedSignIn();
  if (!signIn) return undefined;
  if (Date.parse(signIn.expiresAt) - Date.now() < RENEW_AHEAD_MS) signIn = await renew();
  return signIn ? `Bearer ${signIn.token}` : undefined;
}

bar.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(bar.form);
  const tenant = String(data.get('tenant') ?? '').trim();
  const code = String(data.get('code') ?? '').trim();
  // Six digits are the app's code; anything else typed there is a recovery code.
  const secondFactor = code === '' ? {} : /^\d{6}$/.test(code.replace(/\s/g, '')) ? { totp: code } : { recoveryCode: code };
  const variables = { username: String(data.get('username') ?? ''), password: String(data.get('password') ?? ''), tenant: tenant === '' ? null : tenant, ...secondFactor };
  render('Signing in…');
  post({ query: LOGIN, variables, operationName: 'GraphiQLLogin' }, {})
    .then((result) => {
      const pair = result.data?.login as SignIn | undefined;
      if (!pair) {
        if (reasonOf(result) === 'TOTP_REQUIRED') {
          bar.secondFactor.hidden = false;
          bar.secondFactor.querySelector('input')?.focus();
          render('Enter the code from your authenticator app (or a recovery code), then sign in again.');
          return;
        }
        render(`Sign-in failed: ${result.errors?.[0]?.message ?? 'no answer'}`);
        return;
      }
      keep(pair);
      closeSockets();
      bar.form.reset();
      bar.secondFactor.hidden = true;
      render('');
    })
    .catch((error: unknown) => render(`Sign-in failed: ${error instanceof Error ? error.message : String(error)}`));
});

bar.signOut.addEventListener('click', () => forget('Signed out.'));

// ---- Operations ------------------------------------------------------------------------------

/** graphql-ws clients by the authorization their connection carries (a new token opens a new connection). */
const sockets = new Map<string, Client>();

function socketFor(authorization: string | undefined): Client {
  const key = authorization ?? '';
  let client = sockets.get(key);
  if (!client) {
    client = createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: authorization ? { authorization } : {},
      // A refused connection (4403: expired or revoked token) is final; the next run asks again.
      shouldRetry: (error) => !(typeof error === 'object' && error !== null && 'code' in error && Number(error.code) >= 4400 && Number(error.code) < 4500),
    });
    sockets.set(key, client);
  }
  return client;
}

function closeSockets(): void {
  for (const client of sockets.values()) client.terminate();
  sockets.clear();
}

/**
 * The operation to run, from the text GraphiQL sends: its `documentAST` and operation name can
 * still be the previous tab's just after a tab switch. A name that matches no operation of a
 * one-operation document is such a leftover and is replaced by the document's own.
 */
function operationOf(query: string, name: string | null | undefined): { operation: OperationDefinitionNode | undefined; operationName: string | null | undefined } {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    // Invalid text: the server answers with the syntax error.
    return { operation: undefined, operationName: name };
  }
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition');
  const named = name ? operations.find((operation) => operation.name?.value === name) : undefined;
  if (named) return { operation: named, operationName: name };
  const only = operations.length === 1 ? operations[0] : undefined;
  return { operation: only, operationName: only ? (only.name?.value ?? null) : name };
}

/** The tab's variables, plus each shared one the operation declares and the tab leaves out. */
function withShared(variables: Params['variables'], operation: OperationDefinitionNode | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = { ...(variables ?? {}) };
  const shared = sharedValues();
  for (const definition of operation?.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (result[name] === undefined && shared[name] !== undefined) result[name] = shared[name];
  }
  return result;
}

function learnShared(result: Result, sharedVariables: SharedVariable[]): void {
  const shared = sharedValues();
  let changed = false;
  for (const { variable, path } of sharedVariables) {
    let value: unknown = result.data;
    for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (value !== undefined && value !== null) {
      shared[variable] = value;
      changed = true;
    }
  }
  if (!changed) return;
  sessionStorage.setItem(SHARED_KEY, JSON.stringify(shared));
  render();
}

/** The tab's own Authorization header, if it sets one (it then wins over the sign-in). */
function ownAuthorization(headers: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === 'authorization') return String(value);
  return undefined;
}

const stringHeaders = (headers: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));

/** A socket error as GraphiQL shows it: a close event becomes a message naming its code and reason. */
function describeSocketError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) {
    return new Error(`The WebSocket closed: ${String(error.code)} ${String(error.reason) || '(no reason)'}`);
  }
  return error;
}

function subscription(client: Client, params: Params) {
  return {
    subscribe(sink: Partial<Sink<Result>>) {
      const dispose = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
        { query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null },
        {
          next: (value) => sink.next?.(value),
          error: (error) => sink.error?.(describeSocketError(error)),
          complete: () => sink.complete?.(),
        },
      );
      return { unsubscribe: dispose };
    },
  };
}

function fetcherFor(sharedVariables: SharedVariable[]) {
  return async (params: Params, options?: Options) => {
    // The schema is public: it loads whatever the sign-in or the Headers tab hold.
    if (params.operationName === 'IntrospectionQuery') return post(params, {});
    const headers = { ...(options?.headers ?? {}) };
    const own = ownAuthorization(headers);
    const { operation, operationName } = operationOf(params.query, params.operationName);
    const sent: Params = { query: params.query, operationName, variables: withShared(params.variables, operation) };
    if (operation?.operation === 'subscription') return subscription(socketFor(own ?? (await signedInAuthorization())), sent);
    // The tab's own headers go as they are; otherwise the sign-in's Authorization joins them.
    const run = (authorization: string | undefined) => post(sent, stringHeaders(own !== undefined || authorization === undefined ? headers : { ...headers, authorization }));
    let result = await run(own ?? (await signedInAuthorization()));
    // The server may call a token expired before its stated time (clocks differ): renew once and repeat.
    if (own === undefined && storedSignIn() && reasonOf(result) === 'TOKEN_EXPIRED') {
      const renewed = await renew();
      if (renewed) result = await run(`Bearer ${renewed.token}`);
    }
    learnShared(result, sharedVariables);
    return result;
  };
}

/** GraphiQL fills its editors from these props: the active stored tab after a reload, else the first example. */
function initialEditors(tabs: Tab[]): Tab & { headers?: string } {
  const stored = readJson<{ activeTabIndex: number; tabs: (Tab & { headers?: string })[] }>(`${GRAPHIQL_PREFIX}tabState`);
  const active = stored?.tabs?.[stored.activeTabIndex];
  return active ?? tabs[0] ?? { query: '' };
}

async function start(): Promise<void> {
  render();
  const config = (await (await fetch('/graphql/ide/config.json')).json()) as PageConfig;
  const editors = initialEditors(config.tabs);
  const root = ReactDOM.createRoot(element('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcherFor(config.shared),
      defaultTabs: config.tabs,
      query: editors.query,
      variables: editors.variables,
      headers: editors.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      storage: graphiqlStorage,
    }),
  );
}

start().catch((error: unknown) => render(`GraphiQL failed to start: ${error instanceof Error ? error.message : String(error)}`));
