/**
 * The run-search language: MLflow's common subset.
 *
 *   metrics.rmse < 50 and params.max_depth = '8' and tags.stage != 'dev' and status = 'FINISHED'
 *
 * Clauses joined by AND (case-insensitive). Keys: metrics.<k>, params.<k>, tags.<k> (a key with
 * spaces is backquoted or double-quoted: metrics.`my metric`; the prefix may be backquoted too,
 * `metrics`.rmse), and the attributes status, run_name, run_id, parent_run_id, start_time,
 * end_time, written bare or as attributes.<name> / run.<name>, with MLflow's aliases created
 * (= start_time) and `Run name` / "run name" (= run_name). Metrics and start/end times compare
 * with = != < <= > >= against numbers; params, tags and string attributes with = != LIKE ILIKE
 * against quoted strings; params and tags also take IS NULL / IS NOT NULL (the run lacks / has
 * the key); run_id also takes IN ('id', ...) and NOT IN (...). As in MLflow, a comparison on a
 * metric, param or tag that a run does not have is false for that run.
 *
 * This file only parses into a typed record; each backend compiles it to parameterised SQL.
 */
import { GroveError, closest } from '../errors.js';
import { RUN_STATUSES } from './store.js';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type StringOp = '=' | '!=' | 'LIKE' | 'ILIKE';
export type FilterOp = CompareOp | 'LIKE' | 'ILIKE';

export type NumericAttribute = 'start_time' | 'end_time';
export type StringAttribute = 'status' | 'run_name' | 'run_id' | 'parent_run_id';
export const NUMERIC_ATTRIBUTES: readonly NumericAttribute[] = ['start_time', 'end_time'];
export const STRING_ATTRIBUTES: readonly StringAttribute[] = ['status', 'run_name', 'run_id', 'parent_run_id'];
const ATTRIBUTES: readonly string[] = [...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES];

export type NullOp = 'IS NULL' | 'IS NOT NULL';
export type ListOp = 'IN' | 'NOT IN';

export type FilterClause =
  | { kind: 'metric'; key: string; op: CompareOp; value: number }
  | { kind: 'param' | 'tag'; key: string; op: StringOp; value: string }
  | { kind: 'param' | 'tag'; key: string; op: NullOp }
  | { kind: 'attribute'; key: 'run_id'; op: ListOp; value: string[] }
  | { kind: 'attribute'; key: StringAttribute; op: StringOp; value: string }
  | { kind: 'attribute'; key: NumericAttribute; op: CompareOp; value: number };

export type OrderKey = { kind: 'metric' | 'param' | 'tag'; key: string } | { kind: 'attribute'; key: StringAttribute | NumericAttribute };
export type OrderBy = OrderKey & { ascending: boolean };

type Token =
  | { type: 'key'; prefix: string | null; name: string; pos: number; text: string }
  | { type: 'op'; op: FilterOp; pos: number; text: string }
  | { type: 'and' | 'string' | 'number' | 'word' | 'bad' | '(' | ')' | ','; pos: number; text: string; value?: string | number };

const PREFIXES: Record<string, 'metric' | 'param' | 'tag' | 'attribute'> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameter: 'param',
  parameters: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

/** MLflow's other names for attributes (search_utils translate_key_alias). */
const ATTRIBUTE_ALIASES: Record<string, StringAttribute | NumericAttribute> = {
  created: 'start_time',
  Created: 'start_time',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
};
/** Order-by takes the time alias only, as in MLflow. */
const ORDER_BY_ALIASES = new Set(['created', 'Created']);

function fail(what: string, message: string, token: { text: string; pos: number } | null, source: string): never {
  const where = token ? ` at position ${token.pos + 1}: ${JSON.stringify(token.text)}` : ' at the end';
  throw new GroveError('INVALID_OPTION', `${what}: ${message}${where} (in ${JSON.stringify(source)})`, {
    option: what,
    token: token?.text ?? null,
    position: token ? token.pos + 1 : source.length + 1,
  });
}

class Unterminated {
  constructor(
    readonly pos: number,
    readonly message: string,
  ) {}
}

function readQuoted(src: string, start: number, quote: string): { value: string; end: number } {
  // a quote inside is written twice ('it''s'), as in SQL
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length) throw new Unterminated(start, `unterminated ${quote === '`' ? 'backquoted key' : 'string'}`);
    const c = src[i];
    if (c === quote) {
      if (src[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
    i++;
  }
}

function tokenize(src: string, what: string): Token[] {
  const tokens: Token[] = [];
  try {
    tokenizeInto(tokens, src, what);
  } catch (err) {
    if (!(err instanceof Unterminated)) throw err;
    // reported when the parser reaches it, like any bad token
    tokens.push({ type: 'bad', pos: err.pos, text: src.slice(err.pos), value: err.message });
  }
  return tokens;
}

function tokenizeInto(tokens: Token[], src: string, what: string): void {
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=' || two === '==') {
      const op: FilterOp = two === '<>' ? '!=' : two === '==' ? '=' : (two as FilterOp);
      tokens.push({ type: 'op', op, pos: start, text: two });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ type: 'op', op: c, pos: start, text: c });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const q = readQuoted(src, i, c);
      tokens.push({ type: 'string', pos: start, text: src.slice(start, q.end), value: q.value });
      i = q.end;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, pos: start, text: c });
      i++;
      continue;
    }
    if (c === '`') {
      // a whole backquoted key without prefix (`Run name`), or a backquoted prefix (`metrics`.rmse)
      const q = readQuoted(src, i, '`');
      i = q.end;
      if (src[i] === '.') {
        i = readKeyAfterDot(tokens, src, start, i, q.value, what);
        continue;
      }
      tokens.push({ type: 'key', prefix: null, name: q.value, pos: start, text: src.slice(start, q.end) });
      continue;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num) {
      tokens.push({ type: 'number', pos: start, text: num[0], value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (word) {
      i += word[0].length;
      const upper = word[0].toUpperCase();
      if (src[i] === '.') {
        i = readKeyAfterDot(tokens, src, start, i, word[0], what);
      } else if (upper === 'AND') {
        tokens.push({ type: 'and', pos: start, text: word[0] });
      } else if (upper === 'LIKE' || upper === 'ILIKE') {
        tokens.push({ type: 'op', op: upper, pos: start, text: word[0] });
      } else {
        tokens.push({ type: 'word', pos: start, text: word[0] });
      }
      continue;
    }
    // reported by the parser when it gets there, so errors come in reading order
    tokens.push({ type: 'bad', pos: start, text: c, value: 'unexpected character' });
    i++;
  }
}

/** prefix.key, from the dot at `dot`: the key is backquoted/double-quoted, or runs until a space or operator. */
function readKeyAfterDot(tokens: Token[], src: string, start: number, dot: number, prefix: string, what: string): number {
  let i = dot + 1;
  let name: string;
  if (src[i] === '`' || src[i] === '"') {
    const q = readQuoted(src, i, src[i]);
    name = q.value;
    i = q.end;
  } else {
    const rest = /^[A-Za-z0-9_.\-/:]+/.exec(src.slice(i));
    if (!rest) fail(what, 'expected a key name after the dot', { text: src.slice(start, i + 1), pos: start }, src);
    name = rest[0];
    i += rest[0].length;
  }
  tokens.push({ type: 'key', prefix, name, pos: start, text: src.slice(start, i) });
  return i;
}

function resolveKey(tok: Token, src: string, what: string, allowed: string, aliases: (name: string) => boolean = () => true): OrderKey {
  let prefix: string | null;
  let name: string;
  if (tok.type === 'key') {
    prefix = tok.prefix;
    name = tok.name;
  } else if (tok.type === 'word') {
    prefix = null;
    name = tok.text;
  } else if (tok.type === 'string' && tok.text.startsWith('"')) {
    // a double-quoted attribute name, as MLflow reads "run name"
    prefix = null;
    name = tok.value as string;
  } else {
    return fail(what, `expected a key (${allowed})`, tok, src);
  }
  if ((prefix === null || PREFIXES[prefix.toLowerCase()] === 'attribute') && Object.hasOwn(ATTRIBUTE_ALIASES, name) && aliases(name)) name = ATTRIBUTE_ALIASES[name];
  if (prefix === null) {
    if (ATTRIBUTES.includes(name)) return { kind: 'attribute', key: name as StringAttribute };
    const hint = closest(name, [...ATTRIBUTES, 'metrics', 'params', 'tags']);
    return fail(what, `unknown key${hint ? ` (did you mean ${hint}?)` : ''}; expected ${allowed}`, tok, src);
  }
  const kind = PREFIXES[prefix.toLowerCase()];
  if (!kind) {
    const hint = closest(prefix, ['metrics', 'params', 'tags', 'attributes']);
    return fail(what, `unknown key prefix "${prefix}"${hint ? ` (did you mean ${hint}?)` : ''}; expected ${allowed}`, tok, src);
  }
  if (name === '') return fail(what, 'empty key name', tok, src);
  if (kind === 'attribute') {
    if (!ATTRIBUTES.includes(name)) return fail(what, `unknown attribute; expected one of ${ATTRIBUTES.join(', ')}`, tok, src);
    return { kind, key: name as StringAttribute };
  }
  return { kind, key: name };
}

const KEYS_HELP = 'metrics.<key>, params.<key>, tags.<key>, status, run_name, run_id, parent_run_id, start_time (or created) or end_time';

/** Parses a filter expression; an empty or blank string gives no clauses. */
export function parseFilter(source: string, what = 'filter'): FilterClause[] {
  const tokens = tokenize(source, what);
  const clauses: FilterClause[] = [];
  let i = 0;
  // bad characters are reported when reached, so the first mistake in reading order wins
  const take = (): Token | undefined => {
    const t = tokens[i++];
    if (t?.type === 'bad') fail(what, String(t.value), t, source);
    return t;
  };
  while (i < tokens.length) {
    if (clauses.length > 0) {
      const t = take()!;
      if (t.type !== 'and') {
        const msg = t.type === 'word' && t.text.toUpperCase() === 'OR' ? 'only AND is supported' : 'expected AND between clauses';
        fail(what, msg, t, source);
      }
      if (i >= tokens.length) fail(what, 'expected a clause after AND', null, source);
    }
    const keyTok = take()!;
    const key = resolveKey(keyTok, source, what, KEYS_HELP);
    const opTok = take();
    const opsHelp = 'expected an operator (= != < <= > >= LIKE ILIKE, IS [NOT] NULL, [NOT] IN)';
    if (!opTok) fail(what, opsHelp, null, source);
    const word = opTok.type === 'word' ? opTok.text.toUpperCase() : '';
    if (word === 'IS') {
      clauses.push(parseIsNull(key, keyTok, opTok, take, source, what));
      continue;
    }
    if (word === 'IN' || word === 'NOT') {
      clauses.push(parseInList(key, keyTok, opTok, take, source, what));
      continue;
    }
    if (opTok.type !== 'op') fail(what, opsHelp, opTok, source);
    const valTok = take();
    if (!valTok) fail(what, 'expected a value', null, source);
    const numeric = key.kind === 'metric' || (key.kind === 'attribute' && (NUMERIC_ATTRIBUTES as readonly string[]).includes(key.key));
    const op = opTok.op;
    if (numeric) {
      if (op === 'LIKE' || op === 'ILIKE') fail(what, `${keyTok.text} is a number: use = != < <= > >=`, opTok, source);
      if (valTok.type !== 'number') fail(what, `${keyTok.text} compares with a number`, valTok, source);
      clauses.push({ kind: key.kind, key: key.key, op, value: valTok.value as number } as FilterClause);
    } else {
      if (op !== '=' && op !== '!=' && op !== 'LIKE' && op !== 'ILIKE') fail(what, `${keyTok.text} is a string: use = != LIKE ILIKE`, opTok, source);
      if (valTok.type === 'number') fail(what, `${keyTok.text} is a string: quote the value ('${valTok.text}')`, valTok, source);
      if (valTok.type !== 'string') fail(what, 'expected a quoted string value', valTok, source);
      const value = valTok.value as string;
      if (key.kind === 'attribute' && key.key === 'status' && (op === '=' || op === '!=') && !(RUN_STATUSES as readonly string[]).includes(value)) {
        fail(what, `status is one of ${RUN_STATUSES.join(', ')}`, valTok, source);
      }
      clauses.push({ kind: key.kind, key: key.key, op, value } as FilterClause);
    }
  }
  return clauses;
}

type Take = () => Token | undefined;

/** key IS [NOT] NULL, for params and tags: whether the run has the key at all. */
function parseIsNull(key: OrderKey, keyTok: Token, isTok: Token, take: Take, source: string, what: string): FilterClause {
  let t = take();
  const not = t?.type === 'word' && t.text.toUpperCase() === 'NOT';
  if (not) t = take();
  if (!(t?.type === 'word' && t.text.toUpperCase() === 'NULL')) fail(what, `expected ${not ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS'}`, t ?? null, source);
  if (key.kind !== 'param' && key.kind !== 'tag') fail(what, `IS ${not ? 'NOT ' : ''}NULL applies to params and tags (a run either has the key or not), not to ${keyTok.text}`, isTok, source);
  return { kind: key.kind, key: key.key, op: not ? 'IS NOT NULL' : 'IS NULL' };
}

/** run_id [NOT] IN ('id', ...): a list of quoted run ids, as MLflow allows for run_id only. */
function parseInList(key: OrderKey, keyTok: Token, first: Token, take: Take, source: string, what: string): FilterClause {
  let t: Token | undefined = first;
  const not = first.text.toUpperCase() === 'NOT';
  if (not) {
    t = take();
    if (!(t?.type === 'word' && t.text.toUpperCase() === 'IN')) fail(what, 'expected IN after NOT', t ?? null, source);
  }
  if (!(key.kind === 'attribute' && key.key === 'run_id')) fail(what, `${not ? 'NOT IN' : 'IN'} (...) applies to run_id only, not to ${keyTok.text}`, t, source);
  const open = take();
  if (open?.type !== '(') fail(what, "expected a parenthesised list of quoted run ids, e.g. ('id1', 'id2')", open ?? null, source);
  const values: string[] = [];
  for (;;) {
    const v = take();
    if (v?.type !== 'string') fail(what, 'expected a quoted run id', v ?? null, source);
    values.push(v.value as string);
    const sep = take();
    if (sep?.type === ')') break;
    if (sep?.type !== ',') fail(what, 'expected , or ) in the run id list', sep ?? null, source);
  }
  return { kind: 'attribute', key: 'run_id', op: not ? 'NOT IN' : 'IN', value: values };
}

/** Parses one order-by term: "metrics.rmse ASC", "params.max_depth", "start_time DESC". */
export function parseOrderBy(source: string, what = 'order-by'): OrderBy {
  // MLflow refuses "metrics.rmse " (its SQL parser sees a second, blank token): so does grove,
  // rather than sort by something the user may not have meant
  if (source.trim() !== '' && source !== source.trim()) {
    const pos = /^\s/.test(source) ? 0 : source.trimEnd().length;
    fail(what, 'leading or trailing spaces are not allowed in an order-by term', { text: source.slice(pos), pos }, source);
  }
  const tokens = tokenize(source, what);
  if (tokens.length === 0) fail(what, 'expected a key', null, source);
  const bad = tokens.find((t) => t.type === 'bad');
  if (bad && bad.type === 'bad') fail(what, String(bad.value), bad, source);
  const key = resolveKey(tokens[0], source, what, 'metrics.<key>, params.<key>, tags.<key>, start_time (or created), end_time, status, run_name', (alias) => ORDER_BY_ALIASES.has(alias));
  let ascending = true;
  if (tokens.length > 1) {
    const dir = tokens[1];
    const word = dir.text.toUpperCase();
    if (dir.type !== 'word' || (word !== 'ASC' && word !== 'DESC')) fail(what, 'expected ASC or DESC', dir, source);
    ascending = word === 'ASC';
  }
  if (tokens.length > 2) fail(what, 'unexpected text after the direction', tokens[2], source);
  return { ...key, ascending };
}
