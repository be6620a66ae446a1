// Where the tracking store lives: --tracking-uri, else GROVE_TRACKING_URI, else ./grove.db.
import { GroveError } from '../errors.js';
import { redactUrl } from './postgres-connection.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export const DEFAULT_TRACKING_URI = './grove.db';
export const TRACKING_URI_ENV = 'GROVE_TRACKING_URI';

export type TrackingLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** The flag wins, then the environment, then ./grove.db. Empty strings count as unset. */
export function trackingUriFrom(flag?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const fromEnv = env[TRACKING_URI_ENV];
  return fromEnv ? fromEnv : DEFAULT_TRACKING_URI;
}

const ACCEPTED = 'sqlite:<path>, sqlite:///<absolute path>, a plain file path, or postgres://user:password@host:5432/database[?schema=name] (postgresql:// too)';

export function parseTrackingUri(uri: string): TrackingLocation {
  if (typeof uri !== 'string' || uri.trim() === '') throw new GroveError('INVALID_URI', `empty tracking URI; use ${ACCEPTED}`, { uri });
  if (/^postgres(ql)?:\/\//i.test(uri)) return { kind: 'postgres', url: uri };
  if (/^sqlite:/i.test(uri)) {
    let rest = uri.slice('sqlite:'.length);
    // sqlite:///abs/path (SQLAlchemy style) -> /abs/path; sqlite://host/... is not a thing
    if (rest.startsWith('///')) rest = rest.slice(2);
    else if (rest.startsWith('//')) throw new GroveError('INVALID_URI', `tracking URI ${JSON.stringify(uri)}: use sqlite:///<absolute path> or sqlite:<path>`, { uri });
    if (rest === '') throw new GroveError('INVALID_URI', `tracking URI ${JSON.stringify(uri)} has no path; use ${ACCEPTED}`, { uri });
    return { kind: 'sqlite', path: rest };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(uri);
  if (scheme) throw new GroveError('INVALID_URI', `tracking URI scheme "${scheme[1]}:" is not supported; use ${ACCEPTED}`, { uri });
  return { kind: 'sqlite', path: uri };
}

export interface OpenStoreOptions {
  /** create a missing SQLite file or PostgreSQL schema (default true); commands that only read pass false */
  create?: boolean;
}

export async function openStore(uri: string = trackingUriFrom(), options: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseTrackingUri(uri);
  // create: false on PostgreSQL refuses a database (or schema) without grove's tables
  if (loc.kind === 'postgres') return PostgresStore.open(loc.url, { create: options.create });
  return SqliteStore.open(loc.path, { create: options.create });
}

/** Hides a password in a connection URL before it reaches a message. */
export function redact(uri: string): string {
  return redactUrl(uri);
}
