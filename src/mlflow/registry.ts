// The model registry: registered-models/create, get, search; model-versions/create, get, search;
// registered-models/alias (POST sets, DELETE deletes, GET resolves). grove keeps aliases only, no
// stages: current_stage is always "None".
import type { ModelVersion, RegisteredModel, Store } from '../track/store.js';
import { modelVersionJson, registeredModelJson } from './entities.js';
import { compileEntityFilter, compileEntityOrder, type EntityFields } from './entity-filter.js';
import { invalidParameter } from './errors.js';
import { tagsOf } from './experiments.js';
import { pageOf, slicePage, type RequestFields } from './request.js';
import type { Route } from './route.js';

const MODEL_FIELDS: EntityFields<RegisteredModel> = {
  what: 'registered models',
  attributes: {
    name: (m) => m.name,
    creation_timestamp: (m) => m.createdTime,
    last_updated_timestamp: (m) => m.updatedTime,
  },
  tags: (m) => m.tags,
};

const VERSION_FIELDS: EntityFields<ModelVersion> = {
  what: 'model versions',
  attributes: {
    name: (v) => v.name,
    version_number: (v) => v.version,
    run_id: (v) => v.runId,
    source_path: (v) => `runs:/${v.runId}/${v.artifact}`,
    creation_timestamp: (v) => v.createdTime,
    last_updated_timestamp: (v) => v.createdTime,
  },
  tags: (v) => v.tags,
};

function versionOf(fields: RequestFields): number {
  const text = fields.requiredString('version');
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw invalidParameter(`Parameter 'version' must be an integer, got '${text}'.`);
  return v;
}

async function modelJson(store: Store, m: RegisteredModel) {
  return registeredModelJson(m, m.latestVersion === null ? null : await store.getModelVersion(m.name, m.latestVersion));
}

/**
 * Which run artifact a new version points at. grove keeps a model's bytes in the run that logged
 * it, so `source` names a run artifact: runs:/<run_id>/<artifact>, or an artifact URI of that run
 * ending in .../artifacts/<artifact> (what MLflow clients send after resolving runs:/) with run_id.
 */
export function versionSource(source: string, runId: string | undefined): { runId: string; artifact: string } {
  const runs = /^runs:\/([^/]+)\/(.+)$/.exec(source);
  if (runs) {
    if (runId && runId !== runs[1]) throw invalidParameter(`source ${JSON.stringify(source)} names run ${runs[1]} but run_id is ${runId}`);
    return { runId: runs[1], artifact: runs[2] };
  }
  const cut = source.lastIndexOf('/artifacts/');
  if (runId && cut >= 0 && cut + 11 < source.length) return { runId, artifact: source.slice(cut + 11) };
  throw invalidParameter(
    `source ${JSON.stringify(source)}: grove registers artifacts stored in its runs; give runs:/<run_id>/<artifact>, or run_id with an artifact URI ending in /artifacts/<artifact>`,
  );
}

export const REGISTRY_ROUTES: Route[] = [
  {
    verb: 'POST',
    path: 'registered-models/create',
    conflict: 'RESOURCE_ALREADY_EXISTS',
    async handle(store, f) {
      const m = await store.createRegisteredModel(f.requiredString('name'), { description: f.string('description'), tags: tagsOf(f) });
      return { registered_model: await modelJson(store, m) };
    },
  },
  {
    verb: 'GET',
    path: 'registered-models/get',
    async handle(store, f) {
      return { registered_model: await modelJson(store, await store.getRegisteredModel(f.requiredString('name'))) };
    },
  },
  {
    verb: 'GET',
    path: 'registered-models/search',
    async handle(store, f) {
      const page = pageOf(f, 100, 1000);
      const match = compileEntityFilter(f.string('filter'), MODEL_FIELDS);
      const order = compileEntityOrder(f.strings('order_by'), MODEL_FIELDS, (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const all = (await store.listRegisteredModels()).filter(match).sort(order);
      const { items, next } = slicePage(all, page);
      return { registered_models: await Promise.all(items.map((m) => modelJson(store, m))), ...(next ? { next_page_token: next } : {}) };
    },
  },
  {
    verb: 'POST',
    path: 'model-versions/create',
    async handle(store, f) {
      const name = f.requiredString('name');
      const { runId, artifact } = versionSource(f.requiredString('source'), f.string('run_id') || undefined);
      await store.getRegisteredModel(name); // MLflow: the registered model must exist first
      const v = await store.createModelVersion(name, { runId, artifact, description: f.string('description'), tags: tagsOf(f) });
      return { model_version: modelVersionJson(v) };
    },
  },
  {
    verb: 'GET',
    path: 'model-versions/get',
    async handle(store, f) {
      return { model_version: modelVersionJson(await store.getModelVersion(f.requiredString('name'), versionOf(f))) };
    },
  },
  {
    verb: 'GET',
    path: 'model-versions/search',
    async handle(store, f) {
      const page = pageOf(f, 10_000, 200_000);
      const match = compileEntityFilter(f.string('filter'), VERSION_FIELDS);
      // MLflow's default order: newest first, then name, then highest version
      const order = compileEntityOrder(f.strings('order_by'), VERSION_FIELDS, (a, b) => b.createdTime - a.createdTime || (a.name < b.name ? -1 : a.name > b.name ? 1 : b.version - a.version));
      const models = await store.listRegisteredModels();
      const versions = (await Promise.all(models.map((m) => store.listModelVersions(m.name)))).flat();
      const { items, next } = slicePage(versions.filter(match).sort(order), page);
      return { model_versions: items.map(modelVersionJson), ...(next ? { next_page_token: next } : {}) };
    },
  },
  {
    verb: 'POST',
    path: 'registered-models/alias',
    async handle(store, f) {
      await store.setAlias(f.requiredString('name'), f.requiredString('alias'), versionOf(f));
      return {};
    },
  },
  {
    verb: 'DELETE',
    path: 'registered-models/alias',
    async handle(store, f) {
      await store.deleteAlias(f.requiredString('name'), f.requiredString('alias'));
      return {};
    },
  },
  {
    verb: 'GET',
    path: 'registered-models/alias',
    async handle(store, f) {
      return { model_version: modelVersionJson(await store.getModelVersionByAlias(f.requiredString('name'), f.requiredString('alias'))) };
    },
  },
];
