import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, parseTrackingUri, trackingUriFrom } from '../../src/track/tracking-uri.js';
import { rejectsWith } from './conformance.js';

test('the flag wins, then GROVE_TRACKING_URI, then ./grove.db', () => {
  assert.equal(trackingUriFrom('sqlite:a.db', { GROVE_TRACKING_URI: 'b.db' }), 'sqlite:a.db');
  assert.equal(trackingUriFrom(undefined, { GROVE_TRACKING_URI: 'b.db' }), 'b.db');
  assert.equal(trackingUriFrom(undefined, { GROVE_TRACKING_URI: '' }), './grove.db');
  assert.equal(trackingUriFrom(undefined, {}), './grove.db');
});

test('accepts sqlite:<path>, sqlite:///<abs path> and plain paths', () => {
  assert.deepEqual(parseTrackingUri('sqlite:runs.db'), { kind: 'sqlite', path: 'runs.db' });
  assert.deepEqual(parseTrackingUri('sqlite:/tmp/runs.db'), { kind: 'sqlite', path: '/tmp/runs.db' });
  assert.deepEqual(parseTrackingUri('sqlite:///tmp/runs.db'), { kind: 'sqlite', path: '/tmp/runs.db' });
  assert.deepEqual(parseTrackingUri('./grove.db'), { kind: 'sqlite', path: './grove.db' });
  assert.deepEqual(parseTrackingUri('/data/grove.db'), { kind: 'sqlite', path: '/data/grove.db' });
  assert.deepEqual(parseTrackingUri('postgresql://u:p@h/db'), { kind: 'postgres', url: 'postgresql://u:p@h/db' });
  assert.throws(() => parseTrackingUri('sqlite:'), /has no path/);
  assert.throws(() => parseTrackingUri('sqlite://host/x.db'), /sqlite:\/\/\/<absolute path>/);
  assert.throws(() => parseTrackingUri('mysql://h/db'), /scheme "mysql:" is not supported/);
  assert.throws(() => parseTrackingUri(''), /empty tracking URI/);
});

test('postgres URIs open a PostgresStore; an unreachable server is a STORE_ERROR with the password hidden', async () => {
  for (const uri of ['postgres://user:secret@127.0.0.1:1/grove', 'postgresql://user:secret@127.0.0.1:1/grove?schema=x']) {
    await rejectsWith(openStore(uri), 'STORE_ERROR', /cannot reach the PostgreSQL server/);
    await assert.rejects(openStore(uri), (err: Error) => !err.message.includes('secret') && err.message.includes('user:***@'));
  }
  await rejectsWith(openStore('postgres://127.0.0.1:1/grove?schema=no-dashes'), 'INVALID_URI', /schema "no-dashes"/);
});

test('openStore opens SQLite files; create: false does not create one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-turi-'));
  const path = join(dir, 'x.db');
  await rejectsWith(openStore(`sqlite:${path}`, { create: false }), 'NOT_FOUND', /no tracking store/);
  assert.equal(existsSync(path), false);
  const store = await openStore(`sqlite://${path}`);
  assert.equal(store.location, `sqlite:${path}`);
  await store.close();
  const again = await openStore(path, { create: false });
  await again.close();
});
