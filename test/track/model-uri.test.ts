import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GroveError } from '../../src/errors.js';
import { parseModelUri, resolveModelBytes, uriNeedsStore } from '../../src/track/model-uri.js';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { rejectsWith } from './conformance.js';

const RUN = '0123456789abcdef0123456789abcdef';

function invalid(uri: string, why: RegExp) {
  assert.throws(
    () => parseModelUri(uri),
    (err: unknown) => {
      assert.ok(err instanceof GroveError);
      assert.equal(err.code, 'INVALID_URI');
      assert.match(err.message, why);
      // the accepted forms are listed
      for (const form of ['runs:/<run-id>/<artifact>', 'models:/<name>/<version>', 'models:/<name>@<alias>', 'models:/<name>/latest', 'model file']) {
        assert.ok(err.message.includes(form), `${form} missing from: ${err.message}`);
      }
      return true;
    },
  );
}

test('parses every accepted form into a typed record', () => {
  assert.deepEqual(parseModelUri(`runs:/${RUN}/model`), { kind: 'run', uri: `runs:/${RUN}/model`, runId: RUN, artifact: 'model' });
  assert.deepEqual(parseModelUri(`runs:/${RUN}/sub/dir/model.grove`), { kind: 'run', uri: `runs:/${RUN}/sub/dir/model.grove`, runId: RUN, artifact: 'sub/dir/model.grove' });
  assert.deepEqual(parseModelUri('models:/diabetes/3'), { kind: 'model-version', uri: 'models:/diabetes/3', name: 'diabetes', version: 3 });
  assert.deepEqual(parseModelUri('models:/diabetes@production'), { kind: 'model-alias', uri: 'models:/diabetes@production', name: 'diabetes', alias: 'production' });
  assert.deepEqual(parseModelUri('models:/diabetes/latest'), { kind: 'model-latest', uri: 'models:/diabetes/latest', name: 'diabetes' });
  assert.deepEqual(parseModelUri('models:/my.model-v2/12'), { kind: 'model-version', uri: 'models:/my.model-v2/12', name: 'my.model-v2', version: 12 });
  assert.deepEqual(parseModelUri('./model.grove'), { kind: 'file', uri: './model.grove', path: './model.grove' });
  assert.deepEqual(parseModelUri('/abs/model.grove'), { kind: 'file', uri: '/abs/model.grove', path: '/abs/model.grove' });
  assert.deepEqual(parseModelUri('model'), { kind: 'file', uri: 'model', path: 'model' });
  assert.equal(parseModelUri('C:\\models\\m.grove').kind, 'file');
  assert.deepEqual(parseModelUri('file:///tmp/m.grove'), { kind: 'file', uri: 'file:///tmp/m.grove', path: '/tmp/m.grove' });
  assert.equal(uriNeedsStore(parseModelUri('./m')), false);
  assert.equal(uriNeedsStore(parseModelUri('models:/m/1')), true);
});

test('rejects invalid and unknown forms with INVALID_URI listing the accepted ones', () => {
  invalid('models:/x', /needs a name and a version/);
  invalid('models:/', /needs a name/);
  invalid('models:/x/', /needs a name/);
  invalid('models:/x/0', /not a positive integer/);
  invalid('models:/x/1.5', /not a positive integer/);
  invalid('models:/x/-1', /not a positive integer/);
  invalid('models:/x/1/2', /needs a name/);
  invalid('models:/x@', /needs a name/);
  invalid('models:/x@latest', /reserved/);
  invalid('models:/bad name/1', /model name/);
  invalid('runs:/', /needs a run id and an artifact/);
  invalid(`runs:/${RUN}`, /needs a run id and an artifact/);
  invalid(`runs:/${RUN}/`, /needs a run id and an artifact/);
  invalid('runs:/abc/model', /not 32 hex digits/);
  invalid(`runs:/${RUN}/../secret`, /artifact name/);
  invalid('s3://bucket/model', /scheme "s3:" is not supported/);
  invalid('http://host/model', /scheme "http:"/);
  invalid('mlflow-artifacts:/x', /not supported/);
  invalid('', /empty/);
});

test('resolves a plain file path, and names a missing one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-uri-'));
  const file = join(dir, 'm.grove');
  writeFileSync(file, 'bytes on disk');
  const r = await resolveModelBytes(null, file);
  assert.equal(r.bytes.toString(), 'bytes on disk');
  assert.deepEqual([r.source.kind, r.source.path, r.source.runId, r.source.version], ['file', file, null, null]);
  assert.equal((await resolveModelBytes(null, pathToFileURL(file).href)).bytes.toString(), 'bytes on disk');
  await rejectsWith(resolveModelBytes(null, join(dir, 'missing.grove')), 'INVALID_FILE', /model file not found: .*missing\.grove/);
  mkdirSync(join(dir, 'adir'));
  await rejectsWith(resolveModelBytes(null, join(dir, 'adir')), 'INVALID_FILE', /not a file/);
  await rejectsWith(resolveModelBytes(null, 'models:/m/1'), 'INVALID_OPTION', /needs a tracking store/);
  await rejectsWith(resolveModelBytes(null, 'models:/m'), 'INVALID_URI');
});

test('resolves store URIs from a store copied to another place', async () => {
  // the database alone is the whole history: copy the file and every URI still resolves
  const dir = mkdtempSync(join(tmpdir(), 'grove-uri-'));
  const store = SqliteStore.open(join(dir, 'a.db'));
  const exp = await store.getOrCreateExperiment('Default');
  const run = await store.createRun({ experimentId: exp.experimentId });
  await store.logArtifact(run.runId, 'model', Buffer.from('portable'));
  await store.createModelVersion('m', { runId: run.runId });
  await store.setAlias('m', 'production', 1);
  await store.close();
  const { copyFileSync } = await import('node:fs');
  copyFileSync(join(dir, 'a.db'), join(dir, 'b.db'));
  const copy = SqliteStore.open(join(dir, 'b.db'));
  for (const uri of [`runs:/${run.runId}/model`, 'models:/m/1', 'models:/m@production', 'models:/m/latest']) {
    assert.equal((await resolveModelBytes(copy, uri)).bytes.toString(), 'portable', uri);
  }
  await copy.close();
});
