// The two body types /invocations reads: JSON and CSV, UTF-8 only.
import { HttpError } from './http-error.js';

export type BodyKind = 'json' | 'csv';

/**
 * application/json or text/csv. As in MLflow's scoring server, the only parameter accepted is
 * charset, and only UTF-8: any other parameter ("format=pandas-split", which MLflow 1.x clients
 * sent) is a 415, so a client that meant something by it finds out.
 */
export function bodyKindOf(header: string | undefined): BodyKind {
  const accepted = 'send Content-Type application/json or text/csv (charset utf-8)';
  if (!header) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `no Content-Type; ${accepted}`);
  const [type, ...params] = header.split(';').map((s) => s.trim());
  const mime = type.toLowerCase();
  const kind: BodyKind | null = mime === 'application/json' ? 'json' : mime === 'text/csv' ? 'csv' : null;
  if (kind === null) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(type)} is not supported; ${accepted}`);
  for (const p of params) {
    if (p === '') continue; // "text/csv;" has an empty parameter list
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name !== 'charset' || eq < 0) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type parameter ${JSON.stringify(p)} is not supported; the only parameter accepted is charset=utf-8`);
    }
    const charset = p
      .slice(eq + 1)
      .trim()
      .replace(/^"|"$/g, '')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset ${JSON.stringify(charset)} is not supported; grove reads UTF-8 only`);
    }
  }
  return kind;
}
