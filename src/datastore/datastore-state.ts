/**
 * The file datastore's state, computed purely from the parsed files: which manifest defines each
 * resource, which are rejected, and the events between two states. Rules:
 * - a resource defined twice: the definition that already held it keeps it (else the first in
 *   file-name and document order); the other is rejected as a conflict, never merged;
 * - a manifest edited into an invalid one is rejected and the last valid version stays in force
 *   (as when the API server refuses a bad write) until the manifest is fixed or its file deleted.
 */
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../model/resource-key.ts";
import type { DatastoreEvent, Rejection } from "./datastore.ts";
import type { ManifestDocument } from "./manifest-documents.ts";
import { stableJson } from "./stable-json.ts";

/** FileDocuments is one file's parsed documents; `file` is relative to the datastore directory. */
export interface FileDocuments {
  readonly file: string;
  readonly docs: readonly ManifestDocument[];
}

/** ActiveEntry is the manifest currently defining a resource. */
export interface ActiveEntry {
  readonly key: ResourceKey;
  readonly resource: Resource;
  readonly file: string;
  readonly source: string;
  readonly fingerprint: string;
}

/** DatastoreState: active resources by resourceKeyId, and rejections in file order. */
export interface DatastoreState {
  readonly active: ReadonlyMap<string, ActiveEntry>;
  readonly rejected: readonly Rejection[];
}

/** EMPTY_STATE is the state before the first scan. */
export const EMPTY_STATE: DatastoreState = { active: new Map(), rejected: [] };

/** documentSource names a document for people: `services.yaml#2` (1-based). */
export function documentSource(file: string, index: number): string {
  return `${file}#${index + 1}`;
}

/** buildState computes the state of `files` (in file-name order), given the previous state. */
export function buildState(files: readonly FileDocuments[], previous: DatastoreState): DatastoreState {
  const candidates: ActiveEntry[] = [];
  const invalid: { file: string; source: string; doc: ManifestDocument }[] = [];
  for (const { file, docs } of files) {
    for (const doc of docs) {
      const source = documentSource(file, doc.index);
      if (doc.result.ok) {
        const { key, resource } = doc.result;
        candidates.push({ key, resource, file, source, fingerprint: stableJson(resource) });
      } else {
        invalid.push({ file, source, doc });
      }
    }
  }
  const active = new Map<string, ActiveEntry>();
  // Whoever held a resource keeps it while its file still defines it: a newcomer is the conflict.
  for (const c of candidates) {
    const id = resourceKeyId(c.key);
    if (!active.has(id) && previous.active.get(id)?.file === c.file) active.set(id, c);
  }
  const rejected: Rejection[] = [];
  for (const c of candidates) {
    const id = resourceKeyId(c.key);
    const holder = active.get(id);
    if (holder === undefined) active.set(id, c);
    else if (holder !== c) {
      const error = new ValidationError(
        formatResourceKey(c.key),
        "metadata.name",
        `already defined in ${JSON.stringify(holder.source)}; this definition is ignored`,
      );
      rejected.push({ source: c.source, key: c.key, error });
    }
  }
  for (const { file, source, doc } of invalid) {
    if (doc.result.ok) continue;
    const key = doc.result.key;
    rejected.push({ source, error: doc.result.error, ...(key ? { key } : {}) });
    if (key === undefined) continue;
    const id = resourceKeyId(key);
    const last = previous.active.get(id);
    if (!active.has(id) && last !== undefined && last.file === file) active.set(id, last);
  }
  rejected.sort((a, b) => compareSource(a.source, b.source));
  return { active, rejected };
}

function compareSource(a: string, b: string): number {
  const [fa = "", na = "0"] = a.split(/#(?=\d+$)/);
  const [fb = "", nb = "0"] = b.split(/#(?=\d+$)/);
  return fa < fb ? -1 : fa > fb ? 1 : Number(na) - Number(nb);
}

function rejectionId(r: Rejection): string {
  return `${r.source}\u0000${r.error.message}`;
}

/** diffStates lists the events that turn `prev` into `next`: deletes, then adds and updates, then rejection changes. */
export function diffStates(prev: DatastoreState, next: DatastoreState): DatastoreEvent[] {
  const events: DatastoreEvent[] = [];
  for (const [id, old] of prev.active) {
    if (!next.active.has(id)) events.push({ type: "deleted", key: old.key, previous: old.resource });
  }
  for (const [id, cur] of next.active) {
    const old = prev.active.get(id);
    if (old === undefined)
      events.push({ type: "added", key: cur.key, resource: cur.resource, source: cur.source });
    else if (old.fingerprint !== cur.fingerprint) {
      events.push({
        type: "updated",
        key: cur.key,
        resource: cur.resource,
        previous: old.resource,
        source: cur.source,
      });
    }
  }
  const before = new Set(prev.rejected.map(rejectionId));
  const after = new Set(next.rejected.map(rejectionId));
  for (const r of prev.rejected) {
    if (!after.has(rejectionId(r)) && !next.rejected.some((n) => n.source === r.source)) {
      events.push({ type: "rejection-cleared", source: r.source, ...(r.key ? { key: r.key } : {}) });
    }
  }
  for (const r of next.rejected) {
    if (!before.has(rejectionId(r))) events.push({ type: "rejected", ...r });
  }
  return events;
}

/** initialEvents replays a state as a watch's opening: adds, rejections, then `synced`. */
export function initialEvents(state: DatastoreState): DatastoreEvent[] {
  return [...diffStates({ active: new Map(), rejected: [] }, state), { type: "synced" }];
}
