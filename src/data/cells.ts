// How one text cell is read. The same rules serve CSV/TSV text and string values found in JSON,
// Arrow or user tables, so a value means the same thing whatever file it came from.
import { MISSING_TOKENS } from '../constants.js';

export type CellClass = 'number' | 'missing' | 'infinity' | 'thousands' | 'true' | 'false' | 'text';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

/** Classifies a cell text; numbers are strict decimal literals (no hex, no "1e", no commas). */
export function classifyText(text: string): CellClass {
  const s = text.trim();
  if (NUMBER.test(s)) return Number.isFinite(Number(s)) ? 'number' : 'infinity'; // 1e999 overflows
  if (MISSING_TOKENS.has(s.toLowerCase())) return 'missing';
  if (INFINITY.test(s)) return 'infinity';
  if (THOUSANDS.test(s)) return 'thousands';
  const lower = s.toLowerCase();
  if (lower === 'true') return 'true';
  if (lower === 'false') return 'false';
  return 'text';
}

/** The number of a text classified 'number' (Number() of the trimmed text is exact). */
export function textToNumber(text: string): number {
  return Number(text.trim());
}

// Powers of ten that are exact doubles: with a mantissa below 2^53, m * 10^k or m / 10^k is
// then one correctly rounded operation, i.e. the same double Number() gives (Clinger's fast path).
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MANTISSA_LIMIT = 900719925474099; // (2^53 - 9) / 10: one more digit cannot overflow 2^53

/** Set by parseNumberBytes: whether the span held a number literal (NaN is returned otherwise). */
export let parsedOk = false;

/**
 * Parses an unquoted numeric cell straight from the file bytes, without making a string: the hot
 * path of loading a large numeric CSV. Falls back to Number() on the text for long mantissas or
 * large exponents, so the result always equals Number(text).
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  while (end > i && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  let negative = false;
  if (i < end && (buf[i] === 45 || buf[i] === 43)) {
    negative = buf[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = 0; // decimal exponent contributed by fraction digits
  let slow = false;
  while (i < end) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    if (mantissa > MANTISSA_LIMIT) slow = true;
    else mantissa = mantissa * 10 + d;
    digits++;
    i++;
  }
  if (i < end && buf[i] === 46) {
    i++;
    while (i < end) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      if (mantissa > MANTISSA_LIMIT) slow = true;
      else {
        mantissa = mantissa * 10 + d;
        scale--;
      }
      digits++;
      i++;
    }
  }
  if (digits === 0) {
    parsedOk = false;
    return NaN;
  }
  let exponent = 0;
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      expNegative = buf[i] === 45;
      i++;
    }
    let expDigits = 0;
    while (i < end) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      if (exponent < 100000) exponent = exponent * 10 + d;
      expDigits++;
      i++;
    }
    if (expDigits === 0) {
      parsedOk = false;
      return NaN;
    }
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) {
    parsedOk = false;
    return NaN;
  }
  parsedOk = true;
  const e = scale + exponent;
  if (!slow && e >= -22 && e <= 22) {
    const v = e >= 0 ? mantissa * POW10[e] : mantissa / POW10[-e];
    return negative ? -v : v;
  }
  let text = '';
  for (let k = start; k < end; k++) text += String.fromCharCode(buf[k]);
  return Number(text.trim()); // 1e999 overflows to Infinity: callers check finiteness
}
