// Runs onnx.checker (full check, strict shape inference) over exported files through
// scripts/onnx-check.py. Debian's python3-onnx is optional (never a runtime requirement): tests
// that use this skip where it is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
export const hasPythonOnnx = spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

export interface CheckReport {
  file: string;
  ok: boolean;
  opsets: Record<string, number>;
  ops: string[];
  inputs: string[];
  outputs: Record<string, (string | number)[]>;
}

/** One report per file, in order; fails the test when the checker exits non-zero. */
export function onnxCheck(files: string[]): CheckReport[] {
  const script = fileURLToPath(new URL('../../scripts/onnx-check.py', import.meta.url));
  const r = spawnSync(PYTHON, [script, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const reports = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CheckReport);
  assert.equal(reports.length, files.length);
  return reports;
}
