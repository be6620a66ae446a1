// The scoring server: Node's own http module (a router of five paths needs no framework, and
// every microsecond of a single-row request is ours to account for; see bench/serve.ts).
//   POST /invocations   JSON (four MLflow shapes) or CSV -> {"predictions": [...]}: numbers from a
//                       regressor; class labels from a classifier, or one array of class
//                       probabilities per row with "params": {"predict_method": "predict_proba"}
//   GET  /ping, /health 200 while a model is loaded (503 once shutting down)
//   GET  /version       the bare version string (grove's), as MLflow's server answers its own
//   GET  /metadata      which model answers (name, version, alias, run, sha256, task, classes) and the grove version
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { applyPreprocessing } from '../data/index.js';
import { argmaxRows, decodeLabels, type Label } from '../labels.js';
import { GROVE_VERSION } from '../version.js';
import { closeGracefully, listen, urlOf } from '../http/listen.js';
import { SERVE_DEFAULTS } from '../constants.js';
import { bodyKindOf } from './content-type.js';
import { HttpError, badRequest, errorBody, toHttpError } from './http-error.js';
import type { LoadModelOptions } from './load-model.js';
import { requestInput } from './request-input.js';
import { ModelSlot, loadServedModel, type ServedModel } from './served-model.js';

export const MODEL_VERSION_HEADER = 'X-Grove-Model-Version';

export interface ServerOptions extends LoadModelOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  maxBodyBytes?: number;
  pollSeconds?: number;
  /** batches up to this many rows are scored synchronously on the event loop (default SERVE_DEFAULTS.syncMaxRows, 0: never) */
  syncMaxRows?: number;
  /** server log lines (default: stderr) */
  log?: (line: string) => void;
}

export interface RunningServer {
  host: string;
  port: number;
  url: string;
  slot: ModelSlot;
  /** requests being handled right now */
  inFlight(): number;
  /** Graceful: stop accepting, let requests in flight finish, then resolve. */
  close(): Promise<void>;
}

const ROUTES: Record<string, readonly string[]> = {
  '/invocations': ['POST'],
  '/ping': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/version': ['GET', 'HEAD'],
  '/metadata': ['GET', 'HEAD'],
};

export async function startServer(uri: string, options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  const maxBody = options.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes;
  const loadOptions: LoadModelOptions = { trackingUri: options.trackingUri, backend: options.backend, threads: options.threads };
  const slot = new ModelSlot(await loadServedModel(uri, loadOptions));
  let inFlight = 0;
  let closing = false;

  const server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
    });
    if (closing) {
      res.setHeader('Connection', 'close');
      res.on('finish', () => setImmediate(() => server.closeIdleConnections()));
    }
    handle(req, res).catch((err: unknown) => {
      const e = toHttpError(err);
      if (e.status >= 500) log(`grove: error on ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendError(res, e);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const methods = ROUTES[path];
    if (!methods) {
      throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${JSON.stringify(path)}; this server answers POST /invocations, GET /ping, /health, /version and /metadata`);
    }
    const method = req.method ?? 'GET';
    if (!methods.includes(method)) {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${methods.join(' or ')}`, { Allow: methods.join(', ') });
    }
    if (path === '/invocations') return invocations(req, res);
    if (path === '/version') return sendText(res, 200, GROVE_VERSION);
    if (path === '/metadata') return sendJson(res, 200, metadataOf(slot.current));
    if (closing) throw new HttpError(503, 'TEMPORARILY_UNAVAILABLE', 'the server is shutting down');
    sendJson(res, 200, { status: 'ok', model_version: slot.current.label });
  }

  async function invocations(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const kind = bodyKindOf(req.headers['content-type']);
    const body = await readBody(req, maxBody);
    const model = slot.current; // this request stays on this model, whatever a swap does meanwhile
    const { data, params } = requestInput(body, kind, model);
    const forest = model.model;
    if (params.predictMethod === 'predict_proba' && forest.task !== 'classification') {
      throw badRequest(`params.predict_method "predict_proba" needs a classifier, and the model served here is a regressor (leave predict_method out, or use "predict")`);
    }
    const applied = applyPreprocessing(data, model.preprocessing, { noteExtraColumns: false });
    if (applied.rows === 0) throw badRequest('the request has no rows to score');
    const sync = applied.rows <= (options.syncMaxRows ?? SERVE_DEFAULTS.syncMaxRows);
    let text: string;
    if (forest.task === 'classification') {
      const proba = sync ? forest.predictProbaSync(applied.x) : await forest.predictProba(applied.x);
      const k = forest.classes.length;
      // the labels are the arg-max of the probabilities (ties to the first class), as predict gives
      text = params.predictMethod === 'predict_proba' ? probaJson(proba, k) : labelsJson(decodeLabels(argmaxRows(proba, k), forest.classes));
    } else {
      text = predictionsJson(sync ? forest.predictSync(applied.x) : await forest.predict(applied.x));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), [MODEL_VERSION_HEADER]: model.label });
    res.end(text);
  }

  server.keepAliveTimeout = 5000;
  const address = await listen(server, options.port ?? SERVE_DEFAULTS.port, options.host ?? SERVE_DEFAULTS.host);
  slot.watch(uri, { ...loadOptions, pollSeconds: options.pollSeconds ?? SERVE_DEFAULTS.pollSeconds, log });

  let closed: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
    url: urlOf(address),
    slot,
    inFlight: () => inFlight,
    close(): Promise<void> {
      if (!closed) {
        closing = true;
        const stopped = slot.stop();
        closed = closeGracefully(server, SERVE_DEFAULTS.shutdownGraceMs).then(() => stopped);
      }
      return closed;
    },
  };
}

/** The whole body, or 413 as soon as it is known to be over the limit. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, 'RESOURCE_EXHAUSTED', `the request body is over the limit of ${max} bytes (grove serve --max-body)`);
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** {"predictions":[...]}: numbers as JSON.stringify writes them (a forest never predicts NaN). */
function predictionsJson(p: Float64Array): string {
  let s = '{"predictions":[';
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    s += (i > 0 ? ',' : '') + (Number.isFinite(v) ? String(v) : 'null');
  }
  return s + ']}';
}

/** {"predictions":["a","b",...]}: class labels as JSON values (strings, numbers, booleans). */
function labelsJson(labels: Label[]): string {
  return `{"predictions":${JSON.stringify(labels)}}`;
}

/** {"predictions":[[p0,p1,...],...]}: one array per row, in class order (the model's classes). */
function probaJson(p: Float64Array, k: number): string {
  let s = '{"predictions":[';
  for (let i = 0; i < p.length; i += k) {
    s += i > 0 ? ',[' : '[';
    for (let c = 0; c < k; c++) s += (c > 0 ? ',' : '') + String(p[i + c]);
    s += ']';
  }
  return s + ']}';
}

function metadataOf(m: ServedModel): Record<string, unknown> {
  const s = m.source;
  return {
    model_uri: s.uri,
    model_name: s.modelName,
    model_version: s.version,
    model_alias: s.alias,
    run_id: s.runId,
    sha256: s.sha256,
    loaded_at: m.loadedAt.toISOString(),
    backend: m.model.backend,
    task: m.model.task,
    classes: m.model.task === 'classification' ? m.model.classes : null,
    grove_version: GROVE_VERSION,
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // a body left unread (413, 415) is not worth draining: answer, then close the connection
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', ...err.headers };
  if (!res.req.complete) headers.Connection = 'close';
  const text = errorBody(err);
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(err.status, headers);
  res.end(text);
}
