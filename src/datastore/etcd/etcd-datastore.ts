/**
 * EtcdDatastore: the `etcd` backend (etcd v3 through the `etcd3` client), keys as in
 * etcd-keys.ts. Reading: one range read of the whole prefix, then one prefix watch from the
 * next revision; every value goes through the same KubeCache as the kubernetes backend, so only
 * real changes become events. A watch whose revision was compacted away (etcd cancels it) or
 * that fails otherwise is dropped and the prefix re-read (after a back-off for failures): the
 * cache reports only what differs, and while etcd is unreachable the last state stays in force.
 * Writing: validated first, then a transaction conditional on the key's mod revision, so a
 * concurrent writer is never overwritten blindly (retried on conflict).
 */
import { subscribeListener } from "../subscribe-listener.ts";
import { Etcd3, type IKeyValue, type Watcher } from "etcd3";
import { ValidationError } from "../../errors/validation-error.ts";
import type { Resource } from "../../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../../model/resource-key.ts";
import { manifestKey, validateResource } from "../../model/validate-resource.ts";
import type { ValidationOptions } from "../../model/validation-options.ts";
import type {
  Datastore,
  DatastoreEvent,
  ListFilter,
  ListResult,
  PatchType,
  Rejection,
  Watch,
  WatchOptions,
  WriteResult,
} from "../datastore.ts";
import { implicitDefault } from "../implicit-defaults.ts";
import { applyMergePatch } from "../merge-patch.ts";
import { ResourceNotFoundError } from "../resource-not-found-error.ts";
import { sameContent } from "../same-content.ts";
import { applyStrategicMergePatch } from "../strategic-merge-patch.ts";
import { BackOff, type BackOffOptions } from "../kubernetes/back-off.ts";
import { KubeCache, normaliseObject } from "../kubernetes/kube-cache.ts";
import { KUBE_KINDS, type KubeKind } from "../kubernetes/kube-kinds.ts";
import { etcdKey, kindRoot, parseEtcdKey, resourcesRoot } from "./etcd-keys.ts";

/** EtcdDatastoreOptions: where, validation, back-off and debug lines. */
export interface EtcdDatastoreOptions {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly validation?: ValidationOptions;
  readonly backOff?: BackOffOptions;
  readonly debug?: (message: string) => void;
}

/** EtcdStats counts reads of the whole prefix, resyncs after compaction, and errors. */
export interface EtcdStats {
  lists: number;
  resyncsAfterCompaction: number;
  errors: number;
}

function compareResources(a: Resource, b: Resource): number {
  const ka = `${a.kind}/${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.kind}/${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function parseValue(kv: IKeyValue): unknown {
  try {
    return JSON.parse(kv.value.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** EtcdDatastore implements Datastore over etcd v3. */
export class EtcdDatastore implements Datastore {
  readonly stats: EtcdStats = { lists: 0, resyncsAfterCompaction: 0, errors: 0 };
  readonly #client: Etcd3;
  readonly #cache: KubeCache;
  readonly #listeners = new Set<(event: DatastoreEvent) => void>();
  readonly #backOff: BackOff;
  #watcher: Watcher | undefined;
  #synced: Promise<void> | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly options: EtcdDatastoreOptions) {
    this.#client = new Etcd3({ hosts: [...options.endpoints], dialTimeout: 3000 });
    this.#cache = new KubeCache({
      ...(options.validation ? { validation: options.validation } : {}),
      ...(options.debug ? { debug: options.debug } : {}),
    });
    this.#backOff = new BackOff(options.backOff);
  }

  #debug(message: string): void {
    this.options.debug?.(`etcd ${this.options.endpoints.join(",")}: ${message}`);
  }

  /** #call names the operation and the endpoints on a failure: "read etcd http://...: 14 UNAVAILABLE ...". */
  async #call<T>(verb: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new Error(`${verb} etcd ${this.options.endpoints.join(",")}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  #emit(events: readonly DatastoreEvent[]): void {
    for (const e of events) for (const l of this.#listeners) l(e);
  }

  /** #readAll reads the prefix: every kind's objects (grouped) and the revision of the read. */
  async #readAll(cache: KubeCache): Promise<{ events: DatastoreEvent[]; revision: string }> {
    const res = await this.#call(`read ${resourcesRoot(this.options.prefix)} from`, () =>
      this.#client.getAll().prefix(resourcesRoot(this.options.prefix)).exec(),
    );
    const byKind = new Map<KubeKind, unknown[]>(KUBE_KINDS.map((k) => [k, []]));
    for (const kv of res.kvs) {
      const where = parseEtcdKey(this.options.prefix, kv.key.toString("utf8"));
      if (where === undefined) continue;
      byKind.get(where.kind)?.push(parseValue(kv));
    }
    const events = [...byKind].flatMap(([kind, items]) => cache.replace(kind, items));
    return { events, revision: res.header.revision };
  }

  /** #readKind reads the keys of `filter.kind` only (under its namespace when namespaced and given). */
  async #readKind(cache: KubeCache, filter: ListFilter): Promise<{ events: DatastoreEvent[] }> {
    const events: DatastoreEvent[] = [];
    for (const kind of KUBE_KINDS.filter((k) => k.kind === filter.kind)) {
      const root = kindRoot(this.options.prefix, kind);
      const prefix = kind.namespaced && filter.namespace !== undefined ? `${root}${filter.namespace}/` : root;
      const res = await this.#call(`read ${prefix} from`, () => this.#client.getAll().prefix(prefix).exec());
      const items: unknown[] = [];
      for (const kv of res.kvs) {
        const where = parseEtcdKey(this.options.prefix, kv.key.toString("utf8"));
        if (where?.kind === kind) items.push(parseValue(kv));
      }
      events.push(...cache.replace(kind, items));
    }
    return { events };
  }

  /** #sync reads everything, then watches from the next revision; on any watch failure it comes back here. */
  async #sync(): Promise<void> {
    while (!this.#closed) {
      try {
        this.stats.lists++;
        const { events, revision } = await this.#readAll(this.#cache);
        this.#backOff.reset();
        this.#emit(events);
        await this.#watch(revision);
        return;
      } catch (err) {
        if (this.#closed) return;
        this.stats.errors++;
        const delay = this.#backOff.next();
        this.#debug(
          `${(err as Error).message}; retrying in ${delay} ms (the last known state stays in force)`,
        );
        await new Promise((r) => (this.#timer = setTimeout(r, delay)));
      }
    }
  }

  async #watch(revision: string): Promise<void> {
    const watcher = await this.#client
      .watch()
      .prefix(resourcesRoot(this.options.prefix))
      .startRevision(String(BigInt(revision) + 1n))
      .create();
    if (this.#closed) return void (await watcher.cancel());
    this.#watcher = watcher;
    const apply = (kv: IKeyValue, deleted: boolean): void => {
      const where = parseEtcdKey(this.options.prefix, kv.key.toString("utf8"));
      if (where === undefined) return;
      const ident = {
        metadata: {
          name: where.name,
          ...(where.namespace !== undefined ? { namespace: where.namespace } : {}),
        },
      };
      this.#emit(
        deleted ? this.#cache.remove(where.kind, ident) : this.#cache.upsert(where.kind, parseValue(kv)),
      );
    };
    watcher.on("put", (kv) => apply(kv, false));
    watcher.on("delete", (kv) => apply(kv, true));
    watcher.on("error", (err: Error) => {
      // etcd cancels a watch whose start revision was compacted away (etcd3 drops the
      // compact_revision; the cancel carries no reason then): read everything again.
      const compacted = /compact|canceled: *$/i.test(err.message);
      if (compacted) this.stats.resyncsAfterCompaction++;
      this.#debug(`watch ended: ${err.message}; re-reading ${resourcesRoot(this.options.prefix)}`);
      if (this.#watcher === watcher) this.#watcher = undefined;
      void watcher.cancel().catch(() => {});
      if (!this.#closed) void this.#sync();
    });
    watcher.on("disconnected", (err: Error) =>
      this.#debug(
        `watch disconnected (${err.message}); the client reconnects from revision ${watcher.lastRevision() ?? "?"}`,
      ),
    );
  }

  #start(): Promise<void> {
    this.#synced ??= this.#sync();
    return this.#synced;
  }

  async watch(listener: (event: DatastoreEvent) => void, options: WatchOptions = {}): Promise<Watch> {
    if (this.#closed) throw new Error(`watch etcd ${this.options.endpoints.join(",")}: datastore is closed`);
    await this.#start();
    return subscribeListener(this.#listeners, this.#cache.initialEvents(), listener, options);
  }

  async list(filter: ListFilter = {}): Promise<ListResult> {
    const cache = new KubeCache(this.options.validation ? { validation: this.options.validation } : {});
    // One kind asked for: read (and validate) only its keys, in its namespace when one is given.
    const { events } =
      filter.kind === undefined ? await this.#readAll(cache) : await this.#readKind(cache, filter);
    const rejected: Rejection[] = [];
    for (const e of events)
      if (e.type === "rejected" && (filter.kind === undefined || e.key?.kind === filter.kind))
        rejected.push({ source: e.source, error: e.error, ...(e.key ? { key: e.key } : {}) });
    const resources = cache
      .resources()
      .filter((r) => filter.kind === undefined || r.kind === filter.kind)
      .filter((r) => filter.namespace === undefined || r.metadata.namespace === filter.namespace)
      .sort(compareResources);
    return { resources, rejected };
  }

  async #read(key: ResourceKey): Promise<{ raw: Record<string, unknown>; modRevision: string } | undefined> {
    const res = await this.#call(`read ${formatResourceKey(key)} from`, () =>
      this.#client.get(etcdKey(this.options.prefix, key)).exec(),
    );
    const kv = res.kvs[0];
    if (kv === undefined) return undefined;
    const kind = KUBE_KINDS.find((k) => k.group === key.group && k.kind === key.kind);
    return kind === undefined
      ? undefined
      : { raw: normaliseObject(kind, parseValue(kv)), modRevision: kv.mod_revision };
  }

  async get(key: ResourceKey): Promise<Resource | undefined> {
    const found = await this.#read(key);
    if (found === undefined) return undefined;
    const result = validateResource(found.raw, this.options.validation);
    return result.ok ? result.resource : undefined;
  }

  /** #store writes `manifest` if the key is still at `modRevision` ("0": absent); false on a conflict. */
  async #store(key: ResourceKey, manifest: Record<string, unknown>, modRevision: string): Promise<boolean> {
    const k = etcdKey(this.options.prefix, key);
    const meta = { ...((manifest["metadata"] ?? {}) as Record<string, unknown>) };
    if (key.namespace !== undefined) meta["namespace"] = key.namespace;
    const res = await this.#call(`write ${formatResourceKey(key)} to`, () =>
      this.#client
        .if(k, "Mod", "==", modRevision)
        .then(this.#client.put(k).value(JSON.stringify({ ...manifest, metadata: meta })))
        .commit(),
    );
    return res.succeeded;
  }

  async apply(manifest: unknown): Promise<WriteResult> {
    const result = validateResource(manifest, this.options.validation);
    if (!result.ok) throw result.error;
    const { key, resource } = result;
    for (let attempt = 0; attempt < 4; attempt++) {
      const found = await this.#read(key);
      const current = found === undefined ? undefined : validateResource(found.raw, this.options.validation);
      if (current?.ok === true && sameContent(current.resource, resource))
        return { key, action: "unchanged", resource };
      if (await this.#store(key, manifest as Record<string, unknown>, found?.modRevision ?? "0"))
        return { key, action: found === undefined ? "created" : "configured", resource };
    }
    throw new Error(`apply ${formatResourceKey(key)}: conflicting writes, try again`);
  }

  async patch(key: ResourceKey, patch: unknown, type: PatchType = "strategic"): Promise<WriteResult> {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch))
      throw new Error(`patch ${formatResourceKey(key)}: the patch must be a JSON object`);
    for (let attempt = 0; attempt < 4; attempt++) {
      const found = await this.#read(key);
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
      if (await this.#store(key, merged, found?.modRevision ?? "0"))
        return { key, action: "patched", resource: result.resource };
    }
    throw new Error(`patch ${formatResourceKey(key)}: conflicting writes, try again`);
  }

  async delete(key: ResourceKey): Promise<boolean> {
    const res = await this.#call(`delete ${formatResourceKey(key)} from`, () =>
      this.#client.delete().key(etcdKey(this.options.prefix, key)).exec(),
    );
    return Number(res.deleted) > 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    clearTimeout(this.#timer);
    await this.#watcher?.cancel().catch(() => {});
    this.#client.close();
  }
}
