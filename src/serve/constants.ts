// Defaults of the scoring server (grove serve).

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 5000,
  /** request bodies above this many bytes get 413 */
  maxBodyBytes: 10 * 1024 * 1024,
  /** how often a models:/<name>@<alias> server checks whether the alias moved */
  pollSeconds: 10,
  /** a graceful shutdown waits this long for in-flight requests before closing them */
  shutdownGraceMs: 30_000,
};

/**
 * Batches up to this many rows are scored on the event loop (predictSync): for a few rows the
 * async worker's hand-off costs more than the walk itself. Larger batches go to the async
 * native predict so /ping keeps answering (measured in bench/serve.ts).
 */
export const SYNC_PREDICT_MAX_ROWS = 64;

/** Rows per chunk when grove predict streams its CSV or JSON output. */
export const OUTPUT_CHUNK_ROWS = 8192;
