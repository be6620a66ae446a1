// Compare 2 to 200 runs: a params table (differences highlighted, optionally only those), the
// metrics side by side with the best marked, and one overlaid chart per metric with a history.
import { getJson } from '../api.js';
import { add, h, link, section } from '../dom.js';
import { fmtMetric } from '../format.js';
import { lineChart } from '../charts/line.js';
import { seriesColor } from '../charts/color.js';
import type { PageContext } from '../router.js';
import { higherIsBetter, isScore, orderMetricKeys } from '../metric-keys.js';
import type { History, RunJson } from '../../api-types.js';

const MAX_CHARTS = 12;

export async function comparePage(ctx: PageContext): Promise<void> {
  const ids = (ctx.query.get('ids') ?? '').split(',').filter(Boolean);
  const d = await getJson<{ runs: RunJson[]; metric_histories: Record<string, Record<string, History>> }>(`/api/compare?run_ids=${encodeURIComponent(ids.join(','))}`, ctx.signal);
  document.title = `Compare ${d.runs.length} runs · grove`;
  const runs = d.runs;
  const head = h(
    'tr',
    null,
    h('th', null, ''),
    runs.map((r, i) => h('th', null, h('span', { class: 'swatch', style: `background:${seriesColor(i)}` }), link(`/runs/${r.run_id}`, r.run_name))),
  );
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = orderMetricKeys(new Set(runs.flatMap((r) => Object.keys(r.metrics))));

  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff' });
  onlyDiff.checked = true;
  const paramRows = paramKeys.map((k) => {
    const vals = runs.map((r) => r.params[k]);
    const differs = new Set(vals).size > 1;
    return h(
      'tr',
      { class: differs ? 'differs' : 'same' },
      h('th', null, k),
      vals.map((v) => h('td', { title: v ?? '' }, v === undefined ? '—' : v.length > 40 ? `${v.slice(0, 39)}…` : v)),
    );
  });
  const paramTable = h('table', { class: 'grid compare only-diff', id: 'params' }, h('thead', null, head.cloneNode(true)), h('tbody', null, paramRows));
  onlyDiff.addEventListener('change', () => paramTable.classList.toggle('only-diff', onlyDiff.checked));
  const nDiff = paramRows.filter((r) => r.classList.contains('differs')).length;

  const metricRows = metricKeys.map((k) => {
    const vals = runs.map((r) => r.metrics[k]);
    const finite = vals.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const best = finite.length > 1 && isScore(k) ? (higherIsBetter(k) ? Math.max(...finite) : Math.min(...finite)) : null;
    return h(
      'tr',
      null,
      h('th', null, k),
      vals.map((v) => h('td', { class: `num${v === best ? ' best' : ''}` }, fmtMetric(k, v))),
    );
  });

  const curveKeys = [...new Set(Object.values(d.metric_histories).flatMap((m) => Object.keys(m)))].sort();
  const charts = curveKeys.slice(0, MAX_CHARTS).map((k) => {
    const series = runs.map((r, i) => {
      const hist = d.metric_histories[r.run_id]?.[k] ?? [];
      return { label: r.run_name, x: hist.map((p) => p[0]), y: hist.map((p) => p[1]), color: seriesColor(i) };
    });
    return h(
      'figure',
      null,
      h('figcaption', null, k),
      lineChart(
        series.filter((s) => s.x.length > 0),
        { xLabel: 'step', yLabel: k, height: 220, legendMax: 10 },
      ),
    );
  });

  // each score as a point per selected run (x = the run's column), even without histories
  const x = runs.map((_, i) => i + 1);
  const scores = metricKeys
    .filter(isScore)
    .slice(0, MAX_CHARTS)
    .map((k) =>
      h(
        'figure',
        null,
        h('figcaption', null, k),
        lineChart([{ label: k, x, y: runs.map((r) => r.metrics[k] ?? null), pointsOnly: runs.length > 20 }], { xLabel: 'run (column)', yLabel: k, height: 200, integerX: true }),
      ),
    );

  add(
    ctx.root,
    h('p', { class: 'crumbs' }, link('/', 'Experiments'), ' / '),
    h('h1', null, `Compare ${runs.length} runs`),
    section('Params', h('label', { class: 'inline' }, onlyDiff, ` only the ${nDiff} that differ (of ${paramKeys.length})`), h('div', { class: 'scroll' }, paramTable)),
    section('Metrics', h('div', { class: 'scroll' }, h('table', { class: 'grid compare', id: 'metrics' }, h('thead', null, head), h('tbody', null, metricRows)))),
    scores.length ? section('Scores by run', h('div', { class: 'chart-grid', id: 'scores' }, scores)) : null,
    charts.length ? section('Metric histories', h('div', { class: 'chart-grid', id: 'overlays' }, charts)) : null,
  );
}
