/**
 * KubeCache: what the `kubernetes` datastore knows, built from the API server's objects, and the
 * events each change makes. Pure. Rules (the same as the file backend's):
 * - an object is validated as its kind in the model; a kind the model does not know yet is
 *   ignored, with one debug line per kind;
 * - server bookkeeping (`resourceVersion`, `managedFields`) is dropped first, so an update that
 *   changes nothing Sluice reads makes no event, and neither does a relist of unchanged objects;
 * - an object that fails validation is rejected and its last valid version stays in force.
 */
import type { Resource } from "../../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../../model/resource-key.ts";
import { kindForManifest } from "../../model/resource-kinds.ts";
import { manifestKey, validateResource } from "../../model/validate-resource.ts";
import type { ValidationOptions } from "../../model/validation-options.ts";
import type { DatastoreEvent, Rejection } from "../datastore.ts";
import { stableJson } from "../stable-json.ts";
import { apiVersionOf, type KubeKind } from "./kube-kinds.ts";

interface Entry {
  readonly key: ResourceKey;
  readonly resource: Resource;
  readonly source: string;
  readonly fingerprint: string;
}

/** KubeCacheOptions: validation settings and where the "kind not in the model" lines go. */
export interface KubeCacheOptions {
  readonly validation?: ValidationOptions;
  readonly debug?: (message: string) => void;
}

/** normaliseObject gives a listed or watched object its apiVersion and kind (list items lack them) and drops server bookkeeping. */
export function normaliseObject(kind: KubeKind, object: unknown): Record<string, unknown> {
  const o = (typeof object === "object" && object !== null ? object : {}) as Record<string, unknown>;
  const meta = { ...((o["metadata"] ?? {}) as Record<string, unknown>) };
  delete meta["resourceVersion"];
  delete meta["managedFields"];
  return { ...o, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: meta };
}

/** sourceOf names an object for people: `kubernetes Service shop/web`. */
export function sourceOf(key: ResourceKey): string {
  return `kubernetes ${formatResourceKey(key)}`;
}

function sameKind(key: ResourceKey, kind: KubeKind): boolean {
  return key.group === kind.group && key.kind === kind.kind;
}

/** KubeCache holds the valid resources and rejections; every mutator returns the events it caused. */
export class KubeCache {
  readonly #entries = new Map<string, Entry>();
  readonly #rejected = new Map<string, Rejection>();
  readonly #ignoredKinds = new Set<string>();

  constructor(readonly options: KubeCacheOptions = {}) {}

  /** known: the model validates this kind (others are ignored). */
  known(kind: KubeKind): boolean {
    if (kindForManifest(apiVersionOf(kind), kind.kind) !== undefined) return true;
    if (!this.#ignoredKinds.has(kind.kind)) {
      this.#ignoredKinds.add(kind.kind);
      this.options.debug?.(
        `${kind.kind}: ${apiVersionOf(kind)} ${kind.kind} is not in Sluice's model yet; its objects are ignored`,
      );
    }
    return false;
  }

  /** upsert adds or changes one object. */
  upsert(kind: KubeKind, object: unknown): DatastoreEvent[] {
    if (!this.known(kind)) return [];
    const raw = normaliseObject(kind, object);
    const result = validateResource(raw, this.options.validation);
    const events: DatastoreEvent[] = [];
    if (!result.ok) {
      const key = result.key ?? manifestKey(raw);
      const source = key !== undefined ? sourceOf(key) : `kubernetes ${kind.kind} (unnamed)`;
      const old = this.#rejected.get(source);
      if (old === undefined || old.error.message !== result.error.message) {
        const rejection: Rejection = { source, error: result.error, ...(key !== undefined ? { key } : {}) };
        this.#rejected.set(source, rejection);
        events.push({ type: "rejected", ...rejection });
      }
      return events;
    }
    const { key, resource } = result;
    const id = resourceKeyId(key);
    const source = sourceOf(key);
    if (this.#rejected.delete(source)) events.push({ type: "rejection-cleared", source, key });
    const fingerprint = stableJson(resource);
    const old = this.#entries.get(id);
    if (old?.fingerprint === fingerprint) return events;
    this.#entries.set(id, { key, resource, source, fingerprint });
    events.push(
      old === undefined
        ? { type: "added", key, resource, source }
        : { type: "updated", key, resource, previous: old.resource, source },
    );
    return events;
  }

  /** remove deletes one object (by its identity; the body may be the last state the server had). */
  remove(kind: KubeKind, object: unknown): DatastoreEvent[] {
    if (!this.known(kind)) return [];
    const key = manifestKey(normaliseObject(kind, object));
    if (key === undefined) return [];
    return this.#drop(key);
  }

  #drop(key: ResourceKey): DatastoreEvent[] {
    const events: DatastoreEvent[] = [];
    const source = sourceOf(key);
    if (this.#rejected.delete(source)) events.push({ type: "rejection-cleared", source, key });
    const id = resourceKeyId(key);
    const old = this.#entries.get(id);
    if (old !== undefined) {
      this.#entries.delete(id);
      events.push({ type: "deleted", key, previous: old.resource });
    }
    return events;
  }

  /** replace makes `items` the whole set of `kind` (after a list): only differences become events. */
  replace(kind: KubeKind, items: readonly unknown[]): DatastoreEvent[] {
    if (!this.known(kind)) return [];
    const present = new Set<string>();
    const events: DatastoreEvent[] = [];
    for (const item of items) {
      const key = manifestKey(normaliseObject(kind, item));
      if (key !== undefined) present.add(resourceKeyId(key));
      events.push(...this.upsert(kind, item));
    }
    const gone = new Map<string, ResourceKey>();
    for (const [id, e] of this.#entries) if (sameKind(e.key, kind) && !present.has(id)) gone.set(id, e.key);
    for (const r of this.#rejected.values())
      if (r.key !== undefined && sameKind(r.key, kind) && !present.has(resourceKeyId(r.key)))
        gone.set(resourceKeyId(r.key), r.key);
    for (const key of gone.values()) events.push(...this.#drop(key));
    return events;
  }

  /** resources lists the valid resources. */
  resources(): Resource[] {
    return [...this.#entries.values()].map((e) => e.resource);
  }

  /** get returns one valid resource. */
  get(key: ResourceKey): Resource | undefined {
    return this.#entries.get(resourceKeyId(key))?.resource;
  }

  /** initialEvents replays the state for a new watcher: adds, rejections, then `synced`. */
  initialEvents(): DatastoreEvent[] {
    return [
      ...[...this.#entries.values()].map((e): DatastoreEvent => ({
        type: "added",
        key: e.key,
        resource: e.resource,
        source: e.source,
      })),
      ...[...this.#rejected.values()].map((r): DatastoreEvent => ({ type: "rejected", ...r })),
      { type: "synced" },
    ];
  }
}
