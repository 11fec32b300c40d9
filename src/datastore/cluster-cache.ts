/**
 * ClusterCache is the agent's copy of the datastore: every valid resource by key and every
 * current rejection, fed by the watch's events. Pure (no I/O): the sync loop reads snapshots of it.
 */
import type { DatastoreEvent, Rejection } from "./datastore.ts";
import { resourceKeyId } from "../model/resource-key.ts";
import type { Resource, ResourceOfKind } from "../model/resource.ts";

/** ClusterCache holds resources and rejections; `generation` grows on every change. */
export class ClusterCache {
  readonly #resources = new Map<string, Resource>();
  readonly #rejections = new Map<string, Rejection>();
  #synced = false;
  #generation = 0;

  /** apply folds one datastore event in; returns true when the cache changed. */
  apply(event: DatastoreEvent): boolean {
    switch (event.type) {
      case "added":
      case "updated":
        this.#resources.set(resourceKeyId(event.key), event.resource);
        break;
      case "deleted":
        this.#resources.delete(resourceKeyId(event.key));
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

  /** list returns every resource of one kind. */
  list<K extends Resource["kind"]>(kind: K): ResourceOfKind<K>[] {
    return [...this.#resources.values()].filter((r): r is ResourceOfKind<K> => r.kind === kind);
  }

  /** find returns the cluster-scoped (or namespaced) resource of a kind by name. */
  find<K extends Resource["kind"]>(kind: K, name: string, namespace?: string): ResourceOfKind<K> | undefined {
    return this.list(kind).find(
      (r) => r.metadata.name === name && (namespace === undefined || r.metadata.namespace === namespace),
    );
  }

  /** rejections are the manifests currently failing validation. */
  get rejections(): readonly Rejection[] {
    return [...this.#rejections.values()];
  }
}
