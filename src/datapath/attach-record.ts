/**
 * AttachRecord is what an agent's IfaceAttacher last put on each interface, kept in its state
 * directory (`attached-programs.json`) so a restarted agent can keep programs that are still the
 * ones it would load — Calico's way of not re-attaching on a Felix restart. Without it every
 * restart verified and swapped every interface's programs again: ~1.4 s of CPU on libuv's
 * workers in the lab's 2-node restart, with the load on the same two cores.
 *
 * A record is only a claim. The attacher keeps an interface's programs only when the kernel
 * agrees: the pinned links still sit on the recorded ifindex and run the recorded program ids,
 * and the interface's policy continuation still fills its recorded slot (see
 * IfaceAttacher.prepare). `key` says what the programs were loaded from: the object's programs
 * (instructions, relocations, .rodata defaults), the role, the constants and the ids of the maps
 * they were given — any change means a load, as without a record.
 */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { CollectionSpec } from "../bpf/collection-spec.ts";

/** ATTACH_RECORD_FILE is the record's name in the agent's state directory. */
export const ATTACH_RECORD_FILE = "attached-programs.json";

/** The record's layout; another one is not read. */
const FORMAT = 1;

/** AttachedPrograms is one interface's entry. */
export interface AttachedPrograms {
  readonly ifindex: number;
  /** attachKey of what was loaded. */
  readonly key: string;
  /** The program ids on the ingress and egress links. */
  readonly ingress: number;
  readonly egress: number;
  /** The interface's pol_done slot in sl_pol_jump and the program id that fills it. */
  readonly doneSlot: number;
  readonly doneProgram: number;
}

/** AttachRecord is every interface's entry, by interface name. */
export type AttachRecord = ReadonlyMap<string, AttachedPrograms>;

/**
 * readAttachRecord reads the record at `path`; an absent, unreadable or other-format file is an
 * empty record (the interfaces are then loaded as on a first start), with why in `problem`.
 */
export function readAttachRecord(path: string): { record: AttachRecord; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { record: new Map() };
    return { record: new Map(), problem: `read ${path}: ${(e as Error).message}` };
  }
  try {
    const doc = JSON.parse(text) as { format?: unknown; ifaces?: unknown };
    if (doc.format !== FORMAT || typeof doc.ifaces !== "object" || doc.ifaces === null)
      return { record: new Map(), problem: `${path}: not format ${FORMAT}` };
    const out = new Map<string, AttachedPrograms>();
    for (const [name, e] of Object.entries(doc.ifaces as Record<string, unknown>))
      if (isEntry(e)) out.set(name, e);
    return { record: out };
  } catch (e) {
    return { record: new Map(), problem: `${path}: ${(e as Error).message}` };
  }
}

function isEntry(e: unknown): e is AttachedPrograms {
  if (typeof e !== "object" || e === null) return false;
  const o = e as Record<string, unknown>;
  return (
    typeof o["key"] === "string" &&
    ["ifindex", "ingress", "egress", "doneSlot", "doneProgram"].every((f) => Number.isInteger(o[f]))
  );
}

/** writeAttachRecord replaces the record at `path` (a temporary file renamed over it). */
export function writeAttachRecord(path: string, record: AttachRecord): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, ifaces: Object.fromEntries(record) })}\n`);
  renameSync(tmp, path);
}

/**
 * programsDigest identifies what `programs` of `spec` load as: their instructions and map
 * relocations, and the object's global data defaults (constants not set at load keep them).
 */
export function programsDigest(spec: CollectionSpec, programs: readonly string[]): string {
  const hash = createHash("sha256");
  for (const name of programs) {
    const p = spec.programs.get(name);
    if (p === undefined) throw new Error(`programs digest: the object has no program "${name}"`);
    hash
      .update(name)
      .update("\0")
      .update(p.instructions)
      .update(JSON.stringify(p.mapRelocations))
      .update("\0");
  }
  for (const [name, m] of [...spec.maps].sort(([a], [b]) => a.localeCompare(b)))
    if (m.contents !== undefined) hash.update(name).update("\0").update(m.contents).update("\0");
  return hash.digest("hex").slice(0, 32);
}

/** attachKey is what an interface's load depends on, as one string (see AttachedPrograms.key). */
export function attachKey(
  programs: string,
  role: string,
  constants: string,
  mapIds: readonly number[],
): string {
  return `${programs}|${role}|${constants}|${mapIds.join(",")}`;
}
