// Turns a data argument (a path or a built-in name) into LoadedData: reads the bytes, checks
// the file is what it claims, picks the format by extension and magic bytes, and parses.
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fromArrow, table, type ColumnTable } from 'arquero';
import { GroveError } from '../errors.js';
import { BUILTIN_HELP, breastCancerPath, diabetesPath, isBuiltin, loadClasses, loadFriedman } from './builtin.js';
import { checkColumnName, normalizeColumn, type Column } from './column.js';
import { readDelimited } from './delimited.js';
import type { LoadedData, SourceFormat } from './loaded.js';

export interface LoadOptions {
  /** Columns to keep as text even when they look numeric (e.g. from a model's preprocessing). */
  categoricalColumns?: readonly string[];
}

export async function loadData(spec: string, options: LoadOptions = {}): Promise<LoadedData> {
  if (typeof spec !== 'string' || spec === '') {
    throw new GroveError('INVALID_OPTION', `data: give a file path or a built-in name (${BUILTIN_HELP})`, { option: 'data' });
  }
  if (spec.startsWith('friedman1') && isBuiltin(spec)) return loadFriedman(spec);
  if (spec.startsWith('classes') && isBuiltin(spec)) return loadClasses(spec);
  if (spec === 'breast-cancer') {
    const loaded = await loadFile(breastCancerPath(), 'breast-cancer', options);
    return { ...loaded, format: 'builtin', defaultTarget: 'diagnosis' };
  }
  if (spec === 'diabetes') {
    const loaded = await loadFile(diabetesPath(), 'diabetes', options);
    return { ...loaded, format: 'builtin', defaultTarget: 'target' };
  }
  return loadFile(spec, spec, options);
}

async function loadFile(path: string, source: string, options: LoadOptions): Promise<LoadedData> {
  const t0 = performance.now();
  let bytes: Uint8Array = await readBytes(path, source);
  let name = path.toLowerCase();
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new GroveError('INVALID_FILE', `${source}: starts like a gzip file but cannot be decompressed (${(err as Error).message})`, { file: source }, { cause: err });
    }
    name = name.replace(/\.gz$/, '');
  }
  const t1 = performance.now();
  const format = detectFormat(bytes, name, source);
  const categorical = new Set(options.categoricalColumns ?? []);
  if (format === 'csv' || format === 'tsv') {
    const r = readDelimited(bytes, format === 'tsv' ? '\t' : ',', { source }, categorical);
    return {
      table: r.table,
      columns: r.columns,
      source,
      format,
      notes: [],
      timings: { read: (t1 - t0) / 1000, parse: r.parseSeconds, validate: r.validateSeconds },
    };
  }
  const t2 = performance.now();
  const parsed = format === 'json' ? parseJson(bytes, source) : parseArrow(bytes, source);
  const t3 = performance.now();
  const loaded = fromTable(parsed, source, format, categorical);
  loaded.timings = { read: (t1 - t0) / 1000, parse: (t3 - t2) / 1000, validate: (performance.now() - t3) / 1000 };
  return loaded;
}

/** Normalises any arquero table (a user's, or one parsed from JSON/Arrow) into LoadedData. */
export function fromTable(t: ColumnTable, source = 'table', format: SourceFormat = 'table', categorical: ReadonlySet<string> = new Set()): LoadedData {
  const names = t.columnNames();
  for (const n of names) checkColumnName(n, source);
  if (names.length === 0) throw new GroveError('INVALID_DATA', `${source} has no columns`, { file: source });
  if (t.numRows() === 0) throw new GroveError('INVALID_DATA', `${source} has columns but no rows`, { file: source });
  const columns: Column[] = names.map((n) => normalizeColumn(n, t.array(n) as ArrayLike<unknown>, { source }, categorical.has(n)));
  return { table: tableOf(columns), columns, source, format, notes: [] };
}

export function tableOf(columns: Column[]): ColumnTable {
  const data: Record<string, Column['values']> = {};
  for (const c of columns) data[c.name] = c.values;
  return table(
    data,
    columns.map((c) => c.name),
  );
}

async function readBytes(path: string, source: string): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GroveError('INVALID_FILE', `${source}: no such file (built-in datasets: ${BUILTIN_HELP})`, { file: source }, { cause: err });
    }
    throw new GroveError('INVALID_FILE', `${source}: cannot read (${(err as Error).message})`, { file: source }, { cause: err });
  }
  if (info.isDirectory()) throw new GroveError('INVALID_FILE', `${source} is a directory, not a data file`, { file: source });
  if (!info.isFile()) throw new GroveError('INVALID_FILE', `${source} is not a regular file`, { file: source });
  try {
    return await readFile(path);
  } catch (err) {
    throw new GroveError('INVALID_FILE', `${source}: cannot read (${(err as Error).message})`, { file: source }, { cause: err });
  }
}

const MAGIC: [string, number[]][] = [
  ['a Parquet file', [0x50, 0x41, 0x52, 0x31]],
  ['a zip archive (an Excel workbook?)', [0x50, 0x4b, 0x03, 0x04]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['an executable', [0x7f, 0x45, 0x4c, 0x46]],
];

type FileFormat = 'csv' | 'tsv' | 'json' | 'arrow';

/** Magic bytes first (they cannot lie), then the extension, then a look at the text. */
function detectFormat(bytes: Uint8Array, name: string, source: string): FileFormat {
  if (startsWith(bytes, [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31])) return 'arrow'; // "ARROW1": IPC file
  if (startsWith(bytes, [0xff, 0xff, 0xff, 0xff]) && !name.endsWith('.csv') && !name.endsWith('.tsv')) return 'arrow'; // IPC stream
  for (const [what, magic] of MAGIC) {
    if (startsWith(bytes, magic)) {
      throw new GroveError('INVALID_FILE', `${source} looks like ${what}; grove reads CSV, TSV, JSON and Arrow IPC files`, { file: source });
    }
  }
  if (looksBinary(bytes)) {
    throw new GroveError('INVALID_FILE', `${source} looks like a binary file (it contains NUL or control bytes); grove reads CSV, TSV, JSON and Arrow IPC files`, { file: source });
  }
  if (/\.(arrow|feather|ipc|arrows)$/.test(name)) {
    throw new GroveError('INVALID_FILE', `${source}: has an Arrow extension but is not an Arrow IPC file (no ARROW1 magic bytes)`, { file: source });
  }
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  const first = firstNonSpace(bytes);
  if (first === 0x5b || first === 0x7b) return 'json';
  return firstLineHasTabNotComma(bytes) ? 'tsv' : 'csv';
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** git's rule, plus other control bytes: text files have neither in their first 8 KB. */
function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < end; i++) {
    const c = bytes[i];
    if (c === 0) return true;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control > end / 100 + 1;
}

function firstNonSpace(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13)) i++;
  return bytes[i] ?? -1;
}

function firstLineHasTabNotComma(bytes: Uint8Array): boolean {
  let tabs = 0;
  let commas = 0;
  for (let i = 0; i < bytes.length && bytes[i] !== 10; i++) {
    if (bytes[i] === 9) tabs++;
    else if (bytes[i] === 44) commas++;
  }
  return tabs > 0 && commas === 0;
}

function parseJson(bytes: Uint8Array, source: string): ColumnTable {
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new GroveError('INVALID_FILE', `${source} is empty`, { file: source });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GroveError('INVALID_FILE', `${source}: not valid JSON (${(err as Error).message})`, { file: source }, { cause: err });
  }
  text = '';
  if (Array.isArray(json)) {
    if (json.length === 0) throw new GroveError('INVALID_FILE', `${source}: the JSON array has no records`, { file: source });
    const names: string[] = [];
    const seen = new Set<string>();
    json.forEach((rec, i) => {
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        throw new GroveError('INVALID_FILE', `${source}: record ${i + 1} is not an object; expected an array of records or an object of columns`, { file: source, row: i + 1 });
      }
      for (const k of Object.keys(rec)) {
        if (!seen.has(k)) {
          if (i > 0) {
            throw new GroveError('INVALID_FILE', `${source}: record ${i + 1} has a key "${k}" that record 1 lacks; every record needs the same keys`, { file: source, row: i + 1, column: k });
          }
          seen.add(k);
          names.push(k);
        }
      }
    });
    const data: Record<string, unknown[]> = {};
    for (const n of names) data[n] = json.map((r) => (r as Record<string, unknown>)[n] ?? null);
    return table(data, names);
  }
  if (json !== null && typeof json === 'object') {
    const cols = json as Record<string, unknown>;
    let length = -1;
    for (const [k, v] of Object.entries(cols)) {
      if (!Array.isArray(v)) throw new GroveError('INVALID_FILE', `${source}: column "${k}" is not an array; expected an object of column arrays`, { file: source, column: k });
      if (length >= 0 && v.length !== length) {
        throw new GroveError('INVALID_FILE', `${source}: column "${k}" has ${v.length} values, the first column has ${length}`, { file: source, column: k });
      }
      length = v.length;
    }
    return table(cols, Object.keys(cols));
  }
  throw new GroveError('INVALID_FILE', `${source}: expected an array of records or an object of columns`, { file: source });
}

function parseArrow(bytes: Uint8Array, source: string): ColumnTable {
  try {
    return fromArrow(bytes); // dates stay Date objects, which normalisation rejects by name
  } catch (err) {
    throw new GroveError('INVALID_FILE', `${source}: cannot read the Arrow IPC data (${(err as Error).message})`, { file: source }, { cause: err });
  }
}
