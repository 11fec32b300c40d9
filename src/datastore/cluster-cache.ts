/**
 * ClusterCache is the agent's copy of the datastore: every valid resource by key and every
 * current rejection, fed by the watch's events. Pure (no I/O): the sync loop reads snapshots of it.
 *
 * Resources are held per kind, and EndpointSlices also per Service, so that a sync of one
 * Service (the agent's fast path) reads that Service and its slices without walking the
 * cluster: at 10,000 Services a walk of every resource per change is the change's whole cost.
 */
import { addOne, removeOne, type OneOrMore } from "../model/one-or-more.ts";
import type { DatastoreEvent, Rejection } from "./datastore.ts";
import { endpointSliceServiceName } from "../model/endpoint-slice.ts";
import type { EndpointSlice } from "../model/endpoint-slice.ts";
import { resourceKeyId } from "../model/resource-key.ts";
import { RESOURCE_KINDS, type KindInfo } from "../model/resource-kinds.ts";
import type { Resource, ResourceOfKind } from "../model/resource.ts";

const NO_SLICES: readonly EndpointSlice[] = [];

/**
 * The kinds whose name belongs to one API group: their resources are found by get() through
 * their key id (the group is known), without a map of their own. A kind two groups share
 * (NetworkPolicy), or one not known here, keeps the "kind\nnamespace/name" map.
 */
const ONE_GROUP_KINDS: ReadonlyMap<string, KindInfo> = (() => {
  const byKind = new Map<string, KindInfo | undefined>();
  for (const k of RESOURCE_KINDS) byKind.set(k.kind, byKind.has(k.kind) ? undefined : k);
  const out = new Map<string, KindInfo>();
  for (const [kind, info] of byKind) if (info !== undefined) out.set(kind, info);
  return out;
})();

/** ClusterCache holds resources and rejections; `generation` grows on every change. */
export class ClusterCache {
  readonly #byKind = new Map<string, Map<string, Resource>>();
  /**
   * The key ids of the EndpointSlices of each "namespace/service" (unlabelled ones under
   * "namespace/"): the id itself when there is one (most Services have one slice; a one-element
   * array each was ~0.56 MB at 10,000 Services), else an array — not a Map per Service (10,000
   * one-entry Maps were ~2.6 MB).
   */
  readonly #slicesByService = new Map<string, OneOrMore<string>>();
  /**
   * Resources of the kinds not in ONE_GROUP_KINDS by kind and "namespace/name", for get(). The
   * others are found by their key id: a second string and map entry per resource were ~1.9 MB
   * at 10,000 Services.
   */
  readonly #named = new Map<string, Resource>();
  readonly #kindGenerations = new Map<string, number>();
  /**
   * When each EndpointSlice was first added: list() order (a Map keeps its first insertion's
   * place), which endpointSlicesOf keeps too. Only slices: nothing else asks.
   */
  readonly #order = new Map<string, number>();
  #nextOrder = 0;
  readonly #rejections = new Map<string, Rejection>();
  #synced = false;
  #generation = 0;

  /** apply folds one datastore event in; returns true when the cache changed. */
  apply(event: DatastoreEvent): boolean {
    switch (event.type) {
      case "added":
      case "updated": {
        const id = event.id ?? resourceKeyId(event.key);
        const kind = event.resource.kind;
        if (event.type === "updated" && event.previous.kind !== kind) this.#delete(event.previous.kind, id);
        let of = this.#byKind.get(kind);
        if (of === undefined) this.#byKind.set(kind, (of = new Map()));
        const before = of.get(id);
        if (before === undefined && kind === "EndpointSlice") this.#order.set(id, this.#nextOrder++);
        if (before?.kind === "EndpointSlice") this.#unindexSlice(before, id);
        if (before !== undefined && !ONE_GROUP_KINDS.has(before.kind)) this.#named.delete(namedKey(before));
        of.set(id, event.resource);
        if (!ONE_GROUP_KINDS.has(kind)) this.#named.set(namedKey(event.resource), event.resource);
        if (event.resource.kind === "EndpointSlice") this.#indexSlice(event.resource, id);
        this.#bump(kind);
        break;
      }
      case "deleted":
        this.#delete(event.previous.kind, resourceKeyId(event.key));
        break;
      case "rejected":
        this.#rejections.set(event.source, event);
        break;
      case "rejection-cleared":
        this.#rejections.delete(event.source);
        break;
      case "synced":
        if (this.#synced) return false;
        this.#synced = true;
        break;
    }
    this.#generation++;
    return true;
  }

  /** synced is true once the watch delivered its initial state. */
  get synced(): boolean {
    return this.#synced;
  }

  get generation(): number {
    return this.#generation;
  }

  /** generationOf grows whenever a resource of `kind` is added, changed or deleted. */
  generationOf(kind: Resource["kind"]): number {
    return this.#kindGenerations.get(kind) ?? 0;
  }

  /** list returns every resource of one kind. */
  list<K extends Resource["kind"]>(kind: K): ResourceOfKind<K>[] {
    const of = this.#byKind.get(kind);
    return of === undefined ? [] : ([...of.values()] as ResourceOfKind<K>[]);
  }

  /** find returns the cluster-scoped (or namespaced) resource of a kind by name. */
  find<K extends Resource["kind"]>(kind: K, name: string, namespace?: string): ResourceOfKind<K> | undefined {
    const of = this.#byKind.get(kind);
    if (of === undefined) return undefined;
    for (const r of of.values())
      if (r.metadata.name === name && (namespace === undefined || r.metadata.namespace === namespace))
        return r as ResourceOfKind<K>;
    return undefined;
  }

  /** get returns the resource of a kind called "namespace/name" (no namespace reads as "default"), without a walk. */
  get<K extends Resource["kind"]>(kind: K, namespacedName: string): ResourceOfKind<K> | undefined {
    const info = ONE_GROUP_KINDS.get(kind);
    if (info === undefined)
      return this.#named.get(`${kind}\n${namespacedName}`) as ResourceOfKind<K> | undefined;
    const slash = namespacedName.indexOf("/");
    if (slash < 0) return undefined;
    const namespace = namespacedName.slice(0, slash);
    const name = namespacedName.slice(slash + 1);
    // A cluster-scoped resource's "namespace/name" is "default/name" (namedKey).
    if (!info.namespaced && namespace !== "default") return undefined;
    const id = resourceKeyId({
      group: info.group,
      kind,
      ...(info.namespaced ? { namespace } : {}),
      name,
    });
    const r = this.#byKind.get(kind)?.get(id);
    // The id is what the event's key named, get() names by metadata: the same for every
    // datastore's keys (manifestKey), checked here rather than assumed.
    const ns = (r?.metadata as { namespace?: string } | undefined)?.namespace ?? "default";
    return r !== undefined && r.metadata.name === name && ns === namespace
      ? (r as ResourceOfKind<K>)
      : undefined;
  }

  /**
   * endpointSlicesOf returns the EndpointSlices of Service "namespace/name" in list() order —
   * the order a full pass groups them in, which decides the order of the backends.
   */
  endpointSlicesOf(service: string): readonly EndpointSlice[] {
    const of = this.#slicesByService.get(service);
    const slices = this.#byKind.get("EndpointSlice");
    if (of === undefined || slices === undefined) return NO_SLICES;
    if (typeof of === "string") return [slices.get(of) as EndpointSlice];
    const ids = of.length > 1 ? [...of].sort((a, b) => this.#order.get(a)! - this.#order.get(b)!) : of;
    return ids.map((id) => slices.get(id) as EndpointSlice);
  }

  /** rejections are the manifests currently failing validation. */
  get rejections(): readonly Rejection[] {
    return [...this.#rejections.values()];
  }

  #delete(kind: string, id: string): void {
    const of = this.#byKind.get(kind);
    const before = of?.get(id);
    if (before === undefined) return;
    of!.delete(id);
    this.#order.delete(id);
    if (!ONE_GROUP_KINDS.has(before.kind) && this.#named.get(namedKey(before)) === before)
      this.#named.delete(namedKey(before));
    if (before.kind === "EndpointSlice") this.#unindexSlice(before, id);
    this.#bump(kind);
  }

  #bump(kind: string): void {
    this.#kindGenerations.set(kind, (this.#kindGenerations.get(kind) ?? 0) + 1);
  }

  #indexSlice(slice: EndpointSlice, id: string): void {
    addOne(this.#slicesByService, sliceServiceKey(slice), id);
  }

  #unindexSlice(slice: EndpointSlice, id: string): void {
    removeOne(this.#slicesByService, sliceServiceKey(slice), id);
  }
}

/** namedKey: kind and "namespace/name", a missing namespace read as "default" (as the calc's namespaceOf does). */
function namedKey(r: Resource): string {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return [r.kind, "\n", ns ?? "default", "/", r.metadata.name].join("");
}

/** sliceServiceKey is the "namespace/service" an EndpointSlice belongs to ("namespace/" when unlabelled). */
export function sliceServiceKey(slice: EndpointSlice): string {
  return [slice.metadata.namespace ?? "default", endpointSliceServiceName(slice) ?? ""].join("/");
}
