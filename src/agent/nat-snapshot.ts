/**
 * The agent's NAT snapshot: what the NAT reconciler last applied, per Service, persisted in the
 * agent's state directory so a restarted agent trusts the pinned maps and its own last state
 * instead of decoding every sl_nat_be entry and recomputing every Service (~2.5 s of a restart
 * at 10k Services × 10 endpoints; bench/README.md, agent-idle).
 *
 * What is recorded (ASCII JSON lines, src/datastore/ascii-json.ts: a head, then the Services, up
 * to 32 a line — JSON is faster both ways than v8.serialize here, see
 * src/datastore/index-snapshot.ts; written atomically: a dot temp file, then rename):
 * - the format, the sluice version and the node (name and addresses) the results are for;
 * - a fingerprint of sl_nat_fe, sl_nat_be and sl_nat_src as the recorded results fill them —
 *   their entry counts and an order-independent hash of every entry's bytes (nat-fingerprint.ts:
 *   kept per result, so it costs the running agent only what changed);
 * - per Service: its result (ServiceNat: the entries it owns, its svc_ids; the backends as
 *   NatBackendList.packed gives them), the claims of earlier Services on its frontends, and a
 *   digest of the input it was computed from (the Service and its EndpointSlices, in order).
 *
 * Between two snapshots each NAT write appends a line to the snapshot's journal (NatSnapshotStore).
 *
 * Invariants (the agent must never serve a stale backend because of the snapshot):
 * - it is captured at once after a successful sync (the results are immutable; serialising and
 *   writing them then takes turns of the event loop, snapshot-writer.ts), so it describes one
 *   state; only this agent writes the NAT maps;
 * - a restart uses it only when the format, version and node match and the live maps'
 *   fingerprint equals the recorded one — a write after the snapshot (the agent killed before
 *   the next one), another writer, a map rebuilt or resized, a belief of the agent's that did
 *   not match its maps all fail this check — else the
 *   reconciler reads the maps as before (the full adopt), with the reason logged;
 * - a Service whose input digest differs (changed while the agent was down), a new Service and
 *   a deleted one are recomputed and diffed against what the snapshot says the maps hold; only
 *   the others' results are reused. The periodic check (every 30 min, proxy-service-sync.ts)
 *   compares the same two fingerprints and re-reads the maps when they differ.
 * Bump NAT_SNAPSHOT_FORMAT whenever computeServiceNat can give another result for the same input.
 */
import { appendFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { NatBackendList } from "../calc/index.ts";
import type { NatCacheEntry as AppliedService, ServiceNat } from "../calc/index.ts";
import { asciiJsonLines, readAsciiJsonLines, toAsciiJson } from "../datastore/ascii-json.ts";
import { SnapshotWriter } from "../datastore/snapshot-writer.ts";
import { resourceDigest } from "../datastore/resource-digest.ts";
import { BpfMap } from "../bpf/map.ts";
import { visitBatches } from "../bpf/map-batch.ts";
import { rawEntries, type RawMap } from "../datapath/maps/raw-map.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import type { NatNode } from "../proxy/nat-reconciler.ts";
import { addEntry, emptySums, FingerprintTally, sumsText } from "./nat-fingerprint.ts";
import { snapshotVersion } from "../datastore/index-snapshot.ts";

/** NAT_SNAPSHOT_FORMAT: bump when the layout or computeServiceNat's results change. */
export const NAT_SNAPSHOT_FORMAT = 4;

/** NatSnapshotService is one Service as recorded. */
export interface NatSnapshotService {
  readonly digest: string;
  readonly claims: string;
  readonly result: ServiceNat;
}

/** NatSnapshot is a loaded, well-formed snapshot. */
export interface NatSnapshot {
  readonly node: NatNode;
  readonly fingerprint: string;
  readonly services: readonly NatSnapshotService[];
}

/** The head line; the Services follow it (asciiJsonLines adds their `count`). */
interface SerialHead {
  readonly format: number;
  readonly version: string;
  readonly node: NatNode;
  readonly fingerprint: string;
  /** The id of this snapshot's journal (`<path>.journal.<id>`). */
  readonly journal: string;
}

type SerialService = [digest: string, claims: string, result: SerialServiceNat];

/** One journal line: the Services changed and removed by one NAT write, and the fingerprint after it. */
interface SerialJournalLine {
  readonly fingerprint: string;
  readonly services: SerialService[];
  readonly removed: string[];
}

/** A result as the JSON holds it: the backends packed (NatBackendList.packed). */
type SerialServiceNat = Omit<ServiceNat, "backends"> & {
  readonly backends: ReturnType<NatBackendList["packed"]>;
};

/**
 * mapsFingerprint: per map, its entry count and two order-independent sums of a 32-bit FNV-1a
 * hash of each entry's key and value bytes. Equal maps give equal fingerprints; a changed,
 * added or removed entry changes it (up to hash collisions of 64 bits per map).
 */
export function mapsFingerprint(maps: readonly RawMap[]): string {
  return maps.map(mapFingerprint).join("/");
}

function mapFingerprint(map: RawMap): string {
  const acc = emptySums();
  // A live map: hashed in place from the batch buffers (no per-entry copy: 100k+ entries at 10k).
  if (map instanceof BpfMap) {
    const ks = map.keySize;
    const vs = map.valueBufferSize;
    const batched = visitBatches(map, (keys, values, n) => {
      for (let i = 0; i < n; i++) addEntry(acc, keys, i * ks, ks, values, i * vs, vs);
    });
    if (batched) return sumsText(acc);
  }
  for (const [k, v] of rawEntries(map)) addEntry(acc, k, 0, k.length, v, 0, v.length);
  return sumsText(acc);
}

/**
 * inputDigest identifies a Service's NAT input: the Service and its EndpointSlices in order.
 * Plain JSON.stringify (not a key-sorted form): objects read back from the datastore's snapshot
 * keep their key order, and a false difference costs only a recomputation of that Service. The
 * digests of objects the datastore's snapshot restored come with them (resource-digest.ts).
 */
export function inputDigest(service: Service, slices: readonly EndpointSlice[]): string {
  let out = resourceDigest(service);
  for (const s of slices) out += `,${resourceDigest(s)}`;
  return out;
}

/**
 * NatSnapshotStore reads and writes the snapshot file and its journal. The snapshot is written
 * a few seconds after a change (proxy-service-sync.ts); between two snapshots each NAT write
 * appends one line to the journal of the latest snapshot (`<path>.journal.<snapshot id>`): the
 * Services whose results changed or went, and the fingerprint after the write. A restart reads
 * the snapshot, then its journal's complete lines, so an agent killed right after a change still
 * restores (without the journal, any change in the seconds before a kill meant the full adopt).
 * A torn last line (a kill mid-append) is left out, and the fingerprint check then finds the
 * maps ahead of the restored state: the full adopt, as before. A snapshot in place makes the
 * journals of earlier snapshots garbage; they are removed.
 */
export class NatSnapshotStore {
  readonly #file: SnapshotWriter;
  /** The results the snapshot and journal on disk describe, by Service (undefined: none yet). */
  #recorded: Map<string, ServiceNat> | undefined;
  /** Ids of the snapshots taken, oldest first; the journal goes to the last one's. */
  #ids: string[] = [];
  /** The fingerprint of #recorded, kept per change by journalChanged (undefined: not in that form). */
  #tally: FingerprintTally | undefined;

  constructor(
    readonly path: string,
    readonly log: (message: string) => void = () => {},
  ) {
    this.#file = new SnapshotWriter(path);
  }

  /**
   * journaling is true when journal() would append (a snapshot was loaded or written since this
   * store was made). Before that journal() does nothing, so a caller can skip what it needs — the
   * applied results' fingerprint hashes every entry of a cold start (~0.25 s at 10k Services).
   */
  get journaling(): boolean {
    return this.#recorded !== undefined && this.#ids.length > 0;
  }

  /** journalPath is where the journal of snapshot `id` is. */
  journalPath(id: string): string {
    return `${this.path}.journal.${id}`;
  }

  /** load returns the snapshot when it is one this agent can use, else undefined with the reason logged. */
  load(node: NatNode): NatSnapshot | undefined {
    const why = (reason: string): undefined => {
      this.log(`nat snapshot ${JSON.stringify(this.path)} not used: ${reason}; reading the maps`);
      return undefined;
    };
    let read;
    try {
      read = readAsciiJsonLines(this.path, (h) => refusal(h as Partial<SerialHead>, node));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return why("none yet");
      return why(`unreadable or corrupt (${code ?? (err instanceof Error ? err.message : String(err))})`);
    }
    if ("refused" in read) return why(read.refused);
    const snap = read.head as unknown as SerialHead;
    const byName = new Map<string, NatSnapshotService>();
    for (const s of read.items as SerialService[]) {
      const entry = serviceOf(s);
      if (entry === undefined) return why("corrupt (a service entry)");
      byName.set(entry.result.name, entry);
    }
    let fingerprint = snap.fingerprint;
    let lines = 0;
    for (const line of this.#journalLines(snap.journal)) {
      const entries = line.services.map(serviceOf);
      if (entries.some((e) => e === undefined)) break; // a line that does not check out ends the journal
      for (const e of entries) byName.set(e!.result.name, e!);
      for (const name of line.removed) byName.delete(name);
      fingerprint = line.fingerprint;
      lines++;
    }
    this.#ids = [snap.journal];
    this.#recorded = new Map([...byName].map(([name, e]) => [name, e.result]));
    this.#tally = FingerprintTally.parse(fingerprint);
    this.#removeJournalsBut(snap.journal);
    if (lines > 0) this.log(`nat snapshot ${JSON.stringify(this.path)}: ${lines} journal line(s) applied`);
    return { node: snap.node, fingerprint, services: [...byName.values()] };
  }

  /**
   * write records `services`, whose entries the maps hold as `fingerprint` says, without holding
   * the event loop (snapshot-writer.ts): `services` is captured as given (immutable results and
   * resources), serialised and written a slice per turn of the loop. Writes run one after another;
   * NAT writes from now on are journaled against this snapshot.
   */
  async write(node: NatNode, fingerprint: string, services: readonly AppliedService[]): Promise<void> {
    const id = this.#begin(fingerprint, services);
    const head = { ...snapshotHead(node, fingerprint), journal: id };
    if (await this.#file.write(asciiJsonLines(head, services, serial))) this.#removeJournalsBefore(id);
  }

  /** writeNow records `services` at once (a clean shutdown); an unfinished write() gives way. */
  writeNow(node: NatNode, fingerprint: string, services: readonly AppliedService[]): void {
    const id = this.#begin(fingerprint, services);
    this.#file.writeNow(
      [...asciiJsonLines({ ...snapshotHead(node, fingerprint), journal: id }, services, serial)].join(""),
    );
    this.#removeJournalsBefore(id);
  }

  /**
   * journal appends what changed since the snapshot and journal on disk to the latest snapshot's
   * journal: the applied Services whose result is not the recorded one, those no longer applied,
   * and `fingerprint` (of the maps holding `services`). Call it after a NAT write that succeeded.
   * Nothing before the first snapshot (or load). Throws when the append fails (the caller logs;
   * a restart then finds the maps ahead of the journal and reads them).
   */
  journal(fingerprint: string, services: readonly AppliedService[]): void {
    const recorded = this.#recorded;
    if (recorded === undefined || this.#ids.length === 0) return;
    const changed = services.filter((s) => recorded.get(s.result.name) !== s.result);
    const names = new Set(services.map((s) => s.result.name));
    const removed = [...recorded.keys()].filter((n) => !names.has(n));
    this.#append(fingerprint, changed, removed);
    this.#tally = FingerprintTally.parse(fingerprint);
  }

  /**
   * journalChanged is journal() after a write that could change only Services `names`: `services`
   * are those of them still applied (the others are gone), every other applied Service is as
   * recorded. The fingerprint after it is the recorded one with these Services' shares replaced
   * (FingerprintTally), so the line costs what changed, not a pass over every applied Service.
   * False when it cannot tell the fingerprint (none recorded in the tally's form): call journal().
   */
  journalChanged(names: Iterable<string>, services: readonly AppliedService[]): boolean {
    const recorded = this.#recorded;
    if (recorded === undefined || this.#ids.length === 0) return true;
    const tally = this.#tally?.copy();
    if (tally === undefined) return false;
    const applied = new Map(services.map((s) => [s.result.name, s]));
    const changed: AppliedService[] = [];
    const removed: string[] = [];
    for (const name of new Set(names)) {
      const now = applied.get(name);
      const was = recorded.get(name);
      if (now === undefined && was !== undefined) removed.push(name);
      if (now === undefined || now.result === was) continue;
      changed.push(now);
    }
    for (const s of changed) tally.replace(recorded.get(s.result.name), s.result);
    for (const n of removed) tally.replace(recorded.get(n), undefined);
    this.#append(tally.text(), changed, removed);
    this.#tally = tally;
    return true;
  }

  /** #append writes one journal line, then records it (when the append throws, nothing is recorded). */
  #append(fingerprint: string, changed: readonly AppliedService[], removed: readonly string[]): void {
    const recorded = this.#recorded!;
    if (changed.length === 0 && removed.length === 0) return;
    const line: SerialJournalLine = { fingerprint, services: changed.map(serial), removed: [...removed] };
    try {
      appendFileSync(this.journalPath(this.#ids.at(-1)!), `${toAsciiJson(line)}\n`, "latin1");
    } catch (err) {
      // Recorded is now behind what is applied for these Services: the next line diffs them all.
      this.#tally = undefined;
      throw err;
    }
    for (const s of changed) recorded.set(s.result.name, s.result);
    for (const n of removed) recorded.delete(n);
  }

  /** idle resolves when no write() is running. */
  async idle(): Promise<void> {
    await this.#file.idle();
  }

  #begin(fingerprint: string, services: readonly AppliedService[]): string {
    const id = `${process.pid.toString(36)}${Date.now().toString(36)}${(++journalSerial).toString(36)}`;
    this.#ids.push(id);
    this.#recorded = new Map(services.map((s) => [s.result.name, s.result]));
    this.#tally = FingerprintTally.parse(fingerprint);
    return id;
  }

  *#journalLines(id: string): Iterable<SerialJournalLine> {
    let text: string;
    try {
      text = readFileSync(this.journalPath(id), "latin1");
    } catch {
      return; // no journal: no write since the snapshot
    }
    for (const raw of text.split("\n")) {
      if (raw === "") continue;
      let line: Partial<SerialJournalLine>;
      try {
        line = JSON.parse(raw) as Partial<SerialJournalLine>;
      } catch {
        return; // torn (a kill mid-append): the lines before it stand
      }
      if (
        typeof line.fingerprint !== "string" ||
        !Array.isArray(line.services) ||
        !Array.isArray(line.removed)
      )
        return;
      yield line as SerialJournalLine;
    }
  }

  /** Removes the journals of the snapshots taken before `id` (the one now in place). */
  #removeJournalsBefore(id: string): void {
    const at = this.#ids.indexOf(id);
    if (at < 0) return;
    for (const old of this.#ids.splice(0, at)) rmSync(this.journalPath(old), { force: true });
  }

  /** Removes every journal in the state directory but `id`'s (a load: the others are garbage). */
  #removeJournalsBut(id: string): void {
    const prefix = `${basename(this.path)}.journal.`;
    let names: string[];
    try {
      names = readdirSync(dirname(this.path));
    } catch {
      return;
    }
    for (const n of names)
      if (n.startsWith(prefix) && n !== `${prefix}${id}`)
        rmSync(join(dirname(this.path), n), { force: true });
  }
}

let journalSerial = 0;

function serviceOf(s: unknown): NatSnapshotService | undefined {
  if (!Array.isArray(s) || typeof s[0] !== "string" || typeof s[1] !== "string" || !wellFormed(s[2]))
    return undefined;
  const r = s[2];
  const backends = NatBackendList.fromPacked(r.backends[0], r.backends[1]);
  return backends === undefined ? undefined : { digest: s[0], claims: s[1], result: { ...r, backends } };
}

function snapshotHead(node: NatNode, fingerprint: string): Omit<SerialHead, "journal"> {
  return {
    format: NAT_SNAPSHOT_FORMAT,
    version: snapshotVersion(),
    node: { nodeName: node.nodeName, nodeAddresses: [...node.nodeAddresses] },
    fingerprint,
  };
}

/** refusal: why a snapshot with this head is not for this build and node, if it is not. */
function refusal(head: Partial<SerialHead>, node: NatNode): string | undefined {
  if (head.format !== NAT_SNAPSHOT_FORMAT)
    return `format ${String(head.format)}, this sluice reads ${NAT_SNAPSHOT_FORMAT}`;
  if (head.version !== snapshotVersion())
    return `written by sluice ${String(head.version)}, this is ${snapshotVersion()}`;
  if (
    head.node?.nodeName !== node.nodeName ||
    !Array.isArray(head.node.nodeAddresses) ||
    head.node.nodeAddresses.join(",") !== node.nodeAddresses.join(",")
  )
    return "taken for another node name or addresses";
  if (typeof head.fingerprint !== "string" || typeof head.journal !== "string") return "corrupt (fields)";
  return undefined;
}

const serial = (s: AppliedService): SerialService => [
  inputDigest(s.service, s.slices),
  s.claims,
  { ...s.result, backends: s.result.backends.packed() },
];

function wellFormed(r: unknown): r is SerialServiceNat {
  const n = r as Partial<SerialServiceNat> | null;
  return (
    typeof n === "object" &&
    n !== null &&
    typeof n.name === "string" &&
    Array.isArray(n.frontends) &&
    Array.isArray(n.backends) &&
    n.backends.length === 2 &&
    Array.isArray(n.sourceRanges) &&
    Array.isArray(n.views) &&
    Array.isArray(n.problems) &&
    Array.isArray(n.wanted)
  );
}
