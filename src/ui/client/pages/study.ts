// A tuning study: optimisation history with the best-so-far line, hyperparameter importance
// (from one of grove's own forests, fitted by the server), parallel coordinates, slice plots,
// a timeline of trials per worker with the cores busy, and the best trials. It refreshes itself
// while the study runs.
import { getJson } from '../api.js';
import { add, clear, h, keyValueTable, link, route, section } from '../dom.js';
import { fmtDuration, fmtNum, timeEl } from '../format.js';
import { barChart } from '../charts/bars.js';
import { lineChart } from '../charts/line.js';
import { parallelCoordinates } from '../charts/parallel.js';
import { slicePlots } from '../charts/slice.js';
import { timeline } from '../charts/timeline.js';
import { poll, type PageContext } from '../router.js';
import type { ImportanceJson, StudyJson, TrialJson } from '../../api-types.js';

const REFRESH_MS = 3000;
const BEST_SHOWN = 15;

function history(st: StudyJson, done: TrialJson[]): HTMLElement {
  const better = (a: number, b: number) => (st.higher_is_better ? a > b : a < b);
  const finished = done.filter((t) => !t.pruned);
  const pruned = done.filter((t) => t.pruned);
  let best: number | null = null;
  const bx: number[] = [];
  const by: number[] = [];
  for (const t of finished) {
    if (best === null || better(t.value!, best)) best = t.value!;
    bx.push(t.number);
    by.push(best);
  }
  // the line runs on to the last trial
  const last = Math.max(...done.map((t) => t.number));
  if (best !== null && bx[bx.length - 1] < last) {
    bx.push(last);
    by.push(best);
  }
  const series = [
    { label: st.objective, x: finished.map((t) => t.number), y: finished.map((t) => t.value), pointsOnly: true, color: '#2b8cbe' },
    { label: 'best so far', x: bx, y: by, stepped: true, color: '#d7301f', width: 2 },
  ];
  if (pruned.length) series.push({ label: 'pruned', x: pruned.map((t) => t.number), y: pruned.map((t) => t.value), pointsOnly: true, color: '#bbbbbb' });
  return lineChart(series, { xLabel: 'trial', yLabel: st.objective, height: 280 });
}

function bestTrials(st: StudyJson, done: TrialJson[], names: string[]): HTMLElement {
  const sorted = done
    .filter((t) => !t.pruned)
    .sort((a, b) => (st.higher_is_better ? b.value! - a.value! : a.value! - b.value!))
    .slice(0, BEST_SHOWN);
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { class: 'grid', id: 'best-trials' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { class: 'num' }, 'Trial'),
          h('th', { class: 'num' }, st.objective),
          h('th', { class: 'num' }, 'Time'),
          names.map((n) => h('th', null, n)),
        ),
      ),
      h(
        'tbody',
        null,
        sorted.map((t) =>
          h(
            'tr',
            null,
            h('td', { class: 'num' }, link(`/runs/${t.run_id}`, String(t.number))),
            h('td', { class: 'num' }, fmtNum(t.value)),
            h('td', { class: 'num' }, fmtDuration(t.start_time, t.end_time)),
            names.map((n) => h('td', null, t.params[n] ?? '—')),
          ),
        ),
      ),
    ),
  );
}

function importanceBody(imp: ImportanceJson | null, error: string | null): HTMLElement {
  if (error) return h('p', { class: 'muted' }, `Not available: ${error}`);
  if (!imp) return h('p', { class: 'muted' }, 'Fitting a forest on the trials…');
  if (imp.reason) return h('p', { class: 'muted' }, `Not yet: ${imp.reason}.`);
  return h(
    'div',
    null,
    barChart(
      imp.importances.map((i) => ({ label: i.param, value: i.importance })),
      'hyperparameter importance',
    ),
    h('p', { class: 'muted' }, `A 64-tree grove forest fitted on ${imp.n_trials} ${imp.basis} trials (hyperparameters → objective); impurity importances, summing to 1.`),
  );
}

export async function studyPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0];
  const body = h('div');
  const impBox = h('div', { id: 'importance' });
  let shownImportanceFor = -1;

  const loadImportance = async (nDone: number) => {
    if (nDone === shownImportanceFor) return;
    shownImportanceFor = nDone;
    try {
      const imp = await getJson<ImportanceJson>(`/api/studies/${encodeURIComponent(id)}/importance`, ctx.signal);
      clear(impBox);
      impBox.appendChild(importanceBody(imp, null));
    } catch (err) {
      if (ctx.signal.aborted) return;
      clear(impBox);
      impBox.appendChild(importanceBody(null, (err as Error).message));
    }
  };

  const render = (st: StudyJson) => {
    const done = st.trials.filter((t) => t.value !== null && t.status === 'FINISHED');
    const names = st.space ? Object.keys(st.space) : [...new Set(st.trials.flatMap((t) => Object.keys(t.params)))].sort();
    const count = (f: (t: TrialJson) => boolean) => st.trials.filter(f).length;
    const better = (a: TrialJson, b: TrialJson) => (st.higher_is_better ? a.value! > b.value! : a.value! < b.value!);
    const best = done.filter((t) => !t.pruned).reduce<TrialJson | null>((b, t) => (b === null || better(t, b) ? t : b), null);
    const p = st.study.params;
    const facts: [string, Node | string][] = [
      ['State', h('span', { class: `badge ${st.state}` }, st.state)],
      ['Objective', `${st.objective} (${st.higher_is_better ? 'higher' : 'lower'} is better)`],
      [
        'Trials',
        `${count((t) => t.status === 'FINISHED' && !t.pruned)} finished, ${count((t) => t.pruned)} pruned, ${count((t) => t.status === 'FAILED' || t.status === 'KILLED')} failed, ${count((t) => t.status === 'RUNNING')} running${p.n_trials ? ` of ${p.n_trials}` : ''}`,
      ],
      ['Best', best ? h('span', null, `${fmtNum(best.value)} in `, link(`/runs/${best.run_id}`, `trial ${best.number}`)) : '—'],
      ['Sampler · scheduler', `${p.sampler ?? '?'} · ${p.scheduler ?? '?'}`],
      ['Data', `${p.data ?? '?'}${p.evaluation ? ` (${p.evaluation})` : ''}`],
      ['Started', h('span', null, timeEl(st.study.start_time), ` · ${fmtDuration(st.study.start_time, st.study.end_time)}`)],
      [
        'Runs',
        h(
          'span',
          null,
          link(`/runs/${st.study.run_id}`, 'study run'),
          st.refit_run_id ? [' · ', link(`/runs/${st.refit_run_id}`, 'refit (model)')] : null,
          ' · ',
          h('a', { href: route(`/experiments/${encodeURIComponent(st.study.experiment_id)}`, { filter: `parent_run_id = '${st.study.run_id}'` }) }, 'all trials as runs'),
        ),
      ],
    ];
    clear(body);
    add(
      body,
      h('p', { class: 'crumbs' }, link('/', 'Experiments'), ' / ', link(`/experiments/${encodeURIComponent(st.study.experiment_id)}`, st.study.experiment_name), ' / '),
      h('h1', null, st.name),
      h(
        'div',
        { class: 'cols' },
        section('Study', keyValueTable(facts)),
        section('Optimisation history', done.length ? h('div', { id: 'history' }, history(st, done)) : h('p', { class: 'muted' }, 'No finished trials yet.')),
      ),
      h('div', { class: 'cols' }, section('Hyperparameter importance', impBox), section(`Best ${BEST_SHOWN} trials`, bestTrials(st, done, names))),
      done.length ? section('Parallel coordinates', h('div', { id: 'parallel' }, parallelCoordinates(done, names, st.space, st.objective, st.higher_is_better))) : null,
      done.length ? section('Slices', h('div', { id: 'slices' }, slicePlots(done, names, st.space, st.objective))) : null,
      st.trials.length ? section('Timeline (trials per worker, cores busy)', h('div', { id: 'timeline' }, timeline(st.trials))) : null,
    );
    void loadImportance(done.length);
  };

  const load = async () => {
    const st = await getJson<StudyJson>(`/api/studies/${encodeURIComponent(id)}`, ctx.signal);
    document.title = `${st.name} · study · grove`;
    render(st);
    return st.state === 'running';
  };
  const running = await load();
  ctx.root.appendChild(body);
  if (running) poll(ctx, REFRESH_MS, load);
}
