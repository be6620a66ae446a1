// The two body types /invocations reads: JSON and CSV, UTF-8 only.
import { HttpError } from './http-error.js';

export type BodyKind = 'json' | 'csv';

/**
 * application/json or text/csv, with optional parameters (MLflow clients send
 * "application/json; format=pandas-split"); a charset other than UTF-8 is refused.
 */
export function bodyKindOf(header: string | undefined): BodyKind {
  const accepted = 'send Content-Type application/json or text/csv (charset utf-8)';
  if (!header) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `no Content-Type; ${accepted}`);
  const [type, ...params] = header.split(';').map((s) => s.trim());
  const mime = type.toLowerCase();
  const kind: BodyKind | null = mime === 'application/json' ? 'json' : mime === 'text/csv' ? 'csv' : null;
  if (kind === null) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${JSON.stringify(type)} is not supported; ${accepted}`);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset ${JSON.stringify(charset)} is not supported; grove reads UTF-8 only`);
    }
  }
  return kind;
}
