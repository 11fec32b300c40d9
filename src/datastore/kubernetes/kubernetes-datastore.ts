/**
 * KubernetesDatastore: the `kubernetes` backend. Reading: one Reflector (list, then watch) per
 * kind in KUBE_KINDS feeds a KubeCache, which reports only real changes; watchers get the state
 * once every kind has listed, then changes. While the API server is unreachable the cache (and
 * so the dataplane) stays as it was. Writing: validated first, exactly as the file backend,
 * then plain REST (POST / PUT with the read resourceVersion / DELETE), retrying a 409 conflict.
 */
import { subscribeListener } from "../subscribe-listener.ts";
import type { KubeConfig } from "@kubernetes/client-node";
import { ValidationError } from "../../errors/validation-error.ts";
import type { Resource } from "../../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../../model/resource-key.ts";
import { kindForManifest } from "../../model/resource-kinds.ts";
import { manifestKey, validateResource } from "../../model/validate-resource.ts";
import type { ValidationOptions } from "../../model/validation-options.ts";
import type {
  Datastore,
  DatastoreEvent,
  ListFilter,
  ListResult,
  PatchType,
  Watch,
  WatchOptions,
  WriteResult,
} from "../datastore.ts";
import { implicitDefault } from "../implicit-defaults.ts";
import { applyMergePatch } from "../merge-patch.ts";
import { ResourceNotFoundError } from "../resource-not-found-error.ts";
import { sameContent } from "../same-content.ts";
import { applyStrategicMergePatch } from "../strategic-merge-patch.ts";
import { apiServerAddressProblem } from "./api-server-address.ts";
import { KubeCache, normaliseObject } from "./kube-cache.ts";
import { apiServerHost, kubeRequest, statusMessage } from "./kube-connection.ts";
import {
  apiVersionOf,
  collectionPath,
  KUBE_KINDS,
  kubeKindOf,
  objectPath,
  type KubeKind,
} from "./kube-kinds.ts";
import { Reflector, type ReflectorOptions } from "./reflector.ts";

/** KubernetesDatastoreOptions: validation, reflector tuning, and where debug lines go. */
export interface KubernetesDatastoreOptions extends ReflectorOptions {
  readonly validation?: ValidationOptions;
  /** Kinds to watch (default KUBE_KINDS); tests narrow it. */
  readonly kinds?: readonly KubeKind[];
}

function compareResources(a: Resource, b: Resource): number {
  const ka = `${a.kind}/${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.kind}/${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function kindOrThrow(verb: string, key: ResourceKey): KubeKind {
  const kind = kubeKindOf(key);
  if (kind === undefined)
    throw new Error(
      `${verb} ${formatResourceKey(key)}: kind ${key.group === "" ? "" : `${key.group}/`}${key.kind} is not served by the kubernetes datastore`,
    );
  return kind;
}

/** KubernetesDatastore implements Datastore over the Kubernetes API. */
export class KubernetesDatastore implements Datastore {
  readonly #cache: KubeCache;
  readonly #listeners = new Set<(event: DatastoreEvent) => void>();
  readonly #reflectors: Reflector[] = [];
  readonly #pending = new Set<string>();
  #synced: Promise<void> | undefined;
  #onSynced: (() => void) | undefined;
  #closed = false;

  constructor(
    readonly kc: KubeConfig,
    readonly options: KubernetesDatastoreOptions = {},
  ) {
    this.#cache = new KubeCache({
      ...(options.validation ? { validation: options.validation } : {}),
      ...(options.debug ? { debug: options.debug } : {}),
    });
  }

  #timeout(): { timeoutMs?: number } {
    return this.options.requestTimeoutMs !== undefined ? { timeoutMs: this.options.requestTimeoutMs } : {};
  }

  /** reflectorStats sums what the reflectors did (lists, relists after 410, watches, errors, bookmarks). */
  reflectorStats(): {
    lists: number;
    relistsAfterGone: number;
    watches: number;
    errors: number;
    bookmarks: number;
  } {
    const sum = { lists: 0, relistsAfterGone: 0, watches: 0, errors: 0, bookmarks: 0 };
    for (const r of this.#reflectors)
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += r.stats[k];
    return sum;
  }

  #emit(events: readonly DatastoreEvent[]): void {
    for (const e of events) for (const l of this.#listeners) l(e);
  }

  #ready(kind: KubeKind): void {
    this.#pending.delete(`${kind.group}/${kind.kind}`);
    if (this.#pending.size === 0) this.#onSynced?.();
  }

  /** #start runs the reflectors (once) and resolves when every kind has listed (or is not served). */
  #start(): Promise<void> {
    if (this.#synced !== undefined) return this.#synced;
    const kinds = this.options.kinds ?? KUBE_KINDS;
    for (const k of kinds) this.#pending.add(`${k.group}/${k.kind}`);
    this.#synced = new Promise<void>((resolve) => (this.#onSynced = resolve));
    const sink = {
      replace: (k: KubeKind, items: readonly unknown[]) => (
        this.#emit(this.#cache.replace(k, items)),
        this.#ready(k)
      ),
      upsert: (k: KubeKind, o: unknown) => this.#emit(this.#cache.upsert(k, o)),
      remove: (k: KubeKind, o: unknown) => this.#emit(this.#cache.remove(k, o)),
      notServed: (k: KubeKind) => this.#ready(k),
    };
    for (const k of kinds) {
      const r = new Reflector(this.kc, k, sink, this.options);
      this.#reflectors.push(r);
      r.start();
    }
    return this.#synced;
  }

  async watch(listener: (event: DatastoreEvent) => void, options: WatchOptions = {}): Promise<Watch> {
    if (this.#closed) throw new Error(`watch ${apiServerHost(this.kc).server}: datastore is closed`);
    await this.#start();
    const { host, port } = apiServerHost(this.kc);
    const problem = apiServerAddressProblem(host, port, this.#cache.resources());
    if (problem !== undefined) throw new Error(problem);
    return subscribeListener(this.#listeners, this.#cache.initialEvents(), listener, options);
  }

  async list(filter: ListFilter = {}): Promise<ListResult> {
    const kinds = (this.options.kinds ?? KUBE_KINDS).filter(
      (k) =>
        (filter.kind === undefined || k.kind === filter.kind) &&
        kindForManifest(apiVersionOf(k), k.kind) !== undefined,
    );
    const cache = new KubeCache(this.options.validation ? { validation: this.options.validation } : {});
    const rejected = [];
    for (const k of kinds) {
      const res = await kubeRequest(this.kc, "GET", collectionPath(k, filter.namespace), this.#timeout());
      if (res.status === 404) continue;
      if (res.status !== 200)
        throw new Error(`list ${collectionPath(k, filter.namespace)}: ${statusMessage(res)}`);
      const events = cache.replace(k, (res.body as { items?: unknown[] }).items ?? []);
      for (const e of events)
        if (e.type === "rejected")
          rejected.push({ source: e.source, error: e.error, ...(e.key ? { key: e.key } : {}) });
    }
    return { resources: cache.resources().sort(compareResources), rejected };
  }

  /** #read fetches one object as the server has it (normalised), or undefined; keeps the resourceVersion for a later PUT. */
  async #read(
    verb: string,
    key: ResourceKey,
  ): Promise<{ raw: Record<string, unknown>; resourceVersion: string | undefined } | undefined> {
    const kind = kindOrThrow(verb, key);
    const res = await kubeRequest(this.kc, "GET", objectPath(kind, key), this.#timeout());
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`${verb} ${formatResourceKey(key)}: ${statusMessage(res)}`);
    const rv = (res.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    return { raw: normaliseObject(kind, res.body), resourceVersion: rv };
  }

  async get(key: ResourceKey): Promise<Resource | undefined> {
    const found = await this.#read("get", key);
    if (found === undefined) return undefined;
    const result = validateResource(found.raw, this.options.validation);
    return result.ok ? result.resource : undefined;
  }

  /** #store creates (`resourceVersion` undefined and not `exists`) or replaces the object; 409 means someone else wrote first. */
  async #store(
    verb: string,
    key: ResourceKey,
    manifest: Record<string, unknown>,
    existing: { resourceVersion: string | undefined } | undefined,
  ): Promise<"ok" | "conflict"> {
    const kind = kindOrThrow(verb, key);
    const meta = { ...((manifest["metadata"] ?? {}) as Record<string, unknown>) };
    if (kind.namespaced) meta["namespace"] = key.namespace;
    if (existing?.resourceVersion !== undefined) meta["resourceVersion"] = existing.resourceVersion;
    const body = { ...manifest, metadata: meta };
    const res =
      existing === undefined
        ? await kubeRequest(
            this.kc,
            "POST",
            collectionPath(kind, kind.namespaced ? key.namespace : undefined),
            { body, ...this.#timeout() },
          )
        : await kubeRequest(this.kc, "PUT", objectPath(kind, key), { body, ...this.#timeout() });
    if (res.status === 409) return "conflict";
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`${verb} ${formatResourceKey(key)}: ${statusMessage(res)}`);
    return "ok";
  }

  async apply(manifest: unknown): Promise<WriteResult> {
    const result = validateResource(manifest, this.options.validation);
    if (!result.ok) throw result.error;
    const { key, resource } = result;
    for (let attempt = 0; ; attempt++) {
      const found = await this.#read("apply", key);
      const current = found === undefined ? undefined : validateResource(found.raw, this.options.validation);
      if (current?.ok === true && sameContent(current.resource, resource))
        return { key, action: "unchanged", resource };
      if ((await this.#store("apply", key, manifest as Record<string, unknown>, found)) === "ok")
        return { key, action: found === undefined ? "created" : "configured", resource };
      if (attempt >= 3) throw new Error(`apply ${formatResourceKey(key)}: conflicting writes, try again`);
    }
  }

  async patch(key: ResourceKey, patch: unknown, type: PatchType = "strategic"): Promise<WriteResult> {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch))
      throw new Error(`patch ${formatResourceKey(key)}: the patch must be a JSON object`);
    for (let attempt = 0; ; attempt++) {
      const found = await this.#read("patch", key);
      const base = found?.raw ?? implicitDefault(key);
      if (base === undefined) throw new ResourceNotFoundError("patch", key);
      const merged = (
        type === "merge" ? applyMergePatch(base, patch) : applyStrategicMergePatch(base, patch)
      ) as Record<string, unknown>;
      const newKey = manifestKey(merged);
      if (newKey === undefined || resourceKeyId(newKey) !== resourceKeyId(key))
        throw new ValidationError(
          formatResourceKey(key),
          "metadata",
          "a patch may not change apiVersion, kind, name or namespace",
        );
      const result = validateResource(merged, this.options.validation);
      if (!result.ok) throw result.error;
      const before = found === undefined ? undefined : validateResource(found.raw, this.options.validation);
      if (before?.ok === true && sameContent(before.resource, result.resource))
        return { key, action: "unchanged", resource: result.resource };
      if ((await this.#store("patch", key, merged, found)) === "ok")
        return { key, action: "patched", resource: result.resource };
      if (attempt >= 3) throw new Error(`patch ${formatResourceKey(key)}: conflicting writes, try again`);
    }
  }

  async delete(key: ResourceKey): Promise<boolean> {
    const kind = kindOrThrow("delete", key);
    const res = await kubeRequest(this.kc, "DELETE", objectPath(kind, key), this.#timeout());
    if (res.status === 404) return false;
    if (res.status !== 200 && res.status !== 202)
      throw new Error(`delete ${formatResourceKey(key)}: ${statusMessage(res)}`);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#onSynced?.();
    await Promise.all(this.#reflectors.map((r) => r.stop()));
  }
}
