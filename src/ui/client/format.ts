// Numbers, sizes and times for people: sensible rounding, units, relative times.

export function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(digits - 1);
  // significant digits, but never more than 4 decimals for ordinary magnitudes
  return Number(v.toPrecision(Math.max(digits, Math.ceil(Math.log10(a + 1)) + 1))).toLocaleString('en-US', { maximumFractionDigits: a >= 1 ? 4 : 6 });
}

/** A metric value with its unit: keys ending in _s are seconds. */
export function fmtMetric(key: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (/_s$/.test(key)) return fmtSeconds(v);
  return fmtNum(v);
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function fmtDuration(start: number, end: number | null): string {
  return end === null ? 'running' : fmtSeconds((end - start) / 1000);
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function fmtTime(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
}

export function relTime(ms: number | null, now = Date.now()): string {
  if (ms === null) return '—';
  const d = (now - ms) / 1000;
  const future = d < 0;
  const a = Math.abs(d);
  let text: string;
  if (a < 10) return 'just now';
  if (a < 60) text = `${Math.round(a)} s`;
  else if (a < 3600) text = `${Math.round(a / 60)} min`;
  else if (a < 86400) text = `${Math.round(a / 3600)} h`;
  else if (a < 86400 * 60) text = `${Math.round(a / 86400)} d`;
  else return new Date(ms).toISOString().slice(0, 10);
  return future ? `in ${text}` : `${text} ago`;
}

/** A timestamp as relative text with the exact time on hover. */
export function timeEl(ms: number | null): HTMLElement {
  const el = document.createElement('time');
  el.textContent = relTime(ms);
  if (ms !== null) {
    el.title = fmtTime(ms);
    el.dateTime = new Date(ms).toISOString();
  }
  return el;
}
