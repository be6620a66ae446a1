// Numbered schema migrations of the SQLite store. A migration is never edited once released:
// a change is a new entry. The store applies the missing ones inside one IMMEDIATE transaction,
// so processes that open a new database at the same moment wait for each other and the second
// one finds the work done.
import type Database from 'better-sqlite3';
import { GroveError } from '../errors.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'experiments, runs, params, metrics, tags, artifacts, blobs, model registry, aliases',
    sql: `
      CREATE TABLE experiments (
        experiment_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_time INTEGER NOT NULL
      );
      CREATE TABLE experiment_tags (
        experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
      ) WITHOUT ROWID;

      -- rowid (seq) breaks start_time ties so "newest first" is stable
      CREATE TABLE runs (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
        run_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED', 'KILLED')),
        start_time INTEGER NOT NULL,
        end_time INTEGER,
        parent_run_id TEXT REFERENCES runs (run_id),
        data_fingerprint TEXT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        heartbeat_time INTEGER NOT NULL
      );
      CREATE INDEX runs_start ON runs (start_time DESC, seq DESC);
      CREATE INDEX runs_experiment ON runs (experiment_id, start_time DESC);
      CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
      CREATE INDEX runs_status ON runs (status);
      CREATE INDEX runs_name ON runs (run_name);
      CREATE INDEX runs_end ON runs (end_time);

      CREATE TABLE params (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX params_key_value ON params (key, value);

      CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX tags_key_value ON tags (key, value);

      -- full history; NaN is stored as NULL
      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value REAL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL
      );
      CREATE INDEX metrics_run_key ON metrics (run_id, key, step, timestamp);

      -- the latest value per (run, key), kept in the transaction that logs the metric
      CREATE TABLE latest_metrics (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value REAL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX latest_metrics_key_value ON latest_metrics (key, value);

      CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        bytes BLOB NOT NULL
      );
      CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL REFERENCES blobs (sha256),
        size INTEGER NOT NULL,
        created_time INTEGER NOT NULL,
        PRIMARY KEY (run_id, name)
      ) WITHOUT ROWID;

      CREATE TABLE registered_models (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        created_time INTEGER NOT NULL,
        updated_time INTEGER NOT NULL
      );
      CREATE TABLE registered_model_tags (
        name TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, key)
      ) WITHOUT ROWID;
      CREATE TABLE model_versions (
        name TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        artifact TEXT NOT NULL,
        created_time INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (name, version),
        FOREIGN KEY (run_id, artifact) REFERENCES artifacts (run_id, name)
      );
      CREATE INDEX model_versions_run ON model_versions (run_id);
      CREATE TABLE model_version_tags (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, version, key),
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE TABLE model_aliases (
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias),
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
      ) WITHOUT ROWID;
      CREATE TABLE alias_history (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL REFERENCES registered_models (name) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        old_version INTEGER,
        new_version INTEGER,
        time INTEGER NOT NULL,
        who TEXT NOT NULL
      );
      CREATE INDEX alias_history_name ON alias_history (name, alias, id);
    `,
  },
  {
    version: 2,
    description: 'trial queues of shared studies: studies, study_trials, study_workers (see trial-queue.ts)',
    sql: `
      CREATE TABLE studies (
        study_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
        target INTEGER NOT NULL,
        grace_ms INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        next_number INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'refitting', 'finished', 'failed', 'killed')),
        refit_worker TEXT,
        refit_heartbeat INTEGER,
        created_time INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE study_trials (
        study_id TEXT NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'queued')),
        config TEXT NOT NULL,
        value REAL,
        pruned INTEGER NOT NULL DEFAULT 0,
        rungs TEXT,
        run_id TEXT,
        worker_id TEXT,
        host TEXT,
        pid INTEGER,
        heartbeat INTEGER,
        seq INTEGER NOT NULL,
        PRIMARY KEY (study_id, number)
      ) WITHOUT ROWID;
      CREATE INDEX study_trials_seq ON study_trials (study_id, seq);
      CREATE INDEX study_trials_running ON study_trials (study_id) WHERE state = 'running';
      CREATE TABLE study_workers (
        study_id TEXT NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
        worker_id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_time INTEGER NOT NULL,
        heartbeat INTEGER NOT NULL,
        trials_done INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'active',
        PRIMARY KEY (study_id, worker_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    description: 'the PostgreSQL schema, exactly: metrics.seq, runs_experiment and runs_parent ordered like a search, runs_running, schema_version.applied_time',
    sql: `
      -- metric history ties break by insertion order through a named column on both databases
      CREATE TABLE metrics_v3 (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value REAL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL
      );
      INSERT INTO metrics_v3 (seq, run_id, key, value, step, timestamp) SELECT rowid, run_id, key, value, step, timestamp FROM metrics;
      DROP TABLE metrics;
      ALTER TABLE metrics_v3 RENAME TO metrics;
      CREATE INDEX metrics_run_key ON metrics (run_id, key, step, timestamp);
      -- a study's trials (and an experiment's runs) newest first straight from the index
      DROP INDEX runs_experiment;
      CREATE INDEX runs_experiment ON runs (experiment_id, start_time DESC, seq DESC);
      DROP INDEX runs_parent;
      CREATE INDEX runs_parent ON runs (parent_run_id, start_time DESC, seq DESC) WHERE parent_run_id IS NOT NULL;
      -- grove runs gc: the RUNNING runs by heartbeat
      CREATE INDEX runs_running ON runs (heartbeat_time) WHERE status = 'RUNNING';
      ALTER TABLE schema_version ADD COLUMN applied_time INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    description: 'artifact bytes as chunks: blob_chunks (blob id, chunk index, sha256, bytes); each existing blob becomes one chunk',
    sql: `
      ALTER TABLE blobs ADD COLUMN blob_id INTEGER;
      ALTER TABLE blobs ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0;
      UPDATE blobs SET blob_id = rowid, chunk_count = CASE WHEN size > 0 THEN 1 ELSE 0 END;
      CREATE UNIQUE INDEX blobs_blob_id ON blobs (blob_id);
      -- no foreign key to blobs: a blob's row is written after its chunks, once the whole sha256 is known
      CREATE TABLE blob_chunks (
        blob_id INTEGER NOT NULL,
        chunk_index INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (blob_id, chunk_index)
      );
      -- an old blob is one chunk, so the chunk's sha256 is the blob's
      INSERT INTO blob_chunks (blob_id, chunk_index, sha256, bytes) SELECT blob_id, 0, sha256, bytes FROM blobs WHERE size > 0;
      ALTER TABLE blobs DROP COLUMN bytes;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the schema up to date. Takes the write lock first (BEGIN IMMEDIATE), then reads the version. */
export function migrate(db: Database.Database, location: string): void {
  // fast path without the write lock: an up-to-date database is only read
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (hasTable) {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
    if (row.v === SCHEMA_VERSION) return;
  }
  db.transaction(() => {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
    if (tables.length > 0 && !tables.includes('schema_version')) {
      // never add our tables to somebody else's database
      throw new GroveError('STORE_ERROR', `${location} is an SQLite database but not a grove tracking store (it has tables ${tables.slice(0, 5).join(', ')})`, { location });
    }
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new GroveError('STORE_ERROR', `${location} has schema version ${current}, newer than this grove knows (${SCHEMA_VERSION}): upgrade grove`, { location, version: current });
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      // applied_time arrives with migration 3
      if (m.version < 3) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
      else db.prepare('INSERT INTO schema_version (version, applied_time) VALUES (?, ?)').run(m.version, Date.now());
    }
  }).immediate();
}
