// grove server over real PostgreSQL (its own fresh schema, dropped afterwards): the MLflow
// protocol suite (protocol.ts). Skipped locally without a server; in CI it must run.
import { openStore } from '../../src/track/tracking-uri.js';
import { schemaFactory, withPostgres } from '../helpers/postgres.js';
import { runMlflowProtocolSuite } from './protocol.js';

await withPostgres('grove server on PostgreSQL', () => {
  const { newSchema, uri } = schemaFactory();
  runMlflowProtocolSuite('PostgreSQL', () => openStore(uri(newSchema())));
});
