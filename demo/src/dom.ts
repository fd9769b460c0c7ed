/** Small DOM helpers: the demo uses no framework, so what it does stays readable in one file per page. */

type Attributes = Record<string, string> & { className?: string };

/** An element with attributes and text children (text only: nothing is ever parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (string | Node)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') element.className = value;
    else element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** A message at the bottom of the page for a few seconds (errors the user should see). */
export function toast(text: string): void {
  console.warn(text);
  const note = el('div', { className: 'toast', role: 'alert' }, text);
  document.body.append(note);
  setTimeout(() => note.remove(), 6_000);
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** The composer under a conversation: text, files, send on Enter; `onTyped` on each keystroke. */
export function composer(form: HTMLFormElement, handlers: { onSend(content: string, files: File[]): Promise<void>; onTyped(): void }): void {
  const input = form.querySelector<HTMLInputElement>('input[name=content]');
  const files = form.querySelector<HTMLInputElement>('input[type=file]');
  if (!input || !files) throw new Error('composer form needs a content input and a file input');
  input.addEventListener('input', () => handlers.onTyped());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const content = input.value.trim();
    const chosen = [...(files.files ?? [])];
    if (!content && chosen.length === 0) return;
    // The fields are emptied at once, as chat apps do, so what the user types next is never
    // wiped by this send finishing later; a failed send puts its text back if the field is still empty.
    input.value = '';
    files.value = '';
    handlers
      .onSend(content || chosen.map((file) => file.name).join(', '), chosen)
      .catch((error: Error) => {
        if (!input.value) input.value = content;
        toast(`Not sent: ${error.message}`);
      })
      .finally(() => input.focus());
  });
}

/** The GraphQL endpoint of the server that served this page. */
export const GRAPHQL_URL = `${location.origin}/graphql`;
