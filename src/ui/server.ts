// The `grove ui` HTTP server: the static front-end and the read-only JSON API. Errors answer
// {"error": {"code", "message"}} with 400 (bad parameter or filter), 404 (unknown id) or 500;
// never a stack trace.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GroveError } from '../errors.js';
import type { Store } from '../track/store.js';
import { Api, type ApiResult } from './api.js';
import { STATIC_DIR, ensureBundle } from './bundle.js';

export const UI_DEFAULTS = { host: '127.0.0.1', port: 5050 } as const;

export interface UiServerOptions {
  host?: string;
  port?: number;
  /** where messages go (default: nowhere) */
  log?: (line: string) => void;
}

export interface UiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const STATIC: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

// scripts only from this server: even a string that slipped into markup could not run
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function statusOf(err: unknown): number {
  if (!(err instanceof GroveError)) return 500;
  if (err.code === 'NOT_FOUND') return 404;
  if (err.code === 'INVALID_OPTION' || err.code === 'INVALID_URI' || err.code === 'INVALID_DATA') return 400;
  return 500;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: { code, message } }));
}

function sendResult(res: ServerResponse, result: ApiResult): void {
  if ('json' in result) send(res, 200, 'application/json; charset=utf-8', JSON.stringify(result.json));
  else void sendChunks(res, result);
}

/** A download streamed chunk by chunk (a model of several GB is never one Buffer), with backpressure. */
async function sendChunks(res: ServerResponse, result: { chunks: AsyncIterable<Buffer>; size: number; filename: string }): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': result.size,
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
    'content-disposition': `attachment; filename="${result.filename}"`,
  });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    for await (const c of result.chunks) if (!res.write(c)) await once(res, 'drain');
    res.end();
  } catch {
    res.destroy(); // headers are gone: a cut connection is the only honest answer
  }
}

/** Starts serving `store` (which the caller keeps and closes). */
export async function startUiServer(store: Store, options: UiServerOptions = {}): Promise<UiServer> {
  const host = options.host ?? UI_DEFAULTS.host;
  const built = await ensureBundle();
  if (built > 0) options.log?.(`grove: built the dashboard bundle in ${built} ms`);
  const api = new Api(store);
  const loopbackOnly = LOOPBACK.has(host);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: the dashboard is read-only`);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    // on loopback, answer only names of this machine (a rebound DNS name cannot read the API)
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopbackOnly && !LOOPBACK.has(hostName)) return sendError(res, 403, 'FORBIDDEN', `host ${JSON.stringify(hostName)} is not allowed`);
    if (url.pathname.startsWith('/api/')) {
      try {
        const result = await api.handle(url.pathname, url.searchParams);
        if (!result) return sendError(res, 404, 'NOT_FOUND', `no API endpoint ${url.pathname}`);
        return sendResult(res, result);
      } catch (err) {
        const status = statusOf(err);
        const code = err instanceof GroveError ? err.code : 'INTERNAL';
        const message = status === 500 && !(err instanceof GroveError) ? 'internal error' : (err as Error).message;
        if (status === 500) options.log?.(`grove ui: ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
        return sendError(res, status, code, message);
      }
    }
    const file = STATIC[url.pathname];
    if (file) return send(res, 200, file[1], await readFile(join(STATIC_DIR, file[0])));
    if (url.pathname === '/favicon.ico') return send(res, 204, 'text/plain', '');
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      options.log?.(`grove ui: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? UI_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
