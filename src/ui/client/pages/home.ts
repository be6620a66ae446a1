// Home: the experiments, their run counts, best metric and last activity, refreshed by polling.
import { getJson } from '../api.js';
import { add, clear, h, link } from '../dom.js';
import { fmtNum, timeEl } from '../format.js';
import { poll, type PageContext } from '../router.js';
import type { ExperimentJson } from '../../api-types.js';

const REFRESH_MS = 5000;

function table(experiments: ExperimentJson[]): HTMLElement {
  if (experiments.length === 0) return h('p', { class: 'muted' }, 'No experiments yet: run grove train or grove tune with this tracking store.');
  const sorted = [...experiments].sort((a, b) => (b.last_activity ?? 0) - (a.last_activity ?? 0));
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'grid', id: 'experiments' },
      h('thead', null, h('tr', null, h('th', null, 'Experiment'), h('th', { class: 'num' }, 'Runs'), h('th', null, 'Best metric'), h('th', null, 'Last activity'), h('th', null, 'Created'))),
      h(
        'tbody',
        null,
        sorted.map((e) =>
          h(
            'tr',
            null,
            h('td', null, link(`/experiments/${encodeURIComponent(e.experiment_id)}`, e.name, {})),
            h('td', { class: 'num' }, fmtNum(e.run_count)),
            h('td', null, e.best ? [h('span', { class: 'muted' }, `${e.best.key} `), link(`/runs/${e.best.run_id}`, fmtNum(e.best.value))] : '—'),
            h('td', null, timeEl(e.last_activity ?? null)),
            h('td', null, timeEl(e.created_time)),
          ),
        ),
      ),
    ),
  );
}

export async function homePage(ctx: PageContext): Promise<void> {
  document.title = 'Experiments · grove';
  const body = h('div');
  const load = async () => {
    const { experiments } = await getJson<{ experiments: ExperimentJson[] }>('/api/experiments', ctx.signal);
    clear(body);
    body.appendChild(table(experiments));
  };
  await load();
  add(ctx.root, h('h1', null, 'Experiments'), h('section', { class: 'card' }, body));
  poll(ctx, REFRESH_MS, load);
}
