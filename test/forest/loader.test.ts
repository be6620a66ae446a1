// The one loader: override variable, fallback on a binary that cannot load, one warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, loadNativeFrom, nativeCandidates } from '../../src/forest/native.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const grove = join(root, 'bin', 'grove.js');

test('GROVE_NATIVE_PATH names the only candidate', () => {
  assert.deepEqual(nativeCandidates(root, { GROVE_NATIVE_PATH: '/x/y.node' }), ['/x/y.node']);
  const defaults = nativeCandidates(root, {});
  assert.equal(defaults[defaults.length - 1], join(root, 'build', 'Release', 'grove.node'));
});

test('the override loads the given binary', () => {
  const path = loadNative().path!;
  const load = loadNativeFrom(nativeCandidates(root, { GROVE_NATIVE_PATH: path }));
  assert.equal(load.path, path);
  assert.equal(typeof load.addon?.fit, 'function');
});

test('a corrupt binary is skipped with its reason, and the next candidate loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-loader-'));
  const corrupt = join(dir, 'grove.node');
  writeFileSync(corrupt, Buffer.from('this is not an ELF file'));
  const load = loadNativeFrom([corrupt, loadNative().path!]);
  assert.ok(load.addon);
  assert.match(load.errors[0], /grove\.node: .*(invalid ELF|file too short|not)/i);
});

test('with only a corrupt binary, grove runs on the pure-TS backend and warns once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-loader-'));
  const corrupt = join(dir, 'grove.node');
  writeFileSync(corrupt, Buffer.alloc(64, 7));
  const r = spawnSync(process.execPath, [grove, 'train', 'diabetes', '--trees', '5', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, GROVE_NATIVE_PATH: corrupt },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, 'js');
  const warnings = r.stderr.split('\n').filter((l) => l.includes('native engine unavailable'));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0], /grove\.node/);
});
