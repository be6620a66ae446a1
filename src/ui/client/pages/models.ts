// Models: every registered model with its versions (linked to their runs), current aliases,
// and the history of alias moves.
import { getJson } from '../api.js';
import { add, h, link, section } from '../dom.js';
import { fmtBytes, fmtTime, timeEl } from '../format.js';
import type { PageContext } from '../router.js';
import type { ModelJson } from '../../api-types.js';

function modelCard(m: ModelJson): HTMLElement {
  const aliases = Object.entries(m.aliases).sort(([a], [b]) => (a < b ? -1 : 1));
  return h(
    'section',
    { class: 'card model', id: `model-${m.name}` },
    h(
      'h2',
      null,
      link(`/models/${encodeURIComponent(m.name)}`, m.name),
      aliases.map(([a, v]) => h('span', { class: 'chip' }, `@${a} → v${v}`)),
    ),
    m.description ? h('p', null, m.description) : null,
    h('p', { class: 'muted' }, `${m.versions.length} version${m.versions.length === 1 ? '' : 's'} · updated `, timeEl(m.updated_time)),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Version'),
            h('th', null, 'Aliases'),
            h('th', null, 'Run'),
            h('th', null, 'Created'),
            h('th', { class: 'num' }, 'Size'),
            h('th', null, 'ONNX'),
            h('th', null, 'Description'),
          ),
        ),
        h(
          'tbody',
          null,
          [...m.versions].reverse().map((v) =>
            h(
              'tr',
              null,
              h('td', null, `v${v.version}`),
              h(
                'td',
                null,
                v.aliases.map((a) => h('span', { class: 'chip' }, `@${a}`)),
              ),
              h('td', null, link(`/runs/${v.run_id}`, h('code', null, v.run_id.slice(0, 8)))),
              h('td', null, timeEl(v.created_time)),
              h('td', { class: 'num' }, fmtBytes(v.size)),
              h(
                'td',
                null,
                v.onnx_url
                  ? h('a', { href: v.onnx_url, download: '', class: 'download onnx' }, 'Download .onnx')
                  : h('span', { class: 'muted', title: `grove models export models:/${v.name}/${v.version}` }, '—'),
              ),
              h('td', null, v.description),
            ),
          ),
        ),
      ),
    ),
    m.alias_history.length
      ? h(
          'details',
          null,
          h('summary', null, `Alias history (${m.alias_history.length} change${m.alias_history.length === 1 ? '' : 's'})`),
          h(
            'table',
            { class: 'grid' },
            h('thead', null, h('tr', null, h('th', null, 'When'), h('th', null, 'Alias'), h('th', null, 'Change'), h('th', null, 'Who'))),
            h(
              'tbody',
              null,
              [...m.alias_history]
                .reverse()
                .map((c) =>
                  h(
                    'tr',
                    null,
                    h('td', { title: fmtTime(c.time) }, timeEl(c.time)),
                    h('td', null, `@${c.alias}`),
                    h('td', null, c.old_version === null ? `created → v${c.new_version}` : c.new_version === null ? `v${c.old_version} → deleted` : `v${c.old_version} → v${c.new_version}`),
                    h('td', null, c.who),
                  ),
                ),
            ),
          ),
        )
      : null,
  );
}

export async function modelsPage(ctx: PageContext): Promise<void> {
  const name = ctx.params[0];
  if (name !== undefined) {
    const { model } = await getJson<{ model: ModelJson }>(`/api/models/${encodeURIComponent(name)}`, ctx.signal);
    document.title = `${model.name} · models · grove`;
    const card = modelCard(model);
    card.querySelector('details')?.setAttribute('open', '');
    add(ctx.root, h('p', { class: 'crumbs' }, link('/models', 'Models'), ' / '), h('h1', null, model.name), card);
    return;
  }
  document.title = 'Models · grove';
  const { models } = await getJson<{ models: ModelJson[] }>('/api/models', ctx.signal);
  add(
    ctx.root,
    h('h1', null, 'Models'),
    models.length ? models.map(modelCard) : section('No models', h('p', { class: 'muted' }, 'Register one with grove train --register <name> or grove tune --register <name>.')),
  );
}
