// JSON as Python writes it. json.dumps (and so MLflow's client, for a DataFrame with a missing
// value) writes the bare tokens NaN, Infinity and -Infinity, which JSON does not have. The body
// goes through JSON.parse first (the usual case, at full speed); only when that fails are those
// three tokens, outside strings, rewritten to JSON (NaN -> null, which the data layer reads as
// missing; +-Infinity -> +-1e999, which JSON.parse reads as +-Infinity, so the data layer can
// name the column that holds it) and the text parsed again. Nothing else is relaxed.

const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;
const REPLACEMENT: Record<(typeof TOKENS)[number], string> = { '-Infinity': '-1e999', Infinity: '1e999', NaN: 'null' };

/** JSON.parse, accepting NaN, Infinity and -Infinity as values; throws JSON.parse's error. */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const rewritten = rewriteNonFinite(text);
    if (rewritten === null) throw first;
    try {
      return JSON.parse(rewritten);
    } catch {
      throw first; // positions in the first error are positions in what the client sent
    }
  }
}

/** The text with the three tokens rewritten outside strings, or null when there were none. */
export function rewriteNonFinite(text: string): string | null {
  let out = '';
  let copied = 0; // text before this index is already in out
  let found = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, escapes included
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 0x2d || c === 0x49 || c === 0x4e) {
      // '-', 'I', 'N': a token only when not part of a longer word
      const token = TOKENS.find((t) => text.startsWith(t, i));
      if (token && !isWordChar(text.charCodeAt(i - 1)) && !isWordChar(text.charCodeAt(i + token.length))) {
        out += text.slice(copied, i) + REPLACEMENT[token];
        i += token.length;
        copied = i;
        found = true;
        continue;
      }
    }
    i++;
  }
  return found ? out + text.slice(copied) : null;
}

function isWordChar(c: number): boolean {
  // NaN of the index before 0 or after the end is not a word character
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e;
}
