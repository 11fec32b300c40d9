/**
 * DatastoreIndex: the file datastore's state kept in memory and updated file by file, so a change
 * to one file costs work for that file's resources only — never a pass over the whole directory.
 * It applies the same rules as buildState (datastore-state.ts), which stays the reference the
 * tests compare it with:
 * - a resource defined twice: the definition that already held it keeps it (else the first in
 *   file-name and document order); the other is rejected as a conflict, never merged;
 * - a manifest edited into an invalid one is rejected and the last valid version stays in force
 *   until the manifest is fixed or its file deleted.
 * Pure: parsed documents in, events out.
 */
import { createHash } from "node:crypto";
import { listOf, oneOrMore, removeOne, type OneOrMore } from "../model/one-or-more.ts";
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../model/resource-key.ts";
import type { DatastoreEvent, Rejection } from "./datastore.ts";
import { documentSource, type ActiveEntry } from "./datastore-state.ts";
import type { ManifestDocument } from "./manifest-documents.ts";
import { stableJson } from "./stable-json.ts";

/** Definition is one document that names a resource: valid (an ActiveEntry candidate) or not. */
export type Definition =
  | (ActiveEntry & { readonly ok: true; readonly index: number })
  | {
      readonly ok: false;
      readonly file: string;
      readonly index: number;
      readonly source: string;
      readonly key?: ResourceKey;
      readonly error: ValidationError;
    };

/** fingerprintOf is a short digest of a resource's stable JSON: equal resources, equal digests. */
export function fingerprintOf(resource: Resource): string {
  return createHash("sha1").update(stableJson(resource)).digest("base64");
}

/**
 * ValidDefinition is a valid document's definition. A class, not an object literal with a lazy
 * `get fingerprint()`: such a literal (plus the closure and context behind its getter) took ~620
 * bytes per resource in V8 — 12 MB of an agent's heap at 10,000 Services — where an instance
 * with its fields in-object takes ~100. `ok` and `source` live on the prototype: `source` is a
 * template string of the file name, V8 kept it as two concatenated-string nodes (~65 bytes a
 * document, 1.3 MB at 10,000 Services) for a name read only when an event or rejection is made.
 */
class ValidDefinition {
  #fingerprint: string | undefined;
  /**
   * The key's group when the resource names the rest of the key (kind, namespace, name: always,
   * for a validated resource), the key itself otherwise. A key object per resource was 56 bytes
   * (1.1 MB at 10,000 Services) repeating what the resource holds.
   */
  readonly #key: string | ResourceKey;
  constructor(
    key: ResourceKey,
    readonly resource: Resource,
    readonly file: string,
    readonly index: number,
  ) {
    this.#key = namesKey(resource, key) ? key.group : key;
  }

  /** key is made afresh from the resource on each read (equal to the one given, not the same object). */
  get key(): ResourceKey {
    const k = this.#key;
    return typeof k === "string" ? keyOfResource(k, this.resource) : k;
  }

  get ok(): true {
    return true;
  }

  get source(): string {
    return documentSource(this.file, this.index);
  }

  /**
   * Digested when first compared (an update of the resource, apply's no-op check), not for every
   * document loaded: at a start over 20,000 files that was ~0.6 s nobody read.
   */
  get fingerprint(): string {
    return (this.#fingerprint ??= fingerprintOf(this.resource));
  }
}

/** keyOfResource is the key a validated resource of `group` has: its kind, namespace (when set) and name, in manifestKey's order. */
function keyOfResource(group: string, r: Resource): ResourceKey {
  const ns = (r.metadata as { namespace?: string }).namespace;
  return ns === undefined
    ? { group, kind: r.kind, name: r.metadata.name }
    : { group, kind: r.kind, namespace: ns, name: r.metadata.name };
}

/** namesKey: keyOfResource(key.group, r) is deep-equal to `key`, key order included. */
function namesKey(r: Resource, key: ResourceKey): boolean {
  const ns = (r.metadata as { namespace?: string }).namespace;
  const keys = Object.keys(key);
  return (
    key.kind === r.kind &&
    key.name === r.metadata.name &&
    key.namespace === ns &&
    typeof key.group === "string" &&
    (ns === undefined
      ? keys.length === 3 && keys[0] === "group" && keys[1] === "kind" && keys[2] === "name"
      : keys.length === 4 &&
        keys[0] === "group" &&
        keys[1] === "kind" &&
        keys[2] === "namespace" &&
        keys[3] === "name")
  );
}

function definitionsOf(file: string, docs: readonly ManifestDocument[]): Definition[] {
  return docs.map((doc) => {
    if (doc.result.ok) return new ValidDefinition(doc.result.key, doc.result.resource, file, doc.index);
    const key = doc.result.key;
    const source = documentSource(file, doc.index);
    return { ok: false, file, index: doc.index, source, error: doc.result.error, ...(key ? { key } : {}) };
  });
}

function compareDefinitions(a: Definition, b: Definition): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index;
}

function sameRejection(a: Rejection, b: Rejection): boolean {
  return a.source === b.source && a.error.message === b.error.message;
}

/** DatastoreIndex holds every file's definitions, each resource's holder, and the rejections. */
export class DatastoreIndex {
  /** Per file and per key: the definition itself when there is one (nearly always), else a list. */
  readonly #files = new Map<string, OneOrMore<Definition>>();
  readonly #byKey = new Map<string, OneOrMore<Definition>>();
  readonly #active = new Map<string, ActiveEntry>();
  readonly #rejected = new Map<string, Rejection>();
  /** During update: the sources given a rejection (the candidates for a "rejected" event). */
  #rejectedNow: string[] = [];

  /** active maps resourceKeyId to the definition in force. */
  get active(): ReadonlyMap<string, ActiveEntry> {
    return this.#active;
  }

  /** files lists the files the index holds. */
  files(): IterableIterator<string> {
    return this.#files.keys();
  }

  /** documentsOf is what the index holds of one file (the IndexSnapshot records it). */
  documentsOf(file: string): readonly Definition[] | undefined {
    const defs = this.#files.get(file);
    return defs === undefined ? undefined : listOf(defs);
  }

  /** definitions are every document naming `key` (valid or not), in file-name and document order. */
  definitions(key: ResourceKey): readonly Definition[] {
    return listOf(this.#byKey.get(resourceKeyId(key)));
  }

  /** rejected lists the current rejections in file-name and document order. */
  rejected(): Rejection[] {
    return [...this.#rejected.values()].sort((a, b) => compareSource(a.source, b.source));
  }

  /**
   * update replaces the documents of the files in `changes` (undefined: the file is gone) and
   * returns the events, in diffStates' order: deletes, adds and updates, rejection changes.
   */
  update(changes: ReadonlyMap<string, readonly ManifestDocument[] | undefined>): DatastoreEvent[] {
    const keys = new Set<string>();
    // The rejections dropped by this update, as they were before it. A source with none is not
    // recorded, nor even named while nothing is rejected (`source` is made on each read: 20,000
    // strings and map lookups, twice, in a restart's first update at 10k Services).
    const before = new Map<string, Rejection>();
    const dropRejection = (def: Definition): void => {
      if (this.#rejected.size === 0) return;
      const source = def.source;
      const old = this.#rejected.get(source);
      if (old === undefined) return;
      if (!before.has(source)) before.set(source, old);
      this.#rejected.delete(source);
    };
    this.#rejectedNow = [];
    for (const [file, docs] of changes) {
      for (const def of listOf(this.#files.get(file))) {
        dropRejection(def);
        const key = def.key;
        if (key === undefined) continue;
        const id = resourceKeyId(key);
        keys.add(id);
        removeOne(this.#byKey, id, def);
      }
      if (docs === undefined) {
        this.#files.delete(file);
        continue;
      }
      const defs = definitionsOf(file, docs);
      this.#files.set(file, oneOrMore(defs));
      for (const def of defs) {
        dropRejection(def);
        const key = def.key;
        if (key === undefined) {
          if (!def.ok) this.#reject({ source: def.source, error: def.error });
          continue;
        }
        const id = resourceKeyId(key);
        keys.add(id);
        const held = this.#byKey.get(id);
        this.#byKey.set(id, held === undefined ? def : [...listOf(held), def].sort(compareDefinitions));
      }
    }
    const removed: DatastoreEvent[] = [];
    const changed: DatastoreEvent[] = [];
    for (const id of keys) {
      if (this.#rejected.size > 0) for (const def of listOf(this.#byKey.get(id))) dropRejection(def);
      const old = this.#active.get(id);
      const cur = this.#resolve(id, old);
      if (cur === undefined) {
        this.#active.delete(id);
        if (old !== undefined) removed.push({ type: "deleted", key: old.key, previous: old.resource });
        continue;
      }
      this.#active.set(id, cur);
      if (old === undefined)
        changed.push({ type: "added", key: cur.key, id, resource: cur.resource, source: cur.source });
      else if (old.fingerprint !== cur.fingerprint) {
        changed.push({
          type: "updated",
          key: cur.key,
          id,
          resource: cur.resource,
          previous: old.resource,
          source: cur.source,
        });
      }
    }
    const rejections: DatastoreEvent[] = [];
    for (const [source, old] of before) {
      if (!this.#rejected.has(source))
        rejections.push({ type: "rejection-cleared", source, ...(old.key ? { key: old.key } : {}) });
    }
    const reported = new Set<string>();
    for (const source of this.#rejectedNow) {
      const now = this.#rejected.get(source);
      if (now === undefined || reported.has(source)) continue;
      reported.add(source);
      const old = before.get(source);
      if (old === undefined || !sameRejection(old, now)) rejections.push({ type: "rejected", ...now });
    }
    this.#rejectedNow = [];
    return [...removed, ...changed, ...rejections];
  }

  #reject(r: Rejection): void {
    this.#rejected.set(r.source, r);
    this.#rejectedNow.push(r.source);
  }

  /** #resolve picks the holder of one resource and records the rejections of its other definitions. */
  #resolve(id: string, old: ActiveEntry | undefined): ActiveEntry | undefined {
    const held = this.#byKey.get(id);
    // Nearly always one valid definition: it holds the key and there is nothing to reject.
    if (held !== undefined && !Array.isArray(held) && held.ok) return held;
    const defs = listOf(held);
    const valid = defs.filter((d): d is Extract<Definition, { ok: true }> => d.ok);
    let holder: ActiveEntry | undefined = (old && valid.find((d) => d.file === old.file)) ?? valid[0];
    for (const d of valid) {
      if (d === holder) continue;
      const error = new ValidationError(
        formatResourceKey(d.key),
        "metadata.name",
        `already defined in ${JSON.stringify(holder!.source)}; this definition is ignored`,
      );
      this.#reject({ source: d.source, key: d.key, error });
    }
    for (const d of defs) {
      if (d.ok) continue;
      this.#reject({ source: d.source, error: d.error, ...(d.key ? { key: d.key } : {}) });
      if (holder === undefined && old !== undefined && old.file === d.file) holder = old;
    }
    return holder;
  }
}

function compareSource(a: string, b: string): number {
  const [fa = "", na = "0"] = a.split(/#(?=\d+$)/);
  const [fb = "", nb = "0"] = b.split(/#(?=\d+$)/);
  return fa < fb ? -1 : fa > fb ? 1 : Number(na) - Number(nb);
}
