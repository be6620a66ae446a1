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
 * Batches of up to this many tree walks (rows x trees) are scored on the event loop with
 * predictSync: there the async worker's hand-off (about 20 us) costs more than the walk itself
 * (about 0.2 us per tree and row), and 4096 walks hold the loop well under a millisecond.
 * Larger batches go to the async native predict so /ping keeps answering (bench/serve.ts).
 */
export const SYNC_PREDICT_MAX_WALKS = 4096;

/** Rows per chunk when grove predict streams its CSV or JSON output. */
export const OUTPUT_CHUNK_ROWS = 8192;
