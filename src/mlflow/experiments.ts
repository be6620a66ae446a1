// experiments/create, get, get-by-name, search, set-experiment-tag.
import type { Experiment, Store } from '../track/store.js';
import { experimentJson } from './entities.js';
import { compileEntityFilter, compileEntityOrder, type EntityFields } from './entity-filter.js';
import { MlflowError, invalidParameter } from './errors.js';
import { fieldOf, pageOf, slicePage, type RequestFields } from './request.js';
import type { Route } from './route.js';

const numericId = (e: Experiment) => (/^\d+$/.test(e.experimentId) ? Number(e.experimentId) : e.experimentId);

const EXPERIMENT_FIELDS: EntityFields<Experiment> = {
  what: 'experiments',
  attributes: {
    name: (e) => e.name,
    experiment_id: numericId,
    creation_time: (e) => e.createdTime,
    last_update_time: (e) => e.createdTime,
  },
  tags: (e) => e.tags,
};

/** [{key, value}] of a request as a record; keys must be non-empty */
export function tagsOf(fields: RequestFields, name = 'tags'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of fields.objects(name)) {
    const value = t.value ?? '';
    if (typeof value !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(value)} for parameter '${name}.value' supplied: it must be a string`);
    tags[fieldOf(t, 'key', name)] = value;
  }
  return tags;
}

/** MLflow clients send experiment "0", MLflow's default experiment, when none is set; grove's
 *  ids start at 1, so "0" is grove's experiment Default (created on first use) */
export const MLFLOW_DEFAULT_EXPERIMENT_ID = '0';

export async function resolveExperimentId(store: Store, id: string): Promise<string> {
  return id === MLFLOW_DEFAULT_EXPERIMENT_ID ? (await store.getOrCreateExperiment('Default')).experimentId : id;
}

// grove has no deleted experiments: every view type lists the same ones, except DELETED_ONLY
const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

export function viewTypeOf(fields: RequestFields, name: string): string {
  const v = fields.string(name) ?? 'ACTIVE_ONLY';
  const named = /^\d+$/.test(v) ? VIEW_TYPES[Number(v) - 1] : v.toUpperCase();
  if (!named || !VIEW_TYPES.includes(named)) throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: expected one of ${VIEW_TYPES.join(', ')}`);
  return named;
}

export const EXPERIMENT_ROUTES: Route[] = [
  {
    verb: 'POST',
    path: 'experiments/create',
    conflict: 'RESOURCE_ALREADY_EXISTS',
    async handle(store, f) {
      const exp = await store.createExperiment(f.requiredString('name'), tagsOf(f));
      return { experiment_id: exp.experimentId };
    },
  },
  {
    verb: 'GET',
    path: 'experiments/get',
    async handle(store, f) {
      return { experiment: experimentJson(await store.getExperiment(await resolveExperimentId(store, f.requiredString('experiment_id')))) };
    },
  },
  {
    verb: 'GET',
    path: 'experiments/get-by-name',
    async handle(store, f) {
      const name = f.requiredString('experiment_name');
      const exp = await store.getExperimentByName(name);
      if (!exp) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { experiment: experimentJson(exp) };
    },
  },
  ...(['GET', 'POST'] as const).map(
    (verb): Route => ({
      verb,
      path: 'experiments/search',
      async handle(store, f) {
        const page = pageOf(f, 1000, 50_000);
        const match = compileEntityFilter(f.string('filter'), EXPERIMENT_FIELDS);
        // MLflow's default order: newest first, then by id
        const order = compileEntityOrder(f.strings('order_by'), EXPERIMENT_FIELDS, (a, b) => b.createdTime - a.createdTime || Number(a.experimentId) - Number(b.experimentId));
        const view = viewTypeOf(f, 'view_type');
        const all = view === 'DELETED_ONLY' ? [] : (await store.listExperiments()).filter(match).sort(order);
        const { items, next } = slicePage(all, page);
        return { experiments: items.map(experimentJson), ...(next ? { next_page_token: next } : {}) };
      },
    }),
  ),
  {
    verb: 'POST',
    path: 'experiments/set-experiment-tag',
    async handle(store, f) {
      await store.setExperimentTag(await resolveExperimentId(store, f.requiredString('experiment_id')), f.requiredString('key'), f.string('value') ?? '');
      return {};
    },
  },
];
