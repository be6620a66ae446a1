// The model a server answers with, and alias hot-swap: for models:/<name>@<alias> a poll asks
// the store where the alias points and, when it moved, loads the new version completely before
// swapping one reference. A request takes the reference once when it starts, so requests in
// flight finish on the model they started with.
import { availableParallelism } from 'node:os';
import { categoricalColumnsOf } from '../data/index.js';
import { openStore, trackingUriFrom } from '../track/tracking-uri.js';
import { parseModelUri } from '../track/model-uri.js';
import { loadModel, type LoadedModel, type LoadModelOptions } from './load-model.js';
import type { InputSchema } from './request-input.js';

export interface ServedModel extends LoadedModel, InputSchema {
  /** what the X-Grove-Model-Version header says: the registry version, else the run id, else "file" */
  label: string;
  loadedAt: Date;
}

export async function loadServedModel(uri: string, options: LoadModelOptions): Promise<ServedModel> {
  // threads resolved once: "all cores" asks the OS on every predict, 10% of a single-row request
  const loaded = await loadModel(uri, { ...options, threads: options.threads ?? availableParallelism() });
  const s = loaded.source;
  return {
    ...loaded,
    inputColumns: loaded.preprocessing.columns.map((c) => c.name),
    categorical: new Set(categoricalColumnsOf(loaded.preprocessing)),
    label: s.version !== null ? String(s.version) : (s.runId ?? 'file'),
    loadedAt: new Date(),
  };
}

export interface AliasWatchOptions extends LoadModelOptions {
  pollSeconds: number;
  /** one line for the server log */
  log: (line: string) => void;
}

export class ModelSlot {
  #current: ServedModel;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(first: ServedModel) {
    this.#current = first;
  }

  get current(): ServedModel {
    return this.#current;
  }

  /** Starts polling when the URI names an alias; other URIs never change. */
  watch(uri: string, options: AliasWatchOptions): void {
    const parsed = parseModelUri(uri);
    if (parsed.kind !== 'model-alias' || options.pollSeconds <= 0) return;
    this.#timer = setInterval(() => {
      this.#polling ??= this.#poll(uri, parsed.name, parsed.alias, options).finally(() => (this.#polling = null));
    }, options.pollSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  async #poll(uri: string, name: string, alias: string, options: AliasWatchOptions): Promise<void> {
    try {
      // a short-lived read: the store is opened per poll, so no connection lingers next to writers
      const store = await openStore(trackingUriFrom(options.trackingUri), { create: false });
      let version: number;
      try {
        version = (await store.getModelVersionByAlias(name, alias)).version;
      } finally {
        await store.close();
      }
      if (version === this.#current.source.version || this.#timer === null) return;
      const next = await loadServedModel(uri, options);
      if (this.#timer === null) return; // stopped while loading
      const before = this.#current.label;
      this.#current = next;
      options.log(`grove: ${uri} moved from version ${before} to ${next.label}; now serving version ${next.label}`);
    } catch (err) {
      // keep serving the current version; the next poll tries again
      options.log(`grove: could not check ${uri} (${(err as Error).message}); still serving version ${this.#current.label}`);
    }
  }
}
