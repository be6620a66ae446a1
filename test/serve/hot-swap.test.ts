// models:/<name>@<alias> follows the alias: moved mid-traffic (by a new train with --alias, then by
// grove models set-alias), the server swaps versions with no failed request, and every response
// is exactly the prediction of the version its header names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODEL_VERSION_HEADER, startServer } from '../../src/serve/server.js';
import { FEATURES, diabetesRows, groveAsync, predictWithCli, tempDir, trainRegistered } from './helpers.js';

test('an alias moved mid-traffic is picked up within --poll-seconds and no request fails', async (t) => {
  const dir = tempDir();
  const db = join(dir, 'grove.db');
  assert.equal(trainRegistered(db, 'h', 20), 1);
  const lines: string[] = [];
  const server = await startServer('models:/h@production', { port: 0, trackingUri: db, pollSeconds: 1, log: (l) => lines.push(l) });
  const small = diabetesRows(3);
  const large = diabetesRows(2000); // over the synchronous fast path: scored async, in flight across swaps
  const bodies = [small, large].map((rows) => JSON.stringify({ dataframe_split: { columns: FEATURES, data: rows } }));
  const seen: { kind: number; status: number; version: string | null; predictions: number[] }[] = [];
  let stop = false;
  const client = async (kind: number) => {
    while (!stop) {
      const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: bodies[kind] });
      const json = (await res.json()) as { predictions: number[] };
      seen.push({ kind, status: res.status, version: res.headers.get(MODEL_VERSION_HEADER), predictions: json.predictions });
    }
  };
  const waitFor = async (version: string) => {
    const deadline = Date.now() + 15_000;
    while (!seen.slice(-8).every((s) => s.version === version)) {
      assert.ok(Date.now() < deadline, `version ${version} never answered`);
      await sleep(50);
    }
  };
  const clients = [0, 0, 0, 1, 1].map((k) => client(k));
  try {
    await sleep(500);
    const train = await groveAsync('train', 'diabetes', '--trees', '10', '--seed', '7', '--register', 'h', '--alias', 'production', '--tracking-uri', db, '--json');
    assert.equal(train.status, 0, train.stderr);
    await waitFor('2');
    const back = await groveAsync('models', 'set-alias', 'h', 'production', '1', '--tracking-uri', db);
    assert.equal(back.status, 0, back.stderr);
    await waitFor('1');
    await sleep(300);
  } finally {
    stop = true;
    await Promise.all(clients);
    await server.close();
  }
  t.diagnostic(`${seen.length} requests; versions in order of answers: ${compress(seen.map((s) => s.version))}`);
  assert.deepEqual(
    seen.filter((s) => s.status !== 200),
    [],
    'no request failed',
  );
  assert.ok(lines.some((l) => /moved from version 1 to 2/.test(l)) && lines.some((l) => /moved from version 2 to 1/.test(l)), lines.join('\n'));
  // every answer is the exact prediction of the version it names (nothing mixed mid-request)
  const expected: Record<string, number[][]> = {};
  for (const v of ['1', '2']) expected[v] = [small, large].map((rows) => predictWithCli(dir, `models:/h/${v}`, db, rows));
  assert.notDeepEqual(expected['1'][0], expected['2'][0], 'the two versions predict differently');
  for (const s of seen) assert.deepEqual(s.predictions, expected[s.version!][s.kind], `version ${s.version}, kind ${s.kind}`);
  assert.ok(
    seen.some((s) => s.version === '2' && s.kind === 1),
    'large requests ran on version 2 as well',
  );
});

function compress(xs: (string | null)[]): string {
  const out: string[] = [];
  for (const x of xs)
    if (out[out.length - 1]?.split('x')[0] !== String(x)) out.push(`${x}x1`);
    else out[out.length - 1] = `${x}x${Number(out[out.length - 1].split('x')[1]) + 1}`;
  return out.join(' ');
}
