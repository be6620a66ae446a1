// Hash routing: #/path?query. Each page renders into the main element; leaving a page aborts
// its signal, which stops its fetches and polling.
import { ApiError } from './api.js';
import { clear, h, link } from './dom.js';

export interface PageContext {
  root: HTMLElement;
  params: string[];
  query: URLSearchParams;
  signal: AbortSignal;
}

export type Page = (ctx: PageContext) => Promise<void>;

const routes: [RegExp, Page][] = [];
let current: AbortController | null = null;

export function addRoute(pattern: RegExp, page: Page): void {
  routes.push([pattern, page]);
}

export function currentQuery(): URLSearchParams {
  const hash = location.hash.slice(1);
  const i = hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}

/** Calls fn every `ms` until the page is left; a failing call shows nothing new and retries. */
export function poll(ctx: PageContext, ms: number, fn: () => Promise<boolean | void>): void {
  const tick = async () => {
    if (ctx.signal.aborted) return;
    let again: boolean | void = true;
    try {
      again = await fn();
    } catch (err) {
      if (ctx.signal.aborted) return;
      console.warn('refresh failed', err);
    }
    if (again !== false && !ctx.signal.aborted) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

export function errorBox(err: unknown): HTMLElement {
  const notFound = err instanceof ApiError && err.status === 404;
  return h('div', { class: 'error' }, h('strong', null, notFound ? 'Not found: ' : 'Error: '), err instanceof Error ? err.message : String(err), ' ', link('/', 'Back to experiments'));
}

export async function render(main: HTMLElement): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const hash = location.hash.slice(1) || '/';
  const [path, qs] = hash.split('?', 2);
  const query = new URLSearchParams(qs ?? '');
  const ctx = (root: HTMLElement, params: string[]): PageContext => ({ root, params, query, signal: controller.signal });
  for (const [pattern, page] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    const root = h('div', { class: 'page' });
    clear(main);
    main.appendChild(root);
    markNav(path);
    try {
      await page(ctx(root, m.slice(1).map(decodeURIComponent)));
    } catch (err) {
      if (controller.signal.aborted) return;
      if ((err as Error).name === 'AbortError') return;
      clear(root);
      root.appendChild(errorBox(err));
    }
    return;
  }
  clear(main);
  main.appendChild(errorBox(new Error(`no page ${path}`)));
}

function markNav(path: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-section]')) {
    const section = a.dataset.section!;
    a.classList.toggle('active', section === 'models' ? path.startsWith('/models') : !path.startsWith('/models'));
  }
}
