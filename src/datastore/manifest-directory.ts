/**
 * ManifestDirectory reads a datastore directory: every `*.yaml`/`*.yml` file at its top level
 * (dot-files are skipped: they are other writers' temp files), parsed and validated. It keeps
 * only each file's stamp (inode, size, mtime, ctime): a file whose stamp did not change is not
 * read again, so a rescan of an unchanged directory costs one stat per file, and a change
 * reported by name (inotify) costs one stat. The text is not kept: writers read it fresh. A
 * first scan can be seeded with a snapshot of an earlier process's reader (index-snapshot.ts):
 * a file whose stamp is still the recorded one is then not read at all.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ValidationOptions } from "../model/validation-options.ts";
import type { SnapshotFile } from "./index-snapshot.ts";
import { stampOf, type DirectoryStamps } from "./stat-off-thread.ts";
import {
  parseManifestDocuments,
  parseRawDocuments,
  validatedDocument,
  type ManifestDocument,
} from "./manifest-documents.ts";

/** FileChanges are the files whose content changed: their new documents, or undefined when gone. */
export type FileChanges = Map<string, readonly ManifestDocument[] | undefined>;

/**
 * isManifestFile tells whether a directory entry is one the datastore reads. Self-contained:
 * read-off-thread.ts runs its source text in a worker.
 */
export function isManifestFile(name: string): boolean {
  return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
}

/** otherKind: the document names a kind (a string) that is not in `only`. */
export function otherKind(raw: unknown, only: ReadonlySet<string>): boolean {
  const kind = (raw as { kind?: unknown } | null | undefined)?.kind;
  return typeof kind === "string" && !only.has(kind);
}

/** ManifestDirectory is a change-detecting reader of one directory's manifests. */
export class ManifestDirectory {
  readonly #stamps = new Map<string, string>();
  /** How many full scans ran and how many files were read (benches and tests check the watch path reads only what changed). */
  readonly stats = { fullScans: 0, filesRead: 0, filesReused: 0, stampsTaken: 0, filesTaken: 0 };
  /** Files a snapshot recorded (IndexSnapshot): reused by the next scan when their stamp is unchanged. */
  #seed: ReadonlyMap<string, SnapshotFile> | undefined;
  /** Files refresh looked at since beginRead (undefined: no read elsewhere under way). */
  #refreshedDuringRead: Set<string> | undefined;

  /**
   * @param onlyKinds when given, documents of other kinds are dropped before validation (a
   *   one-shot reader such as `sluice get service` need not validate 10,000 EndpointSlices).
   */
  constructor(
    readonly dir: string,
    readonly options: ValidationOptions = {},
    readonly onlyKinds?: ReadonlySet<string>,
  ) {}

  /**
   * seed hands over a snapshot's files: the next scan takes the documents of each file whose
   * stamp is still the recorded one instead of reading it, and forgets the seed.
   */
  seed(files: ReadonlyMap<string, SnapshotFile>): void {
    this.#seed = files;
  }

  /** stamps are the files the reader holds and their stamps (what IndexSnapshot records). */
  stamps(): IterableIterator<[string, string]> {
    return this.#stamps.entries();
  }

  /** names are the files the last scan or refresh saw. */
  names(): IterableIterator<string> {
    return this.#stamps.keys();
  }

  /**
   * scan reads every manifest file whose stamp changed and reports those gone; a missing
   * directory is empty. `taken`: the directory's entries and stamps as statOffThread took them
   * just before (the first scan of a restart), used instead of statting each file here; a file
   * whose stamp is not the seed's is still read (and stat'ed again) here. A file a watch event
   * refreshed since beginRead (while `taken` was taken) is newer than `taken`: left as the
   * refresh found it — held with its new documents, or not held when it was gone.
   */
  scan(taken?: DirectoryStamps): FileChanges {
    this.stats.fullScans++;
    // Stamps taken elsewhere are older than what refresh saw since beginRead; a scan that stats
    // here sees the present, and supersedes a read elsewhere (its caller drops it).
    const refreshed = this.#refreshedDuringRead;
    this.#refreshedDuringRead = undefined;
    let names: string[];
    const stamps = new Map<string, string>();
    if (taken !== undefined) {
      this.stats.stampsTaken += taken.names.length;
      names = [];
      taken.names.forEach((name, i) => {
        if (!isManifestFile(name)) return;
        names.push(name);
        stamps.set(name, taken.stamps[i] ?? "");
      });
    } else {
      try {
        names = readdirSync(this.dir).filter(isManifestFile);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        names = [];
      }
    }
    const changes: FileChanges = new Map();
    const seen = new Set(names);
    if (taken === undefined) {
      for (const name of this.#stamps.keys()) if (!seen.has(name)) this.#forget(name, changes);
      for (const name of names) this.#load(name, changes);
    } else {
      for (const name of names)
        if (!this.#stamps.has(name) && !refreshed?.has(name)) this.#load(name, changes, stamps.get(name));
    }
    this.#seed = undefined;
    return changes;
  }

  /** refresh re-reads only `names` (files an inotify event named), each when its stamp changed. */
  refresh(names: Iterable<string>): FileChanges {
    const changes: FileChanges = new Map();
    for (const name of names) {
      if (!isManifestFile(name)) continue;
      this.#refreshedDuringRead?.add(name);
      this.#load(name, changes);
    }
    return changes;
  }

  /**
   * beginRead marks the start of a first scan read elsewhere (readOffThread): the files refresh
   * looks at from now until takeRead are newer than that read, present or gone.
   */
  beginRead(): void {
    this.#refreshedDuringRead = new Set();
  }

  /**
   * record notes files this process just wrote, with the documents it wrote (already parsed and
   * validated), so they are not read back: only stat'ed for their stamp.
   */
  record(written: ReadonlyMap<string, readonly ManifestDocument[]>): FileChanges {
    const changes: FileChanges = new Map();
    for (const [name, docs] of written) {
      try {
        const st = statSync(join(this.dir, name));
        this.#stamps.set(name, stampOf(st));
        changes.set(name, docs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        this.#forget(name, changes);
      }
    }
    return changes;
  }

  /** read returns a file's text and documents as they are now (for an edit), or undefined when it is gone. */
  read(file: string): { readonly text: string; readonly docs: readonly ManifestDocument[] } | undefined {
    try {
      const text = readFileSync(join(this.dir, file), "utf8");
      return { text, docs: parseManifestDocuments(text, file, this.options) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** parseFile parses and validates one file's text as scan would (for text read elsewhere: readOffThread). */
  parseFile(text: string, name: string): readonly ManifestDocument[] {
    return this.#parse(text, name);
  }

  /**
   * takeRead records files read and parsed elsewhere (a first scan through readOffThread) as one
   * full scan: each file's stamp and documents into `changes`. A file a watch event refreshed
   * since beginRead is newer than what was read: left as the refresh found it — held with its new
   * documents, or not held at all when it was gone (a file deleted after the worker read it).
   */
  takeRead(
    files: ReadonlyMap<string, { readonly stamp: string; readonly docs: readonly ManifestDocument[] }>,
  ): FileChanges {
    this.stats.fullScans++;
    const refreshed = this.#refreshedDuringRead;
    this.#refreshedDuringRead = undefined;
    const changes: FileChanges = new Map();
    for (const [name, f] of files) {
      if (this.#stamps.has(name) || refreshed?.has(name)) continue;
      this.stats.filesRead++;
      this.stats.filesTaken++;
      this.#stamps.set(name, f.stamp);
      changes.set(name, f.docs);
    }
    this.#seed = undefined;
    return changes;
  }

  #parse(text: string, name: string): readonly ManifestDocument[] {
    const only = this.onlyKinds;
    if (only === undefined) return parseManifestDocuments(text, name, this.options);
    // The kind is known before validation: documents of other kinds are never validated. A
    // document with no readable kind is kept: its rejection names the file to the reader.
    return parseRawDocuments(text, name)
      .filter((d) => d.error !== undefined || !otherKind(d.raw, only))
      .map((d) =>
        d.error !== undefined
          ? { index: d.index, raw: undefined, result: { ok: false, error: d.error } }
          : validatedDocument(d.index, d.raw, this.options),
      );
  }

  #forget(name: string, changes: FileChanges): void {
    if (this.#stamps.delete(name)) changes.set(name, undefined);
  }

  /** #load: `taken` is the file's stamp as statOffThread took it ("": not a regular file), else it is stat'ed here. */
  #load(name: string, changes: FileChanges, taken?: string): void {
    // Only a file that is stat'ed or read here needs its path (path.join was ~80 ms of a restart's 20,000 files).
    let path = "";
    try {
      let stamp = taken;
      if (stamp === undefined) {
        path = join(this.dir, name);
        // No exception for a file deleted since readdir: throwing 20,000 times would cost more than the stats.
        const st = statSync(path, { throwIfNoEntry: false });
        stamp = st === undefined || !st.isFile() ? "" : stampOf(st);
      }
      if (stamp === "") return this.#forget(name, changes);
      if (this.#stamps.get(name) === stamp) return;
      const seeded = this.#seed?.get(name);
      if (seeded !== undefined && seeded.stamp === stamp) {
        this.stats.filesReused++;
        this.#stamps.set(name, stamp);
        changes.set(name, seeded.docs);
        return;
      }
      if (taken !== undefined) {
        // Not the seed's: stat again right before the read, as the main-thread path does.
        path = join(this.dir, name);
        const st = statSync(path, { throwIfNoEntry: false });
        if (st === undefined || !st.isFile()) return this.#forget(name, changes);
        stamp = stampOf(st);
      }
      const text = readFileSync(path, "utf8");
      this.stats.filesRead++;
      this.#stamps.set(name, stamp);
      changes.set(name, this.#parse(text, name));
    } catch (err) {
      // Deleted between readdir (or the event) and stat: it is simply gone.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return this.#forget(name, changes);
      throw err;
    }
  }
}
