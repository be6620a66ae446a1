// Building DOM nodes. Every string becomes a text node or an attribute value set through the
// DOM: data never passes through innerHTML, so a name like <img onerror=...> stays text.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) for (const c of child) append(parent, c);
  else if (child instanceof Node) parent.appendChild(child);
  else parent.appendChild(document.createTextNode(String(child)));
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** h('a', {href: '#/x', class: 'link'}, 'text', child) */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A link inside the app: #/path with query values encoded. */
export function route(path: string, query: Record<string, string | number | null | undefined> = {}): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `#${path}${q ? `?${q}` : ''}`;
}

export function link(path: string, text: Child, query?: Record<string, string | number | null | undefined>): HTMLAnchorElement {
  return h('a', { href: route(path, query) }, text);
}

export function section(title: Child, ...body: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...body);
}

export function keyValueTable(entries: [string, Child][], empty = 'none'): HTMLElement {
  if (entries.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      null,
      entries.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))),
    ),
  );
}

/** Appends children (strings as text, null skipped) to an element. */
export function add(parent: Element, ...children: Child[]): void {
  append(parent, children);
}
