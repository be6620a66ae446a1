// A run: params, metrics with their histories as line charts, tags, the model's feature
// importances, a classifier's confusion matrix and ROC curve (binary), artifacts to download,
// and the model versions registered from it.
import { getJson } from '../api.js';
import { add, h, keyValueTable, link, section } from '../dom.js';
import { fmtBytes, fmtDuration, fmtMetric, fmtTime, timeEl } from '../format.js';
import { barChart } from '../charts/bars.js';
import { lineChart } from '../charts/line.js';
import { confusionMatrixTable } from '../charts/confusion.js';
import { rocChart, rocTitle } from '../charts/roc.js';
import { orderMetricKeys } from '../metric-keys.js';
import type { PageContext } from '../router.js';
import type { RunDetail } from '../../api-types.js';

const MAX_CHARTS = 12;

export async function runPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0];
  const d = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`, ctx.signal);
  const r = d.run;
  document.title = `${r.run_name} · grove`;
  const sortedKeys = (o: Record<string, unknown>) => Object.keys(o).sort();

  const facts: [string, Node | string][] = [
    ['Run id', h('code', null, r.run_id)],
    ['Experiment', link(`/experiments/${encodeURIComponent(r.experiment_id)}`, r.experiment_name)],
    ['Status', h('span', { class: `badge ${r.status.toLowerCase()}` }, r.status.toLowerCase())],
    ['Started', h('span', null, timeEl(r.start_time), ` (${fmtTime(r.start_time)})`)],
    ['Duration', fmtDuration(r.start_time, r.end_time)],
    ['Host', `${r.host} (pid ${r.pid})`],
  ];
  if (d.task) facts.push(['Task', d.task]);
  const classes = d.model?.classes;
  if (classes)
    facts.push([
      'Classes',
      h('span', { class: 'wrap', id: 'classes' }, classes.length > 20 ? `${classes.slice(0, 20).map(String).join(', ')}, … (${classes.length})` : classes.map(String).join(', ')),
    ]);
  if (r.parent_run_id) facts.push(['Parent run', link(`/runs/${r.parent_run_id}`, r.parent_run_id)]);
  if (d.is_study) facts.push(['Study', link(`/studies/${r.run_id}`, 'optimisation history, hyperparameters, timeline')]);
  else if (r.tags['grove.type'] === 'trial' && r.parent_run_id) facts.push(['Study', link(`/studies/${r.parent_run_id}`, `trial ${r.tags['grove.trial'] ?? ''} of the study`)]);

  const curves = sortedKeys(d.metric_histories).filter((k) => d.metric_histories[k].length > 1);
  const charts = curves.slice(0, MAX_CHARTS).map((k) => {
    const hist = d.metric_histories[k];
    return h('figure', null, h('figcaption', null, k), lineChart([{ label: k, x: hist.map((p) => p[0]), y: hist.map((p) => p[1]) }], { xLabel: 'step', yLabel: k, height: 200 }));
  });

  const importances = d.model ? d.model.feature_names.map((label, i) => ({ label, value: d.model!.feature_importances[i] ?? 0 })).sort((a, b) => b.value - a.value) : [];

  add(
    ctx.root,
    h('p', { class: 'crumbs' }, link('/', 'Experiments'), ' / ', link(`/experiments/${encodeURIComponent(r.experiment_id)}`, r.experiment_name), ' / '),
    h('h1', null, r.run_name),
    h(
      'div',
      { class: 'cols' },
      section('Run', keyValueTable(facts)),
      section(
        'Metrics',
        keyValueTable(
          orderMetricKeys(Object.keys(r.metrics)).map((k) => [k, fmtMetric(k, r.metrics[k])]),
          'no metrics',
        ),
      ),
    ),
    charts.length
      ? section(
          'Metric histories',
          h('div', { class: 'chart-grid', id: 'histories' }, charts),
          curves.length > MAX_CHARTS ? h('p', { class: 'muted' }, `${curves.length - MAX_CHARTS} more metrics with histories not drawn`) : null,
        )
      : null,
    h(
      'div',
      { class: 'cols' },
      section(
        'Params',
        keyValueTable(
          sortedKeys(r.params).map((k) => [k, h('span', { class: 'wrap' }, r.params[k])]),
          'no params',
        ),
      ),
      section(
        'Tags',
        keyValueTable(
          sortedKeys(r.tags).map((k) => [k, h('span', { class: 'wrap' }, r.tags[k])]),
          'no tags',
        ),
      ),
    ),
    d.confusion_matrix || d.roc_curve
      ? h(
          'div',
          { class: 'cols', id: 'evaluation' },
          d.confusion_matrix ? section('Confusion matrix', confusionMatrixTable(d.confusion_matrix)) : null,
          d.roc_curve ? section(h('span', { id: 'roc-title' }, rocTitle(d.roc_curve)), rocChart(d.roc_curve)) : null,
        )
      : null,
    importances.length
      ? section(
          `Feature importances (${d.model!.n_trees} trees${d.model!.target_name ? `, target ${d.model!.target_name}` : ''})`,
          h('div', { id: 'importances' }, barChart(importances, 'feature importances')),
        )
      : null,
    section(
      'Artifacts',
      d.artifacts.length
        ? h(
            'table',
            { class: 'grid' },
            h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', { class: 'num' }, 'Size'), h('th', null, 'sha256'), h('th', null, ''))),
            h(
              'tbody',
              null,
              d.artifacts.map((a) =>
                h(
                  'tr',
                  null,
                  h('td', null, a.name),
                  h('td', { class: 'num' }, fmtBytes(a.size)),
                  h('td', null, h('code', { title: a.sha256 }, a.sha256.slice(0, 12))),
                  h('td', null, h('a', { href: `/api/runs/${encodeURIComponent(r.run_id)}/artifacts/${encodeURIComponent(a.name)}`, download: '', class: 'download' }, 'Download')),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'no artifacts'),
    ),
    section(
      'Model versions from this run',
      d.model_versions.length
        ? h(
            'ul',
            { class: 'plain' },
            d.model_versions.map((v) =>
              h(
                'li',
                null,
                link(`/models/${encodeURIComponent(v.name)}`, `${v.name} v${v.version}`),
                v.aliases.length ? [' ', v.aliases.map((a) => h('span', { class: 'chip' }, `@${a}`))] : null,
                ' · ',
                timeEl(v.created_time),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'none registered'),
    ),
  );
}
