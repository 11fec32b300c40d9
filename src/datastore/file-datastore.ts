/**
 * FileDatastore: the embedded `file` backend — a directory of YAML manifests, watched.
 *
 * Reading: the parsed state is kept in memory as an index by resource key (DatastoreIndex) and
 * updated file by file. inotify (fs.watch) names the file that changed, and only that file is
 * stat'ed and, when its inode, size or mtime moved, read again. A periodic check is the safety
 * net for events the watch misses (some filesystems, a queue overflow, a directory that does not
 * exist yet): it stats the directory every second and rescans the files only when the directory
 * changed, once after a burst of events (where inotify's queue may have overflowed: Node does not
 * say), or every `fullRescanMs` (10 min) — so it costs one stat when nothing changed. The
 * directory's stamp is taken again after this process's own writes and after each watch flush:
 * those changes were seen file by file, and a rescan of 20,000 files for them (seconds at 10k
 * Services, blocking the loop) would delay the next change's delivery. Without a working
 * watch it rescans every second (one stat per file). Identity is (group, kind, namespace, name);
 * see datastore-index.ts for conflicts and invalid edits. Deleting a file deletes its resources.
 *
 * Writing: validate first, then rename into place, so nothing is half-applied. A new resource
 * gets its own file `<kind>.<namespace>.<name>.yaml`, written as JSON (which is YAML, and ~50x
 * faster to write and read than block YAML); an existing one is rewritten where it is defined,
 * leaving the other documents of a multi-document file untouched. `applyBatch` validates a
 * whole manifest set, then writes it in one pass (writeFilesAtomically). Concurrent writers
 * are not locked against each other: the last rename wins.
 */
import { channel } from "node:diagnostics_channel";
import { statSync, watch as fsWatch, type FSWatcher } from "node:fs";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ValidationError } from "../errors/validation-error.ts";
import type { Resource } from "../model/resource.ts";
import { formatResourceKey, resourceKeyId, type ResourceKey } from "../model/resource-key.ts";
import { RESOURCE_KINDS } from "../model/resource-kinds.ts";
import { manifestKey, validateResource, type ValidationResult } from "../model/validate-resource.ts";
import type { ValidationOptions } from "../model/validation-options.ts";
import { atomicWriteFile } from "./atomic-write.ts";
import type {
  Datastore,
  DatastoreEvent,
  ListFilter,
  ListResult,
  PatchType,
  Watch,
  WatchOptions,
  WriteResult,
} from "./datastore.ts";
import { DatastoreIndex, fingerprintOf, type Definition } from "./datastore-index.ts";
import { implicitDefault } from "./implicit-defaults.ts";
import { IndexSnapshot, type IndexSnapshotOptions } from "./index-snapshot.ts";
import { compareResources, listManifests } from "./list-manifests.ts";
import { isManifestFile, ManifestDirectory, type FileChanges } from "./manifest-directory.ts";
import { parseJsonObject, type ManifestDocument } from "./manifest-documents.ts";
import { readOffThread } from "./read-off-thread.ts";
import { statOffThread } from "./stat-off-thread.ts";
import { removeDocuments, renderJsonManifest, replaceDocument } from "./manifest-file-edit.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { ResourceNotFoundError } from "./resource-not-found-error.ts";
import { applyStrategicMergePatch } from "./strategic-merge-patch.ts";
import { writeFilesAtomically } from "./write-files-atomically.ts";

/**
 * WatchTrace is what the watch's delivery publishes on `watchTraceChannel` (node:diagnostics_channel),
 * only while someone subscribes (bench/change-latency-bench.ts times a change's stages with it):
 * `event` when fs.watch names a manifest file, `flush` when the named files are read, validated
 * and their events emitted (`start` … `end`, performance.now() milliseconds).
 */
export type WatchTrace =
  | { readonly stage: "event"; readonly name: string; readonly at: number }
  | {
      readonly stage: "flush";
      readonly names: readonly string[];
      readonly start: number;
      readonly end: number;
    };

/** watchTraceChannel carries the FileDatastore's WatchTrace messages. */
export const watchTraceChannel = channel("sluice:file-datastore:watch");

/** FileDatastoreOptions tune validation and the watch timing (tests shorten them). */
export interface FileDatastoreOptions {
  readonly validation?: ValidationOptions;
  /**
   * Quiet time after an in-place edit's event (fs.watch "change": the file may be half written)
   * before the file is read; default 1 ms. A file renamed into place, created or deleted (a
   * "rename" event: the file is whole, or gone) is read without it, on the loop's next check
   * phase — see #ensureWatcher.
   */
  readonly debounceMs?: number;
  /** Period of the safety-net check (a directory stat; a full rescan without a watch); default 1000 ms. */
  readonly rescanIntervalMs?: number;
  /**
   * With a working watch, a full rescan at least this often even when the directory looks
   * unchanged (for in-place edits inotify missed, e.g. a queue overflow); default 10 min.
   */
  readonly fullRescanMs?: number;
  /**
   * Watch events in one check period that count as a burst; default 1,024. inotify drops events
   * silently when its queue overflows (`fs.inotify.max_queued_events`, 16,384 here) and Node does
   * not report the overflow, so a bulk write of 20,000 files could leave files unseen until the
   * next full rescan. After a burst, one full rescan runs as soon as a period passes quietly.
   */
  readonly burstEvents?: number;
  /**
   * Read only these kinds (a one-shot reader: `sluice get`): documents of other kinds are neither
   * validated nor listed, and every write throws, since the index does not know the whole directory.
   * `list` then reads the directory in one pass without building the index (listManifests).
   */
  readonly onlyKinds?: readonly string[];
  /**
   * Persist the reader's index (file stamps and validated resources) here, so the next process
   * reads only the files that changed since (index-snapshot.ts; the agent's restart). Not with
   * `onlyKinds`.
   */
  readonly snapshot?: IndexSnapshotOptions;
}

/** DirStamp identifies the directory (inode) and its last change (ctime moves on every create, rename, delete). */
interface DirStamp {
  readonly ino: number;
  readonly ctimeMs: number;
}

type Valid = Extract<ValidationResult, { ok: true }>;

interface Location {
  readonly file: string;
  readonly index: number;
  readonly valid: boolean;
}

/** newFileName is where a new resource is written: `service.default.web.yaml`, `felixconfiguration.default.yaml`. */
export function newFileName(key: ResourceKey): string {
  // Calico's NetworkPolicy shares its kind name with Kubernetes'; the group keeps their files apart.
  const shared = RESOURCE_KINDS.some((k) => k.kind === key.kind && k.group !== key.group);
  const kind =
    shared && key.group !== RESOURCE_KINDS.find((k) => k.kind === key.kind)?.group
      ? `${key.kind}.${key.group}`
      : key.kind;
  const parts = [kind.toLowerCase(), ...(key.namespace === undefined ? [] : [key.namespace]), key.name];
  return `${parts.join(".")}.yaml`;
}

/** FileDatastore implements Datastore over a directory of YAML manifests. */
export class FileDatastore implements Datastore {
  readonly #reader: ManifestDirectory;
  readonly #index = new DatastoreIndex();
  readonly #listeners = new Set<(event: DatastoreEvent) => void>();
  /** Files a "rename" event named (whole: read on the next check phase). */
  readonly #dirty = new Set<string>();
  /** Files a "change" event named (an in-place edit, maybe half written: read after debounceMs). */
  readonly #settling = new Set<string>();
  #fullScanDue = false;
  /** The directory's stamp as last accounted for (a full scan, or changes seen file by file). */
  #dirStamp: DirStamp | undefined;
  /** A newer stamp the last check saw that the watch had not yet accounted for. */
  #pendingStamp: DirStamp | undefined;
  #lastFullScan = 0;
  /** Watch events since the last check, and whether a burst awaits its rescan (see burstEvents). */
  #eventsThisPeriod = 0;
  #afterBurst = false;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #soon: NodeJS.Immediate | undefined;
  #interval: NodeJS.Timeout | undefined;
  #closed = false;
  /** The persisted index (options.snapshot); loaded once, by the first scan. */
  readonly #snapshot: IndexSnapshot | undefined;
  #snapshotLoaded = false;
  /** #firstRead is under way (the periodic check then waits for it). */
  #firstReading = false;

  constructor(
    readonly dir: string,
    readonly options: FileDatastoreOptions = {},
  ) {
    this.#reader = new ManifestDirectory(
      dir,
      options.validation ?? {},
      options.onlyKinds === undefined ? undefined : new Set(options.onlyKinds),
    );
    if (options.snapshot !== undefined && options.onlyKinds === undefined)
      this.#snapshot = new IndexSnapshot(dir, options.validation ?? {}, options.snapshot);
  }

  async list(filter: ListFilter = {}): Promise<ListResult> {
    // A one-shot reader that has not watched: one pass, no index (list-manifests.ts).
    if (this.options.onlyKinds !== undefined && this.#listeners.size === 0 && !this.#closed)
      return listManifests(this.dir, filter, {
        onlyKinds: new Set(this.options.onlyKinds),
        ...(this.options.validation !== undefined ? { validation: this.options.validation } : {}),
      });
    this.#scan();
    const resources: Resource[] = [];
    for (const { resource: r } of this.#index.active.values()) {
      if (
        (filter.kind === undefined || r.kind === filter.kind) &&
        (filter.namespace === undefined || r.metadata.namespace === filter.namespace)
      )
        resources.push(r);
    }
    resources.sort(compareResources);
    const rejected = this.#index
      .rejected()
      .filter((r) => filter.kind === undefined || r.key === undefined || r.key.kind === filter.kind);
    return { resources, rejected };
  }

  async get(key: ResourceKey): Promise<Resource | undefined> {
    this.#scan();
    return this.#index.active.get(resourceKeyId(key))?.resource;
  }

  async watch(listener: (event: DatastoreEvent) => void, options: WatchOptions = {}): Promise<Watch> {
    if (this.#closed) throw new Error(`watch ${JSON.stringify(this.dir)}: datastore is closed`);
    const deliver = (event: DatastoreEvent): void => {
      try {
        listener(event);
      } catch (err) {
        if (options.onError) options.onError(err);
        else
          queueMicrotask(() => {
            throw err;
          });
      }
    };
    this.#start();
    if (this.#snapshot !== undefined && !this.#snapshotLoaded && this.#snapshot.exists())
      await this.#firstScan();
    else if (!(await this.#firstRead())) this.#scan();
    // With the index's id: a cache keyed by it shares the string (200,000 of ~70 bytes at 100k Services).
    for (const [id, entry] of this.#index.active)
      deliver({ type: "added", key: entry.key, id, resource: entry.resource, source: entry.source });
    for (const r of this.#index.rejected()) deliver({ type: "rejected", ...r });
    deliver({ type: "synced" });
    this.#listeners.add(deliver);
    const close = (): void => {
      this.#listeners.delete(deliver);
      if (this.#listeners.size === 0) this.#stop();
    };
    options.signal?.addEventListener("abort", close, { once: true });
    return { close };
  }

  async apply(manifest: unknown): Promise<WriteResult> {
    const [result] = await this.applyBatch([manifest]);
    return result!;
  }

  /**
   * applyBatch validates every manifest (throwing the first ValidationError, writing nothing),
   * then writes all the changed ones in one pass; results are in input order. A key given twice
   * is applied in order: the later manifest wins and reports `configured`.
   */
  async applyBatch(manifests: readonly unknown[]): Promise<WriteResult[]> {
    this.#writable("apply");
    const valid = manifests.map((m) => {
      const result = validateResource(m, this.options.validation);
      if (!result.ok) throw result.error;
      return { manifest: m, key: result.key, resource: result.resource, validated: result };
    });
    this.#scan();
    const planned = new Map<
      string,
      { location: Location | undefined; manifest: unknown; validated: Valid }
    >();
    const results = valid.map(({ manifest, key, resource, validated }): WriteResult => {
      const id = resourceKeyId(key);
      const earlier = planned.get(id);
      if (earlier !== undefined) {
        planned.set(id, { ...earlier, manifest, validated });
        return { key, action: "configured", resource };
      }
      const location = this.#locate(key);
      if (this.#unchanged(key, location, resource)) return { key, action: "unchanged", resource };
      planned.set(id, { location, manifest, validated });
      return { key, action: location === undefined ? "created" : "configured", resource };
    });
    this.#writePlanned([...planned.entries()].map(([id, p]) => ({ id, ...p })));
    return results;
  }

  async patch(key: ResourceKey, patch: unknown, type: PatchType = "strategic"): Promise<WriteResult> {
    this.#writable("patch");
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
      throw new Error(`patch ${formatResourceKey(key)}: the patch must be a JSON object`);
    }
    this.#scan();
    const location = this.#locate(key);
    const stored =
      location === undefined
        ? undefined
        : this.#reader.read(location.file)?.docs.find((d) => d.index === location.index)?.raw;
    const base = stored ?? implicitDefault(key);
    if (base === undefined) throw new ResourceNotFoundError("patch", key);
    const merged = type === "merge" ? applyMergePatch(base, patch) : applyStrategicMergePatch(base, patch);
    const newKey = manifestKey(merged);
    if (newKey === undefined || resourceKeyId(newKey) !== resourceKeyId(key)) {
      throw new ValidationError(
        formatResourceKey(key),
        "metadata",
        "a patch may not change apiVersion, kind, name or namespace",
      );
    }
    const result = validateResource(merged, this.options.validation);
    if (!result.ok) throw result.error;
    if (this.#unchanged(key, location, result.resource))
      return { key, action: "unchanged", resource: result.resource };
    this.#writePlanned([{ id: resourceKeyId(key), location, manifest: merged, validated: result }]);
    return { key, action: "patched", resource: result.resource };
  }

  async delete(key: ResourceKey): Promise<boolean> {
    this.#writable("delete");
    this.#scan();
    const byFile = new Map<string, Set<number>>();
    for (const def of this.#index.definitions(key))
      byFile.set(def.file, (byFile.get(def.file) ?? new Set()).add(def.index));
    for (const [file, indices] of byFile) {
      const text = this.#reader.read(file)?.text ?? "";
      const rest = removeDocuments(text, indices);
      if (rest === undefined) rmSync(join(this.dir, file), { force: true });
      else atomicWriteFile(join(this.dir, file), rest);
    }
    if (byFile.size > 0) this.#refresh(byFile.keys());
    if (byFile.size > 0) this.#seenDir();
    return byFile.size > 0;
  }

  /** stats: full rescans run and files read so far (what the watch path costs; see bench/README.md). */
  get stats(): { readonly fullScans: number; readonly filesRead: number } {
    const { fullScans, filesRead } = this.#reader.stats;
    return { fullScans, filesRead };
  }

  /** filesReused: files whose resources the first scan took from the snapshot instead of reading them. */
  get filesReused(): number {
    return this.#reader.stats.filesReused;
  }

  /** stampsTakenOffThread: directory entries whose stamps the first scan took from the worker thread (statOffThread). */
  get stampsTakenOffThread(): number {
    return this.#reader.stats.stampsTaken;
  }

  /** filesReadOffThread: files the first scan took as read on the worker thread (readOffThread). */
  get filesReadOffThread(): number {
    return this.#reader.stats.filesTaken;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stop();
    this.#snapshot?.close();
  }

  #writable(op: string): void {
    if (this.options.onlyKinds !== undefined)
      throw new Error(
        `${op} ${JSON.stringify(this.dir)}: this datastore was opened to read only ${this.options.onlyKinds.join(", ")}`,
      );
  }

  /** #locate finds the document defining `key`: the active one, else a rejected one naming it. */
  #locate(key: ResourceKey): Location | undefined {
    const active = this.#index.active.get(resourceKeyId(key));
    const defs = this.#index.definitions(key);
    const here =
      (active !== undefined ? defs.find((d) => d.ok && d.file === active.file) : undefined) ?? defs[0];
    return here === undefined ? undefined : { file: here.file, index: here.index, valid: here.ok };
  }

  /** #unchanged: the stored, valid definition already says exactly this (so writing would be a no-op). */
  #unchanged(key: ResourceKey, location: Location | undefined, resource: Resource): boolean {
    const current = this.#index.active.get(resourceKeyId(key));
    return (
      location?.valid === true &&
      current?.file === location.file &&
      current.fingerprint === fingerprintOf(resource)
    );
  }

  /** #writePlanned renders every planned write (new files, and edits grouped by file) and writes them in one pass. */
  #writePlanned(
    writes: readonly { id: string; location: Location | undefined; manifest: unknown; validated: Valid }[],
  ): void {
    if (writes.length === 0) return;
    const out = new Map<string, string>();
    const known = new Map<string, ManifestDocument[]>();
    const taken = new Set(this.#reader.names());
    const edits = new Map<string, { index: number; w: (typeof writes)[number] }[]>();
    for (const w of writes) {
      if (w.location !== undefined) {
        edits.set(w.location.file, [...(edits.get(w.location.file) ?? []), { index: w.location.index, w }]);
        continue;
      }
      const base = newFileName(w.validated.key);
      let name = base;
      for (let i = 2; taken.has(name) || out.has(name); i++) name = base.replace(/\.yaml$/, `-${i}.yaml`);
      out.set(name, renderJsonManifest(w.manifest));
      known.set(name, [{ index: 0, raw: w.manifest, result: w.validated }]);
    }
    for (const [file, list] of edits) {
      const current = this.#reader.read(file);
      const text = current?.text ?? "";
      if (
        (current?.docs.length ?? 0) <= 1 &&
        list.length === 1 &&
        (text.trim() === "" || parseJsonObject(text) !== undefined)
      ) {
        out.set(file, renderJsonManifest(list[0]!.w.manifest));
        known.set(file, [{ index: 0, raw: list[0]!.w.manifest, result: list[0]!.w.validated }]);
        continue;
      }
      out.set(
        file,
        list.reduce((t, e) => replaceDocument(t, e.index, e.w.manifest), text),
      );
    }
    const [only] = out;
    if (out.size === 1 && only !== undefined) atomicWriteFile(join(this.dir, only[0]), only[1]);
    else writeFilesAtomically(this.dir, out);
    // What this process wrote and validated is not read back; multi-document edits are.
    if (!this.#closed) this.#emit(this.#reader.record(known));
    this.#refresh([...out.keys()].filter((name) => !known.has(name)));
    this.#seenDir();
  }

  /**
   * #seenDir takes the directory's stamp after changes this process has already applied file by
   * file (its own writes, a watch flush), so the periodic check does not rescan every file for
   * them. Only with an armed watch: it reports any other writer's change that lands meanwhile
   * (its event is still queued), and without one every check rescans anyway.
   */
  #seenDir(): void {
    if (this.#watcher !== undefined && !this.#closed) this.#dirStamp = this.#statDir();
  }

  #emit(changes: FileChanges, record = true): void {
    if (changes.size === 0) return;
    if (record) this.#snapshot?.changed(() => this.#snapshotSource());
    const events = this.#index.update(changes);
    for (const event of events) for (const listener of this.#listeners) listener(event);
  }

  /** #scan is the full rescan: one stat per file, a read of each file that changed. */
  #scan(): void {
    if (this.#closed) return;
    this.#dirStamp = this.#statDir();
    this.#pendingStamp = undefined;
    this.#lastFullScan = Date.now();
    this.#fullScanDue = false;
    this.#dirty.clear();
    this.#settling.clear();
    const seeded = this.#seedFromSnapshot();
    const read = this.#reader.stats.filesRead;
    const changes = this.#reader.scan();
    // A start that reused every recorded file and found nothing else has nothing new to record.
    const same = seeded !== undefined && this.#reader.stats.filesRead === read && changes.size === seeded;
    this.#emit(changes, !same);
  }

  /**
   * #firstScan is the first scan over a snapshot (a restart): the directory is listed and
   * stat'ed on a worker thread (statOffThread) while this thread parses the snapshot, then the
   * scan compares those stamps with the snapshot's. The watch is armed before (#start), so a
   * change after the worker's stat is delivered as an event and read then. Without the worker
   * (it failed to start or to stat) the scan stats here; when another full scan ran meanwhile,
   * that one was the first. Only when there is a snapshot file: without one (a first start) the
   * files are read on a worker instead (#firstRead), as they are when the snapshot is not one
   * this sluice can use.
   */
  async #firstScan(): Promise<void> {
    const stamps = statOffThread(this.dir).catch((err: unknown) => {
      this.options.snapshot?.log?.(
        `stat ${JSON.stringify(this.dir)} on a worker thread failed (${err instanceof Error ? err.message : String(err)}); statting here`,
      );
      return undefined;
    });
    if (this.#closed) return;
    this.#dirStamp = this.#statDir();
    const scans = this.#reader.stats.fullScans;
    this.#reader.beginRead();
    const seeded = this.#seedFromSnapshot();
    // Nothing to reuse (a snapshot of another version: an upgrade): read as a first start does.
    if (seeded === undefined && (await this.#firstRead())) return;
    const taken = await stamps;
    // Closed, or a full scan (a list() or the periodic check) consumed the seed meanwhile.
    if (this.#closed || this.#reader.stats.fullScans !== scans) return;
    // Events since the listing stay queued (#dirty, #settling, #fullScanDue): they are newer than it.
    this.#pendingStamp = undefined;
    this.#lastFullScan = Date.now();
    const read = this.#reader.stats.filesRead;
    const changes = this.#reader.scan(taken);
    const same = seeded !== undefined && this.#reader.stats.filesRead === read && changes.size === seeded;
    this.#emit(changes, !same);
  }

  /**
   * #firstRead is a first scan with nothing to reuse: the files are listed, stat'ed and read on
   * a worker thread (readOffThread) while this thread parses and validates what it has read. The
   * reader takes them all at the end, in one step, so a full scan or a refresh by a watch event
   * meanwhile sees a consistent reader (a full scan meanwhile read everything: this one is then
   * dropped). False when the worker failed: the caller scans here.
   */
  async #firstRead(): Promise<boolean> {
    if (this.#closed) return true;
    // Said once, as #scan would: no snapshot to reuse (none yet, or not this version's).
    this.#seedFromSnapshot();
    this.#dirStamp = this.#statDir();
    const scans = this.#reader.stats.fullScans;
    const files = new Map<string, { stamp: string; docs: readonly ManifestDocument[] }>();
    this.#reader.beginRead();
    this.#firstReading = true;
    try {
      for await (const batch of readOffThread(this.dir)) {
        if (this.#closed || this.#reader.stats.fullScans !== scans) return true;
        batch.names.forEach((name, i) =>
          files.set(name, { stamp: batch.stamps[i]!, docs: this.#reader.parseFile(batch.text(i), name) }),
        );
      }
    } catch (err) {
      this.options.snapshot?.log?.(
        `read ${JSON.stringify(this.dir)} on a worker thread failed (${err instanceof Error ? err.message : String(err)}); reading here`,
      );
      return false;
    } finally {
      this.#firstReading = false;
    }
    if (this.#closed || this.#reader.stats.fullScans !== scans) return true;
    // Events since the listing stay queued (#dirty, #settling, #fullScanDue): they are newer than it.
    this.#pendingStamp = undefined;
    this.#lastFullScan = Date.now();
    this.#emit(this.#reader.takeRead(files), true);
    return true;
  }

  /** #seedFromSnapshot hands the snapshot to the reader before the first scan; the number of files it recorded. */
  #seedFromSnapshot(): number | undefined {
    if (this.#snapshot === undefined || this.#snapshotLoaded) return undefined;
    this.#snapshotLoaded = true;
    const files = this.#snapshot.load();
    if (files !== undefined) this.#reader.seed(files);
    return files?.size;
  }

  /** What the snapshot records: each file the reader holds, its stamp and the index's documents of it. */
  *#snapshotSource(): Iterable<[string, string, readonly Definition[]]> {
    for (const [name, stamp] of this.#reader.stamps()) {
      const docs = this.#index.documentsOf(name);
      if (docs !== undefined) yield [name, stamp, docs];
    }
  }

  #refresh(names: Iterable<string>): void {
    if (!this.#closed) this.#emit(this.#reader.refresh(names));
  }

  #statDir(): DirStamp | undefined {
    const st = statSync(this.dir, { throwIfNoEntry: false });
    return st === undefined ? undefined : { ino: st.ino, ctimeMs: st.ctimeMs };
  }

  /**
   * #check is the periodic safety net. With an armed watch, a directory newer than what was
   * accounted for gets one period's grace: a change whose event is still queued (the check's
   * timer can run before the loop polls inotify) is accounted for by its flush, and rescanning
   * every file for it would only delay the next change. Still unaccounted one period later,
   * the watch missed it: rescan.
   */
  #check(): void {
    // The first read is the full scan under way: a second one now would read everything again.
    if (this.#firstReading) return;
    const events = this.#eventsThisPeriod;
    this.#eventsThisPeriod = 0;
    if (events >= (this.options.burstEvents ?? 1024)) {
      this.#afterBurst = true; // still busy: rescan once it is quiet, not in the middle of it
      return;
    }
    if (this.#afterBurst && events === 0 && this.#watcher !== undefined) {
      this.#afterBurst = false;
      return this.#scan();
    }
    const armed = this.#ensureWatcher();
    const stale = Date.now() - this.#lastFullScan >= (this.options.fullRescanMs ?? 600_000);
    if (armed || this.#watcher === undefined || stale) return this.#scan();
    const now = this.#statDir();
    const seen = this.#dirStamp;
    if (now === undefined || seen === undefined || now.ino !== seen.ino) return this.#scan();
    if (now.ctimeMs <= seen.ctimeMs) {
      this.#pendingStamp = undefined;
      return;
    }
    const pending = this.#pendingStamp;
    if (pending !== undefined && pending.ctimeMs > seen.ctimeMs) return this.#scan();
    this.#pendingStamp = now;
  }

  /**
   * #flush reads the files the watch named: after the debounce (`settled`) every one of them;
   * on the check phase only the whole ones — a file with an in-place edit pending waits for
   * its debounce even when a rename named it too.
   */
  #flush(settled: boolean): void {
    if (this.#fullScanDue) return this.#scan();
    const names = [...this.#dirty].filter((n) => settled || !this.#settling.has(n));
    for (const n of names) this.#dirty.delete(n);
    if (settled) {
      names.push(...this.#settling);
      this.#settling.clear();
    }
    const start = watchTraceChannel.hasSubscribers ? performance.now() : 0;
    this.#refresh(names);
    this.#seenDir();
    if (watchTraceChannel.hasSubscribers)
      watchTraceChannel.publish({
        stage: "flush",
        names,
        start,
        end: performance.now(),
      } satisfies WatchTrace);
  }

  #start(): void {
    if (this.#interval !== undefined) return;
    this.#interval = setInterval(() => this.#check(), this.options.rescanIntervalMs ?? 1000);
    this.#interval.unref();
    this.#ensureWatcher();
  }

  /** #ensureWatcher arms the watch when it is not; true when it was armed just now. */
  #ensureWatcher(): boolean {
    if (this.#watcher !== undefined) return false;
    try {
      // A "rename" event (IN_CREATE, IN_MOVED_TO, IN_DELETE…: an atomic write's rename is one)
      // names a whole file or a gone one: it is read on the next check phase, after the poll
      // that delivered the event (libuv reads inotify's queue dry there, so a burst already
      // queued is one flush); a timer here put ~0.5 ms on every change's path to the dataplane
      // (bench/README.md, change-latency). A "change" event (IN_MODIFY, IN_ATTRIB) may be an
      // in-place write still under way: that file waits for debounceMs.
      this.#watcher = fsWatch(this.dir, { persistent: false }, (event, name) => {
        this.#eventsThisPeriod++;
        const whole = event === "rename" || name === null;
        if (name === null) this.#fullScanDue = true;
        else if (!isManifestFile(name.toString())) return;
        else if (whole) this.#dirty.add(name.toString());
        else this.#settling.add(name.toString());
        if (name !== null && watchTraceChannel.hasSubscribers)
          watchTraceChannel.publish({
            stage: "event",
            name: name.toString(),
            at: performance.now(),
          } satisfies WatchTrace);
        if (whole && this.#soon === undefined)
          this.#soon = setImmediate(() => {
            this.#soon = undefined;
            this.#flush(false);
          });
        if (!whole && this.#debounce === undefined)
          this.#debounce = setTimeout(() => {
            this.#debounce = undefined;
            this.#flush(true);
          }, this.options.debounceMs ?? 1);
      });
      this.#watcher.on("error", () => {
        // The directory went away (or the watch broke): drop it; the periodic check re-arms it.
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#scan();
      });
      return true;
    } catch {
      // No directory yet: the periodic check retries.
      return false;
    }
  }

  #stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    clearImmediate(this.#soon);
    this.#interval = undefined;
    this.#debounce = undefined;
    this.#soon = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
