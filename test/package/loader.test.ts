// The loader's choice inside a package layout: prebuilds for this platform and C library,
// a local build that supersedes an older prebuild, a corrupt prebuild skipped for the local build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, loadNativeFrom, nativeCandidates, prebuildCandidates } from '../../src/forest/native.js';

const platformDir = `${process.platform}-${process.arch}`;

/** A package root with the given prebuild files (name -> bytes or 'addon') and maybe a local build. */
function packageRoot(prebuilds: Record<string, Buffer | 'addon'>, localBuild: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'grove-layout-'));
  const addon = loadNative().path!;
  mkdirSync(join(root, 'prebuilds', platformDir), { recursive: true });
  for (const [name, bytes] of Object.entries(prebuilds)) {
    const path = join(root, 'prebuilds', platformDir, name);
    if (bytes === 'addon') copyFileSync(addon, path);
    else writeFileSync(path, bytes);
  }
  if (localBuild) {
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    copyFileSync(addon, join(root, 'build', 'Release', 'grove.node'));
  }
  return root;
}

const setTime = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

test('prebuilds come first, then the local build', () => {
  const root = packageRoot({ 'grove.node': 'addon' }, true);
  setTime(join(root, 'build', 'Release', 'grove.node'), 1_000_000);
  assert.deepEqual(nativeCandidates(root, {}), [join(root, 'prebuilds', platformDir, 'grove.node'), join(root, 'build', 'Release', 'grove.node')]);
});

test('a prebuild older than the local build is skipped (the build was made after it)', () => {
  const root = packageRoot({ 'grove.node': 'addon' }, true);
  setTime(join(root, 'prebuilds', platformDir, 'grove.node'), 1_000_000);
  assert.deepEqual(nativeCandidates(root, {}), [join(root, 'build', 'Release', 'grove.node')]);
});

test('on Linux only the prebuild for this C library is a candidate', { skip: process.platform !== 'linux' }, () => {
  const root = packageRoot({ 'grove.glibc.node': Buffer.from('g'), 'grove.musl.node': Buffer.from('m') }, false);
  const names = prebuildCandidates(root).map((p) => p.slice(p.lastIndexOf('/') + 1));
  assert.equal(names.length, 1);
  // This machine's C library: musl has /lib/ld-musl-*.so.1.
  assert.match(names[0], /^grove\.(glibc|musl)\.node$/);
});

test('a corrupt prebuild is skipped with its reason and the local build loads', () => {
  const root = packageRoot({}, true);
  setTime(join(root, 'build', 'Release', 'grove.node'), 1_000_000);
  writeFileSync(join(root, 'prebuilds', platformDir, 'grove.node'), Buffer.alloc(128, 3));
  const load = loadNativeFrom(nativeCandidates(root, {}));
  assert.equal(load.path, join(root, 'build', 'Release', 'grove.node'));
  assert.equal(typeof load.addon?.fit, 'function');
  assert.match(load.errors[0], /prebuilds\/.*grove\.node: /);
});
