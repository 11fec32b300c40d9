/**
 * ContinuationSlots keeps each attached interface's policy continuation (tc.o `pol_done`) in
 * sl_pol_jump: a slot of the done range per interface (DoneSlots), the program written there
 * before the link swap that makes programs using that slot live, and pinned at
 * `<pinDir>/pol_done/<iface>@<slot>` so a restarted agent learns which slots are taken. A slot an
 * interface no longer uses is retired: emptied and unpinned by settle() only after the kernel
 * says every program running at retirement has finished (waitForRunningPrograms), because a
 * packet inside an old program may still tail-call it. Needs CAP_BPF.
 */
import { readdirSync } from "node:fs";
import { BpfMap } from "../bpf/map.ts";
import type { Program } from "../bpf/program.ts";
import { waitForRunningPrograms } from "../bpf/wait-for-programs.ts";
import { KeyNotFoundError } from "../errors/key-not-found-error.ts";
import { makePinDir, pinExists, unpin } from "../kernel/bpffs.ts";
import { SL_MAP } from "./abi/datapath-names.ts";
import { mapPinPath } from "./datapath-maps.ts";
import { DoneSlots } from "./done-slots.ts";

/** continuationPinDir is where the pol_done programs are pinned under an agent's pin directory. */
export function continuationPinDir(pinDir: string): string {
  return `${pinDir}/pol_done`;
}

/** continuationPinPath names one pin; "." becomes ":" as in link pins (bpffs refuses "."). */
export function continuationPinPath(dir: string, iface: string, slot: number): string {
  return `${dir}/${iface.replaceAll(".", ":")}@${slot}`;
}

/** parseContinuationPin reads an interface and slot back from a pin's file name. */
export function parseContinuationPin(file: string): { iface: string; slot: number } | undefined {
  const m = /^(.+)@(\d+)$/.exec(file);
  return m ? { iface: m[1]!.replaceAll(":", "."), slot: Number(m[2]) } : undefined;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** clearSlot empties one prog-array slot; an empty slot or a map already closed is fine. */
function clearSlot(jump: BpfMap, slot: number): void {
  if (jump.closed) return; // the map a rebuild replaced: gone with its programs
  try {
    jump.delete(u32(slot));
  } catch (e) {
    if (!(e instanceof KeyNotFoundError)) throw e;
  }
}

interface Retired {
  readonly jump: BpfMap;
  readonly iface: string;
  readonly slot: number;
}

export class ContinuationSlots {
  readonly #dir: string;
  readonly #slots = new DoneSlots();
  /** Pinned slots by interface: placed by this agent or found from an earlier one. */
  readonly #pinned = new Map<string, Set<number>>();
  readonly #retired = new Map<number, Retired>();

  /** The constructor adopts what an earlier agent pinned: those slots are reserved, never handed out. */
  constructor(pinDir: string) {
    this.#dir = continuationPinDir(pinDir);
    makePinDir(this.#dir);
    for (const f of readdirSync(this.#dir)) {
      const p = parseContinuationPin(f);
      if (p === undefined || !this.#slots.reserve(p.slot)) continue;
      this.#pinnedOf(p.iface).add(p.slot);
    }
  }

  /** used is how many done slots are taken (live, retiring or just allocated). */
  get used(): number {
    return this.#slots.used;
  }

  /** slotsOf lists the pinned slots of one interface (the live one, and any not yet settled). */
  slotsOf(iface: string): number[] {
    return [...(this.#pinned.get(iface) ?? [])].sort((a, b) => a - b);
  }

  /** pinnedIfaces lists the interfaces with continuation pins. */
  pinnedIfaces(): string[] {
    return [...this.#pinned.keys()];
  }

  /** take allocates a slot to load an interface's programs with (cfg_pol_done_slot). */
  take(): number {
    return this.#slots.allocate();
  }

  /** release returns a slot from take() that was never placed. */
  release(slot: number): void {
    this.#slots.free(slot);
  }

  /**
   * place writes `program` (the interface's pol_done, loaded with cfg_pol_done_slot = slot) into
   * sl_pol_jump[slot] and pins it. Call it before the link swap that makes programs using the slot
   * live. On failure nothing is left written or pinned and the slot is still the caller's.
   */
  place(jump: BpfMap, iface: string, slot: number, program: Program): void {
    const pin = continuationPinPath(this.#dir, iface, slot);
    jump.update(u32(slot), u32(program.fd));
    try {
      unpin(pin); // a stale pin of the same name (a crashed agent's) would make pin() fail
      program.pin(pin);
    } catch (e) {
      clearSlot(jump, slot);
      throw e;
    }
    this.#pinnedOf(iface).add(slot);
  }

  /** retireAllBut queues every slot of `iface` except `keep` (the live one, if any) for settle(). */
  retireAllBut(jump: BpfMap, iface: string, keep?: number): void {
    for (const slot of this.#pinned.get(iface) ?? []) {
      if (slot === keep || this.#retired.has(slot)) continue;
      this.#retired.set(slot, { jump, iface, slot });
    }
  }

  /** retire queues one slot of `iface` for settle() (a placed continuation no hook came to use). */
  retire(jump: BpfMap, iface: string, slot: number): void {
    if (this.#pinned.get(iface)?.has(slot)) this.#retired.set(slot, { jump, iface, slot });
  }

  /** pending tells whether settle() has slots to empty. */
  get pending(): number {
    return this.#retired.size;
  }

  /**
   * settle empties, unpins and frees every retired slot, once every program that might still
   * tail-call one has finished. Blocks for one RCU grace period when there is anything to do.
   */
  settle(): void {
    if (this.#retired.size === 0) return;
    waitForRunningPrograms();
    for (const r of [...this.#retired.values()]) {
      clearSlot(r.jump, r.slot);
      unpin(continuationPinPath(this.#dir, r.iface, r.slot));
      const set = this.#pinned.get(r.iface);
      set?.delete(r.slot);
      if (set?.size === 0) this.#pinned.delete(r.iface);
      this.#slots.free(r.slot);
      this.#retired.delete(r.slot);
    }
  }

  #pinnedOf(iface: string): Set<number> {
    let s = this.#pinned.get(iface);
    if (s === undefined) this.#pinned.set(iface, (s = new Set()));
    return s;
  }

  /**
   * clearAllPinned empties every pinned continuation's slot in the pinned sl_pol_jump and removes
   * the pins, without loading anything (the standard-dataplane teardown; run after the links are
   * detached, so no program of ours runs any more). Returns the pin names removed.
   */
  static clearAllPinned(pinDir: string): string[] {
    const dir = continuationPinDir(pinDir);
    if (!pinExists(dir)) return [];
    const jumpPin = mapPinPath(pinDir, SL_MAP.pol_jump);
    const jump = pinExists(jumpPin) ? BpfMap.openPinned(jumpPin) : undefined;
    const removed: string[] = [];
    try {
      for (const f of readdirSync(dir)) {
        const p = parseContinuationPin(f);
        if (p !== undefined && jump !== undefined) clearSlot(jump, p.slot);
        unpin(`${dir}/${f}`);
        removed.push(f);
      }
    } finally {
      jump?.close();
    }
    return removed;
  }
}
