/**
 * FileDatastore: the embedded `file` backend — a directory of YAML manifests, watched.
 *
 * Reading: fs.watch on the directory, debounced, plus a periodic rescan (fs.watch misses events
 * on some filesystems and cannot watch a directory that does not exist yet), so an edit reaches
 * watchers within about a second. Identity is (group, kind, namespace, name); see
 * datastore-state.ts for conflicts and invalid edits. Deleting a file deletes its resources.
 *
 * Writing: validate first, then one atomic rename, so nothing is half-applied. A new resource
 * gets its own file `<kind>.<namespace>.<name>.yaml`; an existing one is rewritten where it is
 * defined, leaving the other documents of a multi-document file untouched. Concurrent writers
 * are not locked against each other: the last rename wins.
 */
import { rmSync, watch as fsWatch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../model/resource-key.ts";
import { RESOURCE_KINDS } from "../model/resource-kinds.ts";
import { manifestKey, validateResource } from "../model/validate-resource.ts";
import type { ValidationOptions } from "../model/validation-options.ts";
import { atomicWriteFile } from "./atomic-write.ts";
import type { Datastore, DatastoreEvent, ListFilter, ListResult, PatchType, Watch, WatchOptions, WriteResult } from "./datastore.ts";
import { buildState, diffStates, EMPTY_STATE, initialEvents, type DatastoreState } from "./datastore-state.ts";
import { implicitDefault } from "./implicit-defaults.ts";
import { isManifestFile, ManifestDirectory } from "./manifest-directory.ts";
import { removeDocuments, renderManifest, replaceDocument } from "./manifest-file-edit.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { ResourceNotFoundError } from "./resource-not-found-error.ts";
import { stableJson } from "./stable-json.ts";
import { applyStrategicMergePatch } from "./strategic-merge-patch.ts";

/** FileDatastoreOptions tune validation and the watch timing (tests shorten them). */
export interface FileDatastoreOptions {
  readonly validation?: ValidationOptions;
  /** Quiet time after a change event before rescanning; default 50 ms. */
  readonly debounceMs?: number;
  /** Rescan period when fs.watch is silent; default 1000 ms. */
  readonly rescanIntervalMs?: number;
}

interface Location {
  readonly file: string;
  readonly index: number;
  readonly raw: unknown;
  readonly valid: boolean;
}

function compareResources(a: Resource, b: Resource): number {
  const ka = `${a.kind}/${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.kind}/${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** newFileName is where a new resource is written: `service.default.web.yaml`, `felixconfiguration.default.yaml`. */
export function newFileName(key: ResourceKey): string {
  // Calico's NetworkPolicy shares its kind name with Kubernetes'; the group keeps their files apart.
  const shared = RESOURCE_KINDS.some((k) => k.kind === key.kind && k.group !== key.group);
  const kind = shared && key.group !== RESOURCE_KINDS.find((k) => k.kind === key.kind)?.group ? `${key.kind}.${key.group}` : key.kind;
  const parts = [kind.toLowerCase(), ...(key.namespace === undefined ? [] : [key.namespace]), key.name];
  return `${parts.join(".")}.yaml`;
}

/** FileDatastore implements Datastore over a directory of YAML manifests. */
export class FileDatastore implements Datastore {
  readonly #reader: ManifestDirectory;
  readonly #listeners = new Set<(event: DatastoreEvent) => void>();
  #state: DatastoreState = EMPTY_STATE;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly dir: string,
    readonly options: FileDatastoreOptions = {},
  ) {
    this.#reader = new ManifestDirectory(dir, options.validation ?? {});
  }

  async list(filter: ListFilter = {}): Promise<ListResult> {
    const state = this.#scan();
    const resources = [...state.active.values()]
      .map((e) => e.resource)
      .filter((r) => filter.kind === undefined || r.kind === filter.kind)
      .filter((r) => filter.namespace === undefined || r.metadata.namespace === filter.namespace)
      .sort(compareResources);
    const rejected = state.rejected.filter((r) => filter.kind === undefined || r.key === undefined || r.key.kind === filter.kind);
    return { resources, rejected };
  }

  async get(key: ResourceKey): Promise<Resource | undefined> {
    return this.#scan().active.get(resourceKeyId(key))?.resource;
  }

  async watch(listener: (event: DatastoreEvent) => void, options: WatchOptions = {}): Promise<Watch> {
    if (this.#closed) throw new Error(`watch ${JSON.stringify(this.dir)}: datastore is closed`);
    const deliver = (event: DatastoreEvent): void => {
      try {
        listener(event);
      } catch (err) {
        if (options.onError) options.onError(err);
        else queueMicrotask(() => {
          throw err;
        });
      }
    };
    this.#start();
    for (const event of initialEvents(this.#scan())) deliver(event);
    this.#listeners.add(deliver);
    const close = (): void => {
      this.#listeners.delete(deliver);
      if (this.#listeners.size === 0) this.#stop();
    };
    options.signal?.addEventListener("abort", close, { once: true });
    return { close };
  }

  async apply(manifest: unknown): Promise<WriteResult> {
    const result = validateResource(manifest, this.options.validation);
    if (!result.ok) throw result.error;
    const { key, resource } = result;
    this.#scan();
    const location = this.#locate(key);
    if (this.#unchanged(key, location, resource)) return { key, action: "unchanged", resource };
    this.#write(key, location, manifest);
    return { key, action: location === undefined ? "created" : "configured", resource };
  }

  async patch(key: ResourceKey, patch: unknown, type: PatchType = "strategic"): Promise<WriteResult> {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      throw new Error(`patch ${formatResourceKey(key)}: the patch must be a JSON object`);
    }
    this.#scan();
    const location = this.#locate(key);
    const base = location?.raw ?? implicitDefault(key);
    if (base === undefined) throw new ResourceNotFoundError("patch", key);
    const merged = type === "merge" ? applyMergePatch(base, patch) : applyStrategicMergePatch(base, patch);
    const newKey = manifestKey(merged);
    if (newKey === undefined || resourceKeyId(newKey) !== resourceKeyId(key)) {
      throw new ValidationError(formatResourceKey(key), "metadata", "a patch may not change apiVersion, kind, name or namespace");
    }
    const result = validateResource(merged, this.options.validation);
    if (!result.ok) throw result.error;
    if (this.#unchanged(key, location, result.resource)) return { key, action: "unchanged", resource: result.resource };
    this.#write(key, location, merged);
    return { key, action: "patched", resource: result.resource };
  }

  async delete(key: ResourceKey): Promise<boolean> {
    this.#scan();
    const id = resourceKeyId(key);
    const byFile = new Map<string, Set<number>>();
    for (const { file, docs } of this.#reader.read()) {
      for (const doc of docs) {
        const k = doc.result.key;
        if (k !== undefined && resourceKeyId(k) === id) byFile.set(file, (byFile.get(file) ?? new Set()).add(doc.index));
      }
    }
    for (const [file, indices] of byFile) {
      const text = this.#reader.text(file) ?? "";
      const rest = removeDocuments(text, indices);
      if (rest === undefined) rmSync(join(this.dir, file), { force: true });
      else atomicWriteFile(join(this.dir, file), rest);
    }
    if (byFile.size > 0) this.#rescan();
    return byFile.size > 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stop();
  }

  /** #locate finds the document defining `key`: the active one, else a rejected one naming it. */
  #locate(key: ResourceKey): Location | undefined {
    const id = resourceKeyId(key);
    const active = this.#state.active.get(id);
    let fallback: Location | undefined;
    for (const { file, docs } of this.#reader.read()) {
      for (const doc of docs) {
        const k = doc.result.key;
        if (k === undefined || resourceKeyId(k) !== id) continue;
        const here = { file, index: doc.index, raw: doc.raw, valid: doc.result.ok };
        if (active !== undefined && active.file === file && doc.result.ok) return here;
        fallback ??= here;
      }
    }
    return fallback;
  }

  /** #unchanged: the stored, valid definition already says exactly this (so writing would be a no-op). */
  #unchanged(key: ResourceKey, location: Location | undefined, resource: Resource): boolean {
    const current = this.#state.active.get(resourceKeyId(key));
    return location?.valid === true && current?.file === location.file && current.fingerprint === stableJson(resource);
  }

  #write(key: ResourceKey, location: Location | undefined, manifest: unknown): void {
    if (location === undefined) {
      atomicWriteFile(join(this.dir, this.#freeFileName(key)), renderManifest(manifest));
    } else {
      const text = this.#reader.text(location.file) ?? "";
      atomicWriteFile(join(this.dir, location.file), replaceDocument(text, location.index, manifest));
    }
    this.#rescan();
  }

  #freeFileName(key: ResourceKey): string {
    const taken = new Set(this.#reader.read().map((f) => f.file));
    const base = newFileName(key);
    let name = base;
    for (let i = 2; taken.has(name); i++) name = base.replace(/\.yaml$/, `-${i}.yaml`);
    return name;
  }

  #scan(): DatastoreState {
    const next = buildState(this.#reader.read(), this.#state);
    const events = diffStates(this.#state, next);
    this.#state = next;
    for (const event of events) for (const listener of this.#listeners) listener(event);
    return next;
  }

  #rescan(): void {
    if (!this.#closed) this.#scan();
  }

  #start(): void {
    if (this.#interval !== undefined) return;
    this.#interval = setInterval(() => {
      this.#ensureWatcher();
      this.#rescan();
    }, this.options.rescanIntervalMs ?? 1000);
    this.#interval.unref();
    this.#ensureWatcher();
  }

  #ensureWatcher(): void {
    if (this.#watcher !== undefined) return;
    try {
      this.#watcher = fsWatch(this.dir, { persistent: false }, (_event, name) => {
        if (name !== null && !isManifestFile(name.toString())) return;
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => this.#rescan(), this.options.debounceMs ?? 50);
      });
      this.#watcher.on("error", () => {
        // The directory went away (or the watch broke): drop it; the rescan timer re-arms it.
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#rescan();
      });
    } catch {
      // No directory yet: the periodic rescan retries.
    }
  }

  #stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    this.#interval = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
