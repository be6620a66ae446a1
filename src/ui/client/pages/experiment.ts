// An experiment: its studies, then its runs in a table with params and metrics as columns,
// sorted, filtered (grove's filter language) and paged by the server. The table's state lives
// in the URL (#/experiments/1?filter=...&order=...&offset=...) so a view can be shared.
import { ApiError, apiPath, getJson } from '../api.js';
import { add, clear, h, link, route, section } from '../dom.js';
import { fmtDuration, fmtMetric, fmtNum, timeEl } from '../format.js';
import type { PageContext } from '../router.js';
import type { ExperimentJson, RunJson, RunsPage, StudySummary } from '../../api-types.js';

const PAGE = 50;

interface TableState {
  filter: string;
  order: string;
  offset: number;
}

type Column = { title: string; sortKey: string | null; cls?: string; cell: (r: RunJson) => Node | string };

function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge ${status.toLowerCase()}` }, status.toLowerCase());
}

function columns(page: RunsPage, selected: Set<string>, onSelect: () => void): Column[] {
  const cols: Column[] = [
    {
      title: '',
      sortKey: null,
      cell: (r) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `select ${r.run_name}` });
        box.checked = selected.has(r.run_id);
        box.addEventListener('change', () => {
          if (box.checked) selected.add(r.run_id);
          else selected.delete(r.run_id);
          onSelect();
        });
        return box;
      },
    },
    { title: 'Run', sortKey: 'run_name', cell: (r) => link(`/runs/${r.run_id}`, r.run_name) },
    { title: 'Status', sortKey: 'status', cell: (r) => statusBadge(r.status) },
    { title: 'Started', sortKey: 'start_time', cell: (r) => timeEl(r.start_time) },
    { title: 'Duration', sortKey: null, cls: 'num', cell: (r) => fmtDuration(r.start_time, r.end_time) },
  ];
  for (const k of page.metric_keys) cols.push({ title: k, sortKey: `metrics.\`${k}\``, cls: 'num metric', cell: (r) => fmtMetric(k, r.metrics[k]) });
  for (const k of page.param_keys) {
    cols.push({
      title: k,
      sortKey: `params.\`${k}\``,
      cls: 'param',
      cell: (r) => {
        const v = r.params[k];
        return v === undefined ? '—' : h('span', { title: v }, v.length > 40 ? `${v.slice(0, 39)}…` : v);
      },
    });
  }
  return cols;
}

function studiesSection(studies: StudySummary[]): HTMLElement | null {
  if (studies.length === 0) return null;
  return section(
    'Studies',
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid' },
        h('thead', null, h('tr', null, h('th', null, 'Study'), h('th', null, 'State'), h('th', null, 'Started'), h('th', { class: 'num' }, 'Trials'), h('th', { class: 'num' }, 'Best'))),
        h(
          'tbody',
          null,
          studies.map((st) =>
            h(
              'tr',
              null,
              h('td', null, link(`/studies/${st.run_id}`, st.name)),
              h('td', null, h('span', { class: `badge ${st.state}` }, st.state)),
              h('td', null, timeEl(st.start_time)),
              h('td', { class: 'num' }, fmtNum(st.metrics.trials_finished ?? st.n_trials)),
              h('td', { class: 'num' }, fmtNum(st.metrics[`best_val_${st.metric}`])),
            ),
          ),
        ),
      ),
    ),
  );
}

/** "metrics.`val_rmse` DESC" -> the key part and whether it ascends */
function splitOrder(order: string): [string, boolean] {
  const m = /^(.*?)\s+(ASC|DESC)$/i.exec(order.trim());
  return m ? [m[1], m[2].toUpperCase() === 'ASC'] : [order.trim(), true];
}

export async function experimentPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0];
  const state: TableState = { filter: ctx.query.get('filter') ?? '', order: ctx.query.get('order') ?? 'start_time DESC', offset: Number(ctx.query.get('offset') ?? 0) || 0 };
  const selected = new Set<string>();
  const tableBox = h('div', { class: 'scroll' });
  const pager = h('div', { class: 'pager' });
  const errorLine = h('p', { class: 'filter-error', role: 'alert' });
  const input = h('input', { type: 'search', id: 'filter', placeholder: "e.g. metrics.val_rmse < 55 and params.max_depth = '8'", 'aria-label': 'filter runs', spellcheck: false });
  input.value = state.filter;
  const compareBtn = h('a', { class: 'button disabled', id: 'compare' }, 'Compare');
  const updateCompare = () => {
    const n = selected.size;
    compareBtn.textContent = `Compare ${n} selected`;
    const ok = n >= 2 && n <= 200;
    compareBtn.classList.toggle('disabled', !ok);
    compareBtn.setAttribute('href', ok ? route('/compare', { ids: [...selected].join(',') }) : '#');
    compareBtn.title = ok ? '' : 'select 2 to 200 runs';
  };
  updateCompare();

  const load = async () => {
    const path = apiPath(`/api/experiments/${encodeURIComponent(id)}/runs`, { filter: state.filter, order_by: state.order, limit: PAGE, offset: state.offset });
    let page: RunsPage;
    try {
      page = await getJson<RunsPage>(path, ctx.signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        errorLine.textContent = err.message;
        input.classList.add('invalid');
        return;
      }
      throw err;
    }
    errorLine.textContent = '';
    input.classList.remove('invalid');
    history.replaceState(null, '', route(`/experiments/${encodeURIComponent(id)}`, { filter: state.filter, order: state.order === 'start_time DESC' ? '' : state.order, offset: state.offset || '' }));
    renderTable(page);
  };

  const renderTable = (page: RunsPage) => {
    // the example filter speaks the experiment's task
    if (page.metric_keys.some((k) => /(^|_)(accuracy|log_loss)$/.test(k)) && !page.metric_keys.some((k) => /(^|_)rmse$/.test(k))) {
      input.placeholder = "e.g. metrics.val_accuracy > 0.9 and params.criterion = 'entropy'";
    }
    const cols = columns(page, selected, updateCompare);
    const [orderKey, asc] = splitOrder(state.order);
    const head = h(
      'tr',
      null,
      cols.map((c) => {
        if (!c.sortKey) return h('th', { class: c.cls ?? '' }, c.title);
        const active = c.sortKey === orderKey;
        const th = h(
          'th',
          { class: `${c.cls ?? ''} sortable${active ? ' sorted' : ''}`, 'data-sort': c.sortKey, tabindex: 0, 'aria-sort': active ? (asc ? 'ascending' : 'descending') : 'none' },
          c.title,
          active ? (asc ? ' ▲' : ' ▼') : '',
        );
        const sort = () => {
          // a new column sorts best-first for metrics (ascending), newest-first for times
          state.order = active ? `${c.sortKey} ${asc ? 'DESC' : 'ASC'}` : `${c.sortKey} ${c.sortKey === 'start_time' ? 'DESC' : 'ASC'}`;
          state.offset = 0;
          void load();
        };
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && sort());
        return th;
      }),
    );
    const body = h(
      'tbody',
      null,
      page.runs.map((r) =>
        h(
          'tr',
          { 'data-run-id': r.run_id },
          cols.map((c) => h('td', { class: c.cls ?? '' }, c.cell(r))),
        ),
      ),
    );
    clear(tableBox);
    tableBox.appendChild(
      page.runs.length
        ? h('table', { class: 'grid runs', id: 'runs' }, h('thead', null, head), body)
        : h('p', { class: 'muted', id: 'runs-empty' }, state.filter ? 'No runs match this filter.' : 'No runs yet.'),
    );
    clear(pager);
    const from = page.runs.length ? page.offset + 1 : 0;
    const to = page.offset + page.runs.length;
    const prev = h('button', { type: 'button', id: 'prev' }, '← Previous');
    const next = h('button', { type: 'button', id: 'next' }, 'Next →');
    prev.disabled = page.offset === 0;
    next.disabled = !page.has_more;
    prev.addEventListener('click', () => {
      state.offset = Math.max(0, state.offset - PAGE);
      void load();
    });
    next.addEventListener('click', () => {
      state.offset += PAGE;
      void load();
    });
    pager.append(prev, h('span', { class: 'muted', id: 'range' }, `runs ${fmtNum(from)}–${fmtNum(to)}${page.total !== null ? ` of ${fmtNum(page.total)}` : page.has_more ? ' of more' : ''}`), next);
  };

  const apply = () => {
    state.filter = input.value.trim();
    state.offset = 0;
    void load();
  };
  input.addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && apply());
  const applyBtn = h('button', { type: 'button', id: 'apply' }, 'Filter');
  applyBtn.addEventListener('click', apply);
  const clearBtn = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  clearBtn.addEventListener('click', () => {
    input.value = '';
    apply();
  });

  const [{ experiment, studies }] = await Promise.all([getJson<{ experiment: ExperimentJson; studies: StudySummary[] }>(`/api/experiments/${encodeURIComponent(id)}`, ctx.signal), load()]);
  document.title = `${experiment.name} · grove`;
  add(
    ctx.root,
    h('p', { class: 'crumbs' }, link('/', 'Experiments'), ' / '),
    h('h1', null, experiment.name),
    h('p', { class: 'muted' }, `${fmtNum(experiment.run_count)} run${experiment.run_count === 1 ? '' : 's'} · created `, timeEl(experiment.created_time)),
    studiesSection(studies),
    section('Runs', h('div', { class: 'toolbar' }, input, applyBtn, clearBtn, compareBtn), errorLine, tableBox, pager),
  );
}
