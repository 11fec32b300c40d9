/**
 * Datastore: the one interface every backend (file, kubernetes, etcd) implements. Readers list
 * and watch a stream of validated resources; writers get, apply, patch and delete. The same
 * manifest means the same thing in every backend, and every backend passes the shared contract
 * suite (datastore-contract.case.ts).
 */
import type { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import type { ResourceKey } from "../model/resource-key.ts";

/** Rejection is a manifest that failed validation (or lost a conflict) and is skipped. */
export interface Rejection {
  /** Where the manifest lives, e.g. `services.yaml#2` (file, 1-based document). */
  readonly source: string;
  /** The resource's identity, when the manifest named one. */
  readonly key?: ResourceKey;
  readonly error: ValidationError;
}

/**
 * DatastoreEvent is one change in the stream. A watch first delivers `added` for every current
 * resource and `rejected` for every current rejection, then `synced`, then changes as they happen.
 * An `updated` event only follows a real change of the validated resource.
 */
export type DatastoreEvent =
  | {
      readonly type: "added";
      readonly key: ResourceKey;
      /** resourceKeyId(key), when the datastore holds it (the file datastore): one string, shared. */
      readonly id?: string;
      readonly resource: Resource;
      readonly source: string;
    }
  | {
      readonly type: "updated";
      readonly key: ResourceKey;
      /** As for "added". */
      readonly id?: string;
      readonly resource: Resource;
      readonly previous: Resource;
      readonly source: string;
    }
  | { readonly type: "deleted"; readonly key: ResourceKey; readonly previous: Resource }
  | ({ readonly type: "rejected" } & Rejection)
  | { readonly type: "rejection-cleared"; readonly source: string; readonly key?: ResourceKey }
  | { readonly type: "synced" };

/** ListFilter narrows a list to one kind (the kind name, e.g. "Service") and/or one namespace. */
export interface ListFilter {
  readonly kind?: string;
  readonly namespace?: string;
}

/** ListResult is a consistent snapshot: the valid resources and the current rejections. */
export interface ListResult {
  readonly resources: readonly Resource[];
  readonly rejected: readonly Rejection[];
}

/** WatchOptions: `signal` ends the watch; `onError` receives what a listener threw (default: rethrown). */
export interface WatchOptions {
  readonly signal?: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

/** Watch is a running subscription; `close` stops delivery. */
export interface Watch {
  close(): void;
}

/** WriteAction says what a write did, in kubectl's words. */
export type WriteAction = "created" | "configured" | "unchanged" | "patched";

/** WriteResult is the resource as stored after a write, and what the write did. */
export interface WriteResult {
  readonly key: ResourceKey;
  readonly action: WriteAction;
  readonly resource: Resource;
}

/** PatchType: `merge` is RFC 7386; `strategic` is kubectl's default, supported for plain-object patches. */
export type PatchType = "merge" | "strategic";

/** Datastore is a source of validated resources and the place writers change them. */
export interface Datastore {
  /** list returns a snapshot of valid resources (sorted by kind, namespace, name) and rejections. */
  list(filter?: ListFilter): Promise<ListResult>;
  /** watch delivers the current state, then `synced`, then every change, to `listener` (synchronously). */
  watch(listener: (event: DatastoreEvent) => void, options?: WatchOptions): Promise<Watch>;
  /** get returns one valid resource, or undefined. */
  get(key: ResourceKey): Promise<Resource | undefined>;
  /** apply validates `manifest` and creates or replaces the resource; throws ValidationError, writing nothing, when invalid. */
  apply(manifest: unknown): Promise<WriteResult>;
  /**
   * applyBatch (optional; backends without it are written one `apply` at a time) validates every
   * manifest first — the first invalid one is thrown and nothing is written — then writes them in
   * one pass. Results are in input order.
   */
  applyBatch?(manifests: readonly unknown[]): Promise<WriteResult[]>;
  /** patch merges `patch` into the stored resource, validates the result, then writes it. */
  patch(key: ResourceKey, patch: unknown, type?: PatchType): Promise<WriteResult>;
  /** delete removes the resource; false when it did not exist. */
  delete(key: ResourceKey): Promise<boolean>;
  /** close stops every watch and releases watchers and timers. */
  close(): Promise<void>;
}
