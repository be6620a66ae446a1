// Content hash of a dataset: column names, kinds and values, independent of the file format
// (a CSV, its JSON and its Arrow twin give the same hash), so runs can be known to share data.
import { createHash } from 'node:crypto';
import type { Column } from './column.js';

const FINGERPRINT_VERSION = 'grove-data-fingerprint-v1';

/** sha256 hex over the columns in order; numbers as IEEE-754 little-endian bytes, NaN canonical. */
export function fingerprintColumns(columns: readonly Column[]): string {
  const h = createHash('sha256');
  h.update(FINGERPRINT_VERSION);
  h.update(u32(columns.length));
  for (const c of columns) {
    const name = Buffer.from(c.name, 'utf8');
    h.update(u32(name.length));
    h.update(name);
    h.update(c.kind);
    h.update(u32(c.values.length));
    if (c.values instanceof Float64Array) {
      const v = c.values;
      let canonical = v;
      for (let i = 0; i < v.length; i++) {
        if (v[i] !== v[i]) {
          canonical = Float64Array.from(v, (x) => (x !== x ? NaN : x)); // NaN payloads differ between sources
          break;
        }
      }
      h.update(new Uint8Array(canonical.buffer, canonical.byteOffset, canonical.byteLength));
    } else {
      for (const s of c.values) {
        if (s === null) h.update(MISSING);
        else {
          const b = Buffer.from(s, 'utf8');
          h.update(PRESENT);
          h.update(u32(b.length));
          h.update(b);
        }
      }
    }
  }
  return h.digest('hex');
}

const MISSING = Uint8Array.of(0);
const PRESENT = Uint8Array.of(1);

function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
