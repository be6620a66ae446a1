// grove server over a real SQLite file: the MLflow protocol suite (protocol.ts).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/track/tracking-uri.js';
import { runMlflowProtocolSuite } from './protocol.js';

runMlflowProtocolSuite('SQLite', () => openStore(join(mkdtempSync(join(tmpdir(), 'grove-mlflow-')), 'grove.db')));
