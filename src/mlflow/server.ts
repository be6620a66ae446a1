// `grove server`: MLflow's tracking REST API 2.0 (the part clients use, see README "MLflow
// tracking server") over a grove Store, so MLflow clients log to and read from grove's database.
//   /api/2.0/mlflow/<path>       the API (also under /ajax-api/2.0/mlflow/, where MLflow's UI calls it)
//   GET /health                  "OK"
//   GET /version                 the grove version, as text
// Node's own http module: a table of routes needs no framework.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MLFLOW_SERVER_DEFAULTS } from '../constants.js';
import type { Store } from '../track/store.js';
import { GROVE_VERSION } from '../version.js';
import { closeGracefully, listen, urlOf } from '../http/listen.js';
import { MlflowError, errorJson, toMlflowError } from './errors.js';
import { EXPERIMENT_ROUTES } from './experiments.js';
import { METRIC_ROUTES } from './metrics.js';
import { REGISTRY_ROUTES } from './registry.js';
import { RequestFields } from './request.js';
import type { Route } from './route.js';
import { RUN_ROUTES } from './runs.js';

export interface MlflowServerOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  maxBodyBytes?: number;
  /** where 500s are logged (default: nowhere) */
  log?: (line: string) => void;
}

export interface MlflowServer {
  url: string;
  server: Server;
  /** stop accepting, let requests in flight finish (up to a grace period), then resolve */
  close(): Promise<void>;
}

const API_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** path -> verb -> route */
function routeTable(): Map<string, Map<string, Route>> {
  const table = new Map<string, Map<string, Route>>();
  for (const r of [...EXPERIMENT_ROUTES, ...RUN_ROUTES, ...METRIC_ROUTES, ...REGISTRY_ROUTES]) {
    if (!table.has(r.path)) table.set(r.path, new Map());
    table.get(r.path)!.set(r.verb, r);
  }
  return table;
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendError(res: ServerResponse, err: MlflowError, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  send(res, err.status, 'application/json', errorJson(err), extra);
}

/** The whole body, or an error as soon as it is known to be over the limit. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new MlflowError('BAD_REQUEST', `the request body is over ${max} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new MlflowError('BAD_REQUEST', `the request body is over ${max} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** What MLflow's server requires of a POST: a JSON content type (charset allowed). */
function checkContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing: send application/json');
  if (type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Bad Request. Content-Type must be application/json (got ${JSON.stringify(type)})`);
  }
}

/** Starts answering MLflow's REST API over `store` (which the caller keeps and closes). */
export async function startMlflowServer(store: Store, options: MlflowServerOptions = {}): Promise<MlflowServer> {
  const host = options.host ?? MLFLOW_SERVER_DEFAULTS.host;
  const port = options.port ?? MLFLOW_SERVER_DEFAULTS.port;
  const maxBody = options.maxBodyBytes ?? MLFLOW_SERVER_DEFAULTS.maxBodyBytes;
  const routes = routeTable();
  const loopbackOnly = LOOPBACK.has(host);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    // on loopback, answer only names of this machine: a web page whose DNS name was rebound to
    // 127.0.0.1 must not be able to write to the store
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopbackOnly && !LOOPBACK.has(hostName)) throw new MlflowError('PERMISSION_DENIED', `host ${JSON.stringify(hostName)} is not allowed`);
    if (url.pathname === '/health' && (method === 'GET' || method === 'HEAD')) return send(res, 200, 'text/plain; charset=utf-8', 'OK');
    if (url.pathname === '/version' && (method === 'GET' || method === 'HEAD')) return send(res, 200, 'text/plain; charset=utf-8', GROVE_VERSION);
    const prefix = API_PREFIXES.find((p) => url.pathname.startsWith(p));
    const verbs = prefix ? routes.get(url.pathname.slice(prefix.length)) : undefined;
    if (!verbs) throw new MlflowError('ENDPOINT_NOT_FOUND', `No API endpoint ${url.pathname} (see README "MLflow tracking server" for what grove answers)`);
    const route = verbs.get(method);
    if (!route) {
      const allowed = [...verbs.keys()].join(', ');
      return sendError(res, new MlflowError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; use ${allowed}`), { allow: allowed });
    }
    let fields: RequestFields;
    if (method === 'GET') fields = RequestFields.fromQuery(url.searchParams);
    else if (method === 'DELETE' && [...url.searchParams.keys()].length > 0) fields = RequestFields.fromQuery(url.searchParams);
    else {
      const body = await readBody(req, maxBody);
      if (method === 'POST' || body.length > 0) checkContentType(req);
      fields = RequestFields.fromBody(body);
    }
    try {
      send(res, 200, 'application/json', JSON.stringify(await route.handle(store, fields)));
    } catch (err) {
      throw toMlflowError(err, route.conflict);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = toMlflowError(err);
      if (e.status >= 500) options.log?.(`grove server: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendError(res, e);
    });
  });
  server.keepAliveTimeout = 5000;
  const address = await listen(server, port, host);
  let closed: Promise<void> | null = null;
  return {
    url: urlOf(address),
    server,
    close(): Promise<void> {
      closed ??= closeGracefully(server, MLFLOW_SERVER_DEFAULTS.shutdownGraceMs);
      return closed;
    },
  };
}
