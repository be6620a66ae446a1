// metrics/get-history: every logged value of one metric of one run, paged.
import { metricJson } from './entities.js';
import { decodePageToken, pageOf, slicePage } from './request.js';
import type { Route } from './route.js';

export const METRIC_ROUTES: Route[] = [
  {
    verb: 'GET',
    path: 'metrics/get-history',
    async handle(store, f) {
      const runId = f.runId();
      const key = f.requiredString('metric_key');
      // without max_results, MLflow answers the whole history
      const page = f.has('max_results') ? pageOf(f, 25_000, 25_000) : { max: Infinity, offset: decodePageToken(f.string('page_token')) };
      const { items, next } = slicePage(await store.getMetricHistory(runId, key), page);
      return { metrics: items.map(metricJson), ...(next ? { next_page_token: next } : {}) };
    },
  },
];
