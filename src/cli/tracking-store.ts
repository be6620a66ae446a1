// Shared by the tracking commands (experiments, runs, models) and by train/tune/predict/serve/ui:
// the --tracking-uri option and opening the store it names.
import type { Command } from 'commander';
import { openStore, trackingUriFrom, DEFAULT_TRACKING_URI, TRACKING_URI_ENV } from '../track/tracking-uri.js';
import type { Store } from '../track/store.js';

export interface TrackingFlags {
  trackingUri?: string;
}

export function addTrackingUriOption(cmd: Command): Command {
  return cmd.option(
    '--tracking-uri <uri>',
    `where runs and models are stored: sqlite:<path>, sqlite:///<abs path>, a file path, or postgres://user@host:5432/db[?schema=name] (default: $${TRACKING_URI_ENV}, else ${DEFAULT_TRACKING_URI})`,
  );
}

/**
 * Opens the store for a command. Commands that only read (or change existing entries) pass
 * create: false, so a mistyped path gives an error instead of a new empty database.
 */
export function openTrackingStore(flags: TrackingFlags, options: { create?: boolean } = {}): Promise<Store> {
  return openStore(trackingUriFrom(flags.trackingUri), options);
}

/** Runs `fn` with an open store and always closes it. */
export async function withStore<T>(flags: TrackingFlags, options: { create?: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openTrackingStore(flags, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
