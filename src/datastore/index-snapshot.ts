/**
 * IndexSnapshot persists what the file datastore's reader learned — per manifest file its stamp
 * (inode, size, mtime, ctime) and its parsed and validated resources — so the next process
 * (an agent restarted after `kill -9`) stats the files and reuses the resources of every file
 * whose stamp did not move, instead of reading, parsing and validating 20,000 files again
 * (~2–3 s of a restart at 10k Services; bench/README.md, agent-idle).
 *
 * Invariants:
 * - A file's resources are reused only when its stamp is exactly the one recorded when they were
 *   parsed. Any write to a file moves its ctime (which no user can set back), so a file edited by
 *   hand between runs, even with its size and mtime restored, is read again.
 * - Only files whose every document was valid are recorded; a file with a rejected document is
 *   read again (its errors are not serialised, and its last valid version does not survive a
 *   restart anyway).
 * - The snapshot names its format (SNAPSHOT_FORMAT), the sluice version, the datastore directory
 *   and the validation options; any difference, a file that does not deserialise, or a shape
 *   that does not check out means a full scan, with the reason given to `log`. Bump
 *   SNAPSHOT_FORMAT whenever validation changes what a manifest turns into.
 * - Written atomically (a dot temp file in the same directory, then rename) and off the hot
 *   path: `delayMs` after the last change, or at most `maxDelayMs` after the first one not yet
 *   recorded when changes keep coming (quiet-timer.ts). Lagging is safe: a file changed since is
 *   read again by its stamp.
 *
 * Format: ASCII JSON lines (ascii-json.ts): the head { format, version, dir, validation,
 * conditions, count }, then the files, [name, stamp, docs][], a list of up to 32 per line; docs
 * being [index, key, resource, digest][] (digest: resource-digest.ts, for the NAT snapshot).
 * Format 2 was one JSON document; lines are read through one reused buffer (ascii-json.ts: the
 * load at 10k Services touched ~10k fewer fresh pages and took ~0.13 s less). An EndpointSlice's endpoints carry their
 * `conditions` as an index into `conditions`, the distinct conditions objects: at 10k Services ×
 * 10 endpoints that is 100,000 objects JSON.parse need not build (~25 % of the parse, measured
 * 0.22 → 0.14–0.18 s) and one frozen object per distinct value after the load, as validation
 * shares them (src/model/endpoint-slice.ts) — not 100,000 copies (~9 MB) as format 1 gave. JSON rather than v8.serialize: measured on the
 * 20,000 objects of 10k Services × 10 endpoints (19 MB), JSON.parse took ~0.65× the time of
 * v8.deserialize and JSON.stringify ~0.3× that of v8.serialize. No schema pass on load: the
 * resources were validated when first read.
 */
import { resolve } from "node:path";
import type { Resource } from "../model/resource.ts";
import type { ResourceKey } from "../model/resource-key.ts";
import { RESOURCE_KINDS, type KindInfo } from "../model/resource-kinds.ts";
import { shareResourceParts } from "../model/validate-resource.ts";
import { plainResource } from "../model/packed-endpoint.ts";
import type { ValidationOptions } from "../model/validation-options.ts";
import { asciiJsonLines, readAsciiJsonLines } from "./ascii-json.ts";
import { codeIdentity } from "./code-identity.ts";
import { existsSync, readFileSync } from "node:fs";
import { QuietTimer } from "./quiet-timer.ts";
import { SnapshotWriter } from "./snapshot-writer.ts";
import type { ManifestDocument } from "./manifest-documents.ts";
import { rememberDigest, resourceDigest } from "./resource-digest.ts";
import { stableJson } from "./stable-json.ts";

/** SNAPSHOT_FORMAT: bump when the layout, or what validation makes of a manifest, changes. */
export const SNAPSHOT_FORMAT = 3;

/** SnapshotFile is one file as recorded: its stamp and its (all valid) documents. */
export interface SnapshotFile {
  readonly stamp: string;
  readonly docs: readonly ManifestDocument[];
}

/** IndexSnapshotOptions say where the snapshot lives and how it reports. */
export interface IndexSnapshotOptions {
  /** The snapshot file (e.g. `<agent state dir>/datastore-index.json`); its directory is created. */
  readonly path: string;
  /** Quiet time after the last index change before the snapshot is written; default 3 s. */
  readonly delayMs?: number;
  /** Under a steady stream of changes, the longest a change waits to be recorded; default 60 s. */
  readonly maxDelayMs?: number;
  /** Why a snapshot was not used, and what a load or write did (the agent's logger). */
  readonly log?: (message: string) => void;
  /**
   * While this says true, a due write waits another `delayMs`: the owner has work that must not
   * queue behind the write's capture, which runs on the event loop (~175 ms at 100k Services ×
   * 10 endpoints). The agent holds it until its first sync pass is done: the first read's quiet
   * time ran out during that pass, and the capture then ran before the readiness probe that
   * arrived meanwhile was answered (bench/README.md, stop 32).
   */
  readonly held?: () => boolean;
}

type SerialDoc = [index: number, key: ResourceKey, resource: Resource, digest: string];
type SerialFile = [name: string, stamp: string, docs: SerialDoc[]];
/** The head line; the files follow it (asciiJsonLines adds their `count`). */
interface SerialHead {
  readonly format: number;
  readonly version: string;
  readonly dir: string;
  readonly validation: string;
  /** The distinct endpoint conditions objects, which EndpointSlice endpoints name by index. */
  readonly conditions: object[];
}

const ENDPOINT_SLICE = { group: "discovery.k8s.io", kind: "EndpointSlice" } as const;

function isEndpointSlice(key: ResourceKey): boolean {
  return key.kind === ENDPOINT_SLICE.kind && key.group === ENDPOINT_SLICE.group;
}

interface SerialEndpoint {
  conditions: unknown;
}

/**
 * ConditionsTable numbers the distinct conditions objects before a snapshot is written (by
 * identity first: validation shares equal ones already; then by their JSON).
 */
class ConditionsTable {
  readonly list: object[] = [];
  readonly #byObject = new Map<object, number>();
  readonly #byText = new Map<string, number>();

  indexOf(c: object): number {
    let i = this.#byObject.get(c);
    if (i !== undefined) return i;
    const text = JSON.stringify(c);
    i = this.#byText.get(text);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(c);
      this.#byText.set(text, i);
    }
    this.#byObject.set(c, i);
    return i;
  }
}

/** compactSlice is the slice as recorded: each endpoint's conditions an index into `table`. */
function compactSlice(resource: Resource, table: ConditionsTable): Resource {
  const endpoints = (resource as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(endpoints)) return resource;
  return {
    ...resource,
    // A packed endpoint spreads as its plain object: its address is not an own field.
    endpoints: endpoints.map((e: SerialEndpoint & object) =>
      typeof e.conditions === "object" && e.conditions !== null
        ? { ...plainResource(e), conditions: table.indexOf(e.conditions) }
        : e,
    ),
  } as Resource;
}

/** expandSlice puts the shared conditions objects back in place of their indexes; false when one is not in `shared`. */
function expandSlice(resource: object, shared: readonly object[]): boolean {
  const endpoints = (resource as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(endpoints)) return false;
  for (const e of endpoints as SerialEndpoint[]) {
    if (typeof e !== "object" || e === null) return false;
    const c = typeof e.conditions === "number" ? shared[e.conditions] : undefined;
    if (c === undefined) return false;
    e.conditions = c;
  }
  return true;
}

let version: string | undefined;
/**
 * snapshotVersion is the sluice version a snapshot records: package.json's version and the
 * digest of the code that gives a snapshot its meaning (code-identity.ts), so a new build with
 * the same version number does not trust an old build's snapshot. src/cli may not be imported
 * here. Without readable sources the version is unique to this process: nothing is trusted.
 */
export function snapshotVersion(): string {
  if (version !== undefined) return version;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    version = `${pkg.version}+${codeIdentity()}`;
  } catch {
    version = `unknown+pid${process.pid}-${Date.now()}`;
  }
  return version;
}

let kindsByName: Map<string, KindInfo> | undefined;
/** kindInfo looks a key's kind up by group and kind (a map: 20,000 documents at 10k Services). */
function kindInfo(key: ResourceKey): KindInfo | undefined {
  if (kindsByName === undefined) {
    kindsByName = new Map();
    for (const k of RESOURCE_KINDS)
      if (!kindsByName.has(`${k.group}/${k.kind}`)) kindsByName.set(`${k.group}/${k.kind}`, k);
  }
  return typeof key?.kind === "string" && typeof key.group === "string"
    ? kindsByName.get(`${key.group}/${key.kind}`)
    : undefined;
}

/** SnapshotDoc is one document as the index holds it (a DatastoreIndex Definition fits). */
export interface SnapshotDoc {
  readonly ok: boolean;
  readonly index: number;
  readonly key?: ResourceKey;
  readonly resource?: Resource;
}

/** A source of the current state to record: each file's stamp and documents. */
export type SnapshotSource = () => Iterable<[name: string, stamp: string, docs: readonly SnapshotDoc[]]>;

/** IndexSnapshot loads and (debounced) writes one datastore directory's snapshot. */
export class IndexSnapshot {
  readonly #dir: string;
  readonly #validation: string;
  readonly #file: SnapshotWriter;
  readonly #timer: QuietTimer;
  #pending: SnapshotSource | undefined;
  /** Counters for tests and benches. */
  readonly stats = { loaded: 0, written: 0, fallbacks: 0 };

  constructor(
    dir: string,
    validation: ValidationOptions,
    readonly options: IndexSnapshotOptions,
  ) {
    this.#timer = new QuietTimer(() => this.#writeScheduled(), {
      quietMs: options.delayMs ?? 3000,
      maxDelayMs: options.maxDelayMs ?? 60_000,
    });
    this.#dir = resolve(dir);
    this.#validation = stableJson(validation);
    this.#file = new SnapshotWriter(options.path);
  }

  /** exists: there is a snapshot file to load (whether it is usable, load says). */
  exists(): boolean {
    return existsSync(this.options.path);
  }

  /**
   * load reads the snapshot: the recorded files by name, or undefined (with the reason logged)
   * when there is none, or it is corrupt or for another format, version, directory or validation.
   */
  load(): Map<string, SnapshotFile> | undefined {
    const why = (reason: string): undefined => {
      this.stats.fallbacks++;
      this.options.log?.(
        `datastore index snapshot ${JSON.stringify(this.options.path)} not used: ${reason}; full scan`,
      );
      return undefined;
    };
    let read;
    try {
      read = readAsciiJsonLines(this.options.path, (h) => this.#refuse(h as Partial<SerialHead>));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return why("none yet");
      if (code !== undefined) return why(`unreadable (${code})`);
      return why(`corrupt (${err instanceof Error ? err.message : String(err)})`);
    }
    if ("refused" in read) return why(read.refused);
    const shared = (read.head as unknown as SerialHead).conditions.map((c) => Object.freeze(c));
    const out = new Map<string, SnapshotFile>();
    for (const f of read.items as SerialFile[]) {
      if (!Array.isArray(f) || typeof f[0] !== "string" || typeof f[1] !== "string" || !Array.isArray(f[2]))
        return why("corrupt (a file entry)");
      const docs: ManifestDocument[] = [];
      for (const d of f[2]) {
        const info = Array.isArray(d) ? kindInfo(d[1]) : undefined;
        if (info === undefined || typeof d[0] !== "number" || typeof d[2] !== "object" || d[2] === null)
          return why(`corrupt (a document of ${JSON.stringify(f[0])})`);
        if (isEndpointSlice(d[1]) && !expandSlice(d[2], shared))
          return why(`corrupt (the endpoints of ${JSON.stringify(f[0])})`);
        // What validation shares (apiVersion and kind strings, equal ports lists, node names…)
        // is shared here too: a restart must not hold more than the first start.
        const resource = shareResourceParts(d[2] as Resource, info);
        if (typeof d[3] === "string") rememberDigest(resource, d[3]);
        docs.push({
          index: d[0],
          raw: undefined,
          result: { ok: true, key: d[1], resource, kind: info },
        });
      }
      out.set(f[0], { stamp: f[1], docs });
    }
    this.stats.loaded++;
    return out;
  }

  /** #refuse: why a snapshot with this head is not for this datastore and build, if it is not. */
  #refuse(head: Partial<SerialHead>): string | undefined {
    if (head.format !== SNAPSHOT_FORMAT)
      return `format ${String(head.format)}, this sluice reads ${SNAPSHOT_FORMAT}`;
    if (head.version !== snapshotVersion())
      return `written by sluice ${String(head.version)}, this is ${snapshotVersion()}`;
    if (head.dir !== this.#dir) return `for directory ${JSON.stringify(head.dir)}`;
    if (head.validation !== this.#validation) return "validation options differ";
    if (!Array.isArray(head.conditions) || head.conditions.some((c) => typeof c !== "object" || c === null))
      return "corrupt (no conditions table)";
    return undefined;
  }

  /**
   * changed schedules a write once the index has been quiet for `delayMs`, or `maxDelayMs` after
   * the first change not yet recorded under a steady stream (quiet-timer.ts); the write does not
   * hold the event loop (snapshot-writer.ts: the state captured at once, serialised and written a
   * slice per turn of the loop).
   */
  changed(source: SnapshotSource): void {
    this.#pending = source;
    this.#timer.touch();
  }

  #writeScheduled(): void {
    const latest = this.#pending;
    if (latest === undefined) return;
    if (this.options.held?.() === true) {
      this.#timer.touch();
      return;
    }
    this.#pending = undefined;
    const files = recordable(latest);
    const table = conditionsTable(files);
    this.#file
      .write(asciiJsonLines(this.#head(table), files, (f) => serialFile(f, table)))
      .then(() => void this.stats.written++)
      .catch((err: unknown) => this.#logWriteError(err));
  }

  /** write records `source` now, atomically; files with a rejected document are left out. */
  write(source: SnapshotSource): void {
    const files = recordable(source);
    const table = conditionsTable(files);
    this.#file.writeNow([...asciiJsonLines(this.#head(table), files, (f) => serialFile(f, table))].join(""));
    this.stats.written++;
  }

  /** idle resolves when no scheduled write is running (tests). */
  idle(): Promise<void> {
    return this.#file.idle();
  }

  /** close writes a pending snapshot now (a clean shutdown keeps the latest state). */
  close(): void {
    const pending = this.#pending;
    this.#timer.cancel();
    this.#pending = undefined;
    if (pending !== undefined) this.#writeLogged(pending);
  }

  #head(table: ConditionsTable): SerialHead {
    return {
      format: SNAPSHOT_FORMAT,
      version: snapshotVersion(),
      dir: this.#dir,
      validation: this.#validation,
      conditions: table.list,
    };
  }

  #logWriteError(err: unknown): void {
    this.options.log?.(`write datastore index snapshot: ${err instanceof Error ? err.message : String(err)}`);
  }

  #writeLogged(source: SnapshotSource): void {
    try {
      this.write(source);
    } catch (err) {
      this.#logWriteError(err);
    }
  }
}

type RecordableFile = readonly [name: string, stamp: string, docs: readonly SnapshotDoc[]];

/** recordable captures the files to record: those whose every document is valid. */
function recordable(source: SnapshotSource): RecordableFile[] {
  const out: RecordableFile[] = [];
  for (const f of source()) {
    if (f[2].every((d) => d.ok && d.key !== undefined && d.resource !== undefined)) out.push(f);
  }
  return out;
}

/** conditionsTable numbers the distinct endpoint conditions of the files' EndpointSlices (before the head is written). */
function conditionsTable(files: readonly RecordableFile[]): ConditionsTable {
  const table = new ConditionsTable();
  for (const [, , docs] of files)
    for (const d of docs) {
      if (!isEndpointSlice(d.key!)) continue;
      const endpoints = (d.resource as { endpoints?: unknown }).endpoints;
      if (Array.isArray(endpoints))
        for (const e of endpoints as SerialEndpoint[])
          if (
            typeof e === "object" &&
            e !== null &&
            typeof e.conditions === "object" &&
            e.conditions !== null
          )
            table.indexOf(e.conditions);
    }
  return table;
}

function serialFile([name, stamp, docs]: RecordableFile, table: ConditionsTable): SerialFile {
  return [
    name,
    stamp,
    docs.map((d) => [
      d.index,
      d.key!,
      isEndpointSlice(d.key!) ? compactSlice(d.resource!, table) : d.resource!,
      resourceDigest(d.resource!),
    ]),
  ];
}
