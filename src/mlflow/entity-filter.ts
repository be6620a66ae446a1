// The search language of MLflow's experiment and registry searches (name, tags, a few
// attributes), applied in memory: experiments and registered models are few, so the list the
// store returns is filtered and sorted here. Run search does not come here: it goes to the
// store's own filter (src/track/filter.ts), compiled to SQL.
//
//   name LIKE 'diab%' AND tags.team = 'ml' AND run_id IN ('a', 'b')
import { invalidParameter } from './errors.js';

export type FieldValue = string | number | null;

/** how to read each attribute of one kind of entity; tags are read by `tags` */
export interface EntityFields<T> {
  what: string;
  attributes: Record<string, (item: T) => FieldValue>;
  tags: (item: T) => Record<string, string>;
}

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';
type Clause = { read: (item: unknown) => FieldValue; op: Op; values: (string | number)[] };
type Tok = { kind: 'word' | 'string' | 'number' | 'op' | 'punct'; text: string; value: string | number };

function tokenize(src: string, what: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) s += src[j++];
      if (j >= src.length) throw invalidParameter(`${what}: unterminated quote at position ${i + 1} in ${JSON.stringify(src)}`);
      // a backquoted part is a name (tags.`my key`), the others are string values
      if (c === '`' && out.length > 0 && out[out.length - 1].kind === 'word' && out[out.length - 1].text.endsWith('.')) {
        const prev = out[out.length - 1];
        prev.text += s;
        prev.value = prev.text;
      } else out.push({ kind: c === '`' ? 'word' : 'string', text: s, value: s });
      i = j + 1;
      continue;
    }
    const op = /^(!=|<>|<=|>=|=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ kind: 'op', text: op[0] === '<>' ? '!=' : op[0], value: op[0] });
      i += op[0].length;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: 'punct', text: c, value: c });
      i++;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ kind: 'number', text: num[0], value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (!word) throw invalidParameter(`${what}: unexpected character ${JSON.stringify(c)} at position ${i + 1} in ${JSON.stringify(src)}`);
    out.push({ kind: 'word', text: word[0], value: word[0] });
    i += word[0].length;
  }
  return out;
}

function resolve<T>(key: string, fields: EntityFields<T>, what: string): (item: T) => FieldValue {
  const dot = key.indexOf('.');
  const prefix = dot < 0 ? '' : key.slice(0, dot).toLowerCase();
  if (prefix === 'tags' || prefix === 'tag') {
    const name = key.slice(dot + 1);
    return (item) => fields.tags(item)[name] ?? null;
  }
  const name = prefix === 'attribute' || prefix === 'attributes' ? key.slice(dot + 1) : key;
  const read = fields.attributes[name];
  if (!read) throw invalidParameter(`${what}: unknown key ${JSON.stringify(key)} for ${fields.what}; expected ${Object.keys(fields.attributes).join(', ')} or tags.<key>`);
  return read;
}

function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, insensitive ? 'is' : 's');
}

function test(actual: FieldValue, op: Op, values: (string | number)[]): boolean {
  if (actual === null) return false; // as in MLflow: a missing tag matches no clause
  const v = values[0];
  switch (op) {
    case 'IN':
      return values.some((x) => String(x) === String(actual));
    case 'NOT IN':
      return !values.some((x) => String(x) === String(actual));
    case 'LIKE':
    case 'ILIKE':
      return likeRegex(String(v), op === 'ILIKE').test(String(actual));
    default: {
      const [a, b] = typeof actual === 'number' && typeof v === 'number' ? [actual, v] : [String(actual), String(v)];
      return op === '=' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
  }
}

/** A predicate for `filter` (empty: everything matches). */
export function compileEntityFilter<T>(filter: string | undefined, fields: EntityFields<T>): (item: T) => boolean {
  const what = 'filter';
  const src = filter ?? '';
  const toks = tokenize(src, what);
  const clauses: Clause[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw invalidParameter(`${what}: ${msg} in ${JSON.stringify(src)}`);
  };
  while (i < toks.length) {
    if (clauses.length > 0) {
      if (toks[i]?.kind !== 'word' || toks[i].text.toUpperCase() !== 'AND') fail(`expected AND at ${JSON.stringify(toks[i].text)}`);
      i++;
    }
    const key = toks[i++];
    if (key?.kind !== 'word') fail('expected a key');
    const read = resolve(key.text, fields, what) as (item: unknown) => FieldValue;
    let op: Op;
    const t = toks[i++];
    if (!t) return fail(`expected an operator after ${key.text}`);
    const upper = t.text.toUpperCase();
    if (t.kind === 'op') op = t.text as Op;
    else if (t.kind === 'word' && (upper === 'LIKE' || upper === 'ILIKE' || upper === 'IN')) op = upper as Op;
    else if (t.kind === 'word' && upper === 'NOT' && toks[i]?.text.toUpperCase() === 'IN') {
      op = 'NOT IN';
      i++;
    } else return fail(`expected an operator after ${key.text}, got ${JSON.stringify(t.text)}`);
    const values: (string | number)[] = [];
    if (op === 'IN' || op === 'NOT IN') {
      if (toks[i++]?.text !== '(') fail(`expected ( after ${op}`);
      for (;;) {
        const v = toks[i++];
        if (!v || (v.kind !== 'string' && v.kind !== 'number')) return fail(`expected a quoted value in the ${op} list`);
        values.push(v.value);
        const sep = toks[i++];
        if (sep?.text === ')') break;
        if (sep?.text !== ',') fail(`expected , or ) in the ${op} list`);
      }
    } else {
      const v = toks[i++];
      if (!v || (v.kind !== 'string' && v.kind !== 'number')) return fail(`expected a value after ${key.text} ${op}`);
      values.push(v.value);
    }
    clauses.push({ read, op, values });
  }
  return (item) => clauses.every((c) => test(c.read(item), c.op, c.values));
}

/** A comparator for order_by terms ("name ASC", "creation_time DESC"); ties keep `fallback`'s order. */
export function compileEntityOrder<T>(orderBy: string[], fields: EntityFields<T>, fallback: (a: T, b: T) => number): (a: T, b: T) => number {
  const keys = orderBy.map((term) => {
    const m = /^\s*(\S+)(?:\s+(ASC|DESC))?\s*$/i.exec(term);
    if (!m) throw invalidParameter(`order_by: expected "<key> [ASC|DESC]", got ${JSON.stringify(term)}`);
    const read = fields.attributes[m[1]];
    if (!read) throw invalidParameter(`order_by: unknown key ${JSON.stringify(m[1])} for ${fields.what}; expected ${Object.keys(fields.attributes).join(', ')}`);
    return { read, sign: m[2]?.toUpperCase() === 'DESC' ? -1 : 1 };
  });
  return (a, b) => {
    for (const k of keys) {
      const x = k.read(a);
      const y = k.read(b);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * k.sign;
    }
    return fallback(a, b);
  };
}
