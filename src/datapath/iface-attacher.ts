/**
 * IfaceAttacher keeps Sluice's programs on interfaces: one load of bpf/obj/tc.o per interface
 * (its own .rodata constants, the shared pinned maps), from_* on tc ingress and to_* on tc
 * egress, through tcx links pinned at `<pinDir>/links/<iface>@<ingress|egress>`. A pin left by
 * an earlier agent for the same ifindex is adopted and its program swapped with
 * BPF_LINK_UPDATE — never detached and re-attached — so no packet meets an empty hook. Kernels
 * without tcx (or `--attach-method cls_bpf`) get clsact + cls_bpf filters named `sluice_*` at
 * priority 1 handle 1, found again after a restart by name and slot and replaced in place.
 *
 * Every load also brings the interface's policy continuation `pol_done`, loaded with
 * cfg_pol_done_slot = a done slot of its own (ContinuationSlots) and written into sl_pol_jump
 * before the swap, so a policy program always finds where to go on. A reload (constants changed,
 * maps rebuilt, an agent restart) takes a fresh slot; the old one is emptied by settle() after
 * the swap, once no program that could still tail-call it runs.
 *
 * With a record (attach-record.ts, in the agent's state directory) a restarted agent keeps an
 * interface's programs when they are still the ones it would load and the kernel agrees they are
 * the recorded ones (tcx links only): no verifier pass, no swap ("kept").
 * Needs CAP_BPF + CAP_NET_ADMIN.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { loadCollectionAsync } from "../bpf/collection.ts";
import type { Collection, ConstantValue } from "../bpf/collection.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import { attachClsBpf, type ClsBpfFilter } from "../bpf/link/cls-bpf.ts";
import { Link } from "../bpf/link/link.ts";
import type { TcAttachment, TcDirection } from "../bpf/link/tc-attachment.ts";
import { attachTcx } from "../bpf/link/tcx.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { makePinDir, pinExists, unpin } from "../kernel/bpffs.ts";
import { stableJson } from "../datastore/stable-json.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { deleteBpfFilter, listBpfFilters, type BpfFilter } from "../netlink/tc.ts";
import type { Program } from "../bpf/program.ts";
import { SL_ABI_LAYOUTS } from "./abi/abi.ts";
import { CFG, SL_MAP } from "./abi/datapath-names.ts";
import {
  attachKey,
  programsDigest,
  readAttachRecord,
  writeAttachRecord,
  type AttachedPrograms,
} from "./attach-record.ts";
import { ContinuationSlots } from "./continuation-slots.ts";
import type { DatapathMaps } from "./datapath-maps.ts";
import type { IfaceRole } from "./iface-constants.ts";
import { isSluiceFilter, SLUICE_FILTER_PREFIX, SLUICE_FILTER_SLOT } from "./sluice-filters.ts";

/** AttachMethod forces tcx links or clsact + cls_bpf filters; auto picks tcx where the kernel has it. */
export type AttachMethod = "auto" | "tcx" | "cls_bpf";

/**
 * AttachOutcome says what attach() did on one interface; "kept": an earlier agent's programs,
 * still the ones this one would load, left running (see the attach record).
 */
export type AttachOutcome = "attached" | "adopted" | "updated" | "unchanged" | "kept";

/** AttachedIface is what the attacher holds for one interface. */
export interface AttachedIface {
  readonly name: string;
  readonly ifindex: number;
  readonly role: IfaceRole;
  readonly mechanism: "tcx" | "cls_bpf";
  readonly configKey: string;
  readonly hooks: readonly TcAttachment[];
  /** The sl_pol_jump slot of this interface's pol_done (cfg_pol_done_slot of its programs). */
  readonly doneSlot: number;
}

/**
 * linkPinPath names a link pin. bpffs refuses names with "." (EPERM), which interface names may
 * hold (VLANs: eth0.100), so "." becomes ":" — a character interface names cannot contain.
 */
export function linkPinPath(linkDir: string, iface: string, direction: TcDirection): string {
  return `${linkDir}/${iface.replaceAll(".", ":")}@${direction}`;
}

/** parseLinkPin reads an interface and direction back from a link pin's file name. */
export function parseLinkPin(file: string): { iface: string; direction: TcDirection } | undefined {
  const m = /^(.+)@(ingress|egress)$/.exec(file);
  return m ? { iface: m[1]!.replaceAll(":", "."), direction: m[2] as TcDirection } : undefined;
}

/** hookFilters lists one hook's cls_bpf filters; none when the link has no clsact yet. */
function hookFilters(ifindex: number, dir: TcDirection): BpfFilter[] {
  try {
    return listBpfFilters(ifindex, dir);
  } catch (e) {
    if (e instanceof SyscallError) return [];
    throw e;
  }
}

const PROGRAMS = {
  wep: { ingress: "from_wep", egress: "to_wep" },
  hep: { ingress: "from_hep", egress: "to_hep" },
} as const;
/** The policy continuation every interface's load brings along (bpf/tc.c). */
const POL_DONE = "pol_done";
const DIRECTIONS = ["ingress", "egress"] as const satisfies readonly TcDirection[];

/** IfaceAttacher attaches, adopts, updates and detaches per-interface programs. */
export class IfaceAttacher {
  readonly #spec: CollectionSpec;
  #maps: DatapathMaps;
  readonly #linkDir: string;
  readonly #ifaces = new Map<string, AttachedIface>();
  #mapsGeneration = 0;
  #abiChecked = false;
  readonly #done: ContinuationSlots;
  /** What prepare() loaded and attach() has not taken yet, by interface: its done slot. */
  readonly #pending = new Map<string, { collection: Collection; slot: number }>();
  /** Where the attach record lives (undefined: none is kept), the loader's identity, and what it says. */
  readonly #recordPath: string | undefined;
  readonly #loader: string;
  readonly #record = new Map<string, AttachedPrograms>();
  /** Interfaces prepare() kept from the record, until attach() reports them. */
  readonly #kept = new Set<string>();
  /** programsDigest per role, and the ids of the maps the programs are given (attachKey). */
  readonly #digests = new Map<IfaceRole, string>();
  #mapIds: number[] | undefined;

  /** How hooks are attached; auto starts on tcx and drops to cls_bpf at the first NotSupportedError. */
  readonly #method: AttachMethod;
  #useTcx: boolean;

  /**
   * `record`: the attach record (attach-record.ts) to keep programs by across restarts, and the
   * identity of the loader's code; an unreadable record counts as empty (the programs are loaded,
   * as on a first start).
   */
  constructor(
    spec: CollectionSpec,
    maps: DatapathMaps,
    pinDir: string,
    method: AttachMethod = "auto",
    record?: { readonly path: string; readonly loader: string },
  ) {
    this.#method = method;
    this.#useTcx = method !== "cls_bpf";
    this.#spec = spec;
    this.#maps = maps;
    this.#linkDir = `${pinDir}/links`;
    makePinDir(this.#linkDir);
    this.#done = new ContinuationSlots(pinDir);
    this.#recordPath = record?.path;
    this.#loader = record?.loader ?? "";
    if (record !== undefined)
      for (const [name, e] of readAttachRecord(record.path).record) this.#record.set(name, e);
  }

  /** doneSlots lists the continuation slots pinned for `iface` (the live one, and retired ones until settle()). */
  doneSlots(iface: string): number[] {
    return this.#done.slotsOf(iface);
  }

  /** attached lists the interfaces with programs now. */
  get attached(): readonly AttachedIface[] {
    return [...this.#ifaces.values()];
  }

  /** setMaps switches to rebuilt maps: every interface is reloaded on its next attach(). */
  setMaps(maps: DatapathMaps): void {
    this.#maps = maps;
    this.#mapsGeneration++;
    this.#mapIds = undefined;
  }

  /** linkPinPath is the pin of one hook's link. */
  linkPinPath(iface: string, direction: TcDirection): string {
    return linkPinPath(this.#linkDir, iface, direction);
  }

  /**
   * prepare loads (verifies) the programs attach() would swap in, or returns undefined when
   * nothing changed. Loading is the slow part; a caller that prepares every interface first can
   * then swap them back to back, so after a map rebuild interfaces spend microseconds, not one
   * verifier pass each, on different maps (a flow whose two directions cross two maps loses its
   * reverse NAT). The caller closes what it gets.
   */
  async prepare(
    iface: { readonly name: string; readonly index: number },
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
  ): Promise<Collection | undefined> {
    const have = this.#ifaces.get(iface.name);
    if (have && have.ifindex === iface.index && have.configKey === this.#configKey(role, constants))
      return undefined;
    if (have === undefined && this.#keep(iface, role, constants)) return undefined;
    this.#releasePending(iface.name);
    const names = PROGRAMS[role];
    const slot = this.#done.take();
    let collection: Collection;
    try {
      collection = await loadCollectionAsync(this.#spec, {
        programs: [names.ingress, names.egress, POL_DONE],
        replaceMaps: Object.fromEntries(this.#maps.byName),
        constants: { ...constants, [CFG.pol_done_slot]: slot },
        // The object does not change under an attacher: check its ABI on the first load only (BTF parsing costs ~20 ms).
        ...(this.#abiChecked ? {} : { abi: SL_ABI_LAYOUTS }),
      });
    } catch (e) {
      this.#done.release(slot);
      throw e;
    }
    this.#abiChecked = true;
    this.#pending.set(iface.name, { collection, slot });
    return collection;
  }

  /** #releasePending frees the slot of a prepared load that was never attached (nothing was written). */
  #releasePending(name: string): void {
    const p = this.#pending.get(name);
    if (p === undefined) return;
    this.#pending.delete(name);
    this.#done.release(p.slot);
  }

  #configKey(role: IfaceRole, constants: Readonly<Record<string, ConstantValue>>): string {
    return `${this.#mapsGeneration}|${role}|${stableJson(constants)}`;
  }

  /** #attachKeyOf is the attach record's key for a load of `role` with `constants` on the current maps. */
  #attachKeyOf(role: IfaceRole, constants: Readonly<Record<string, ConstantValue>>): string {
    let digest = this.#digests.get(role);
    if (digest === undefined) {
      digest = programsDigest(this.#spec, [PROGRAMS[role].ingress, PROGRAMS[role].egress, POL_DONE]);
      this.#digests.set(role, digest);
    }
    this.#mapIds ??= [...this.#maps.byName]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, m]) => m.info().id);
    return attachKey(`${this.#loader}+${digest}`, role, stableJson(constants), this.#mapIds);
  }

  /**
   * #keep takes over an interface an earlier agent attached, without loading anything, when its
   * record says it loaded exactly what this one would (the key) and the kernel says those are
   * the programs running: both pinned links on this ifindex with the recorded program ids, the
   * recorded continuation slot pinned for the interface and holding the recorded program. Any
   * doubt is false: the caller loads and swaps, as without a record.
   */
  #keep(
    iface: { readonly name: string; readonly index: number },
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
  ): boolean {
    const rec = this.#record.get(iface.name);
    if (rec === undefined || !this.#useTcx || rec.ifindex !== iface.index) return false;
    if (rec.key !== this.#attachKeyOf(role, constants)) return false;
    if (!this.#done.slotsOf(iface.name).includes(rec.doneSlot)) return false;
    const jump = this.#maps.get(SL_MAP.pol_jump);
    const slot = new Uint8Array(4);
    new DataView(slot.buffer).setUint32(0, rec.doneSlot, true);
    const held = jump.get(slot); // a prog array answers with the program's id
    if (
      held === undefined ||
      new DataView(held.buffer, held.byteOffset).getUint32(0, true) !== rec.doneProgram
    )
      return false;
    const links: Link[] = [];
    const running = (): boolean => {
      for (const [dir, program] of [
        ["ingress", rec.ingress],
        ["egress", rec.egress],
      ] as const) {
        const path = this.linkPinPath(iface.name, dir);
        if (!pinExists(path)) return false;
        const link = Link.openPinned(path);
        links.push(link);
        const info = link.info();
        if (info.ifindex !== iface.index || info.progId !== program) return false;
      }
      return true;
    };
    let ok = false;
    try {
      ok = running();
    } catch {
      // a pin that is not a link, a link gone defunct: not ours to keep
    }
    if (!ok) {
      for (const l of links) l.close(); // the pins stay: attach() adopts or replaces them
      return false;
    }
    this.#ifaces.set(iface.name, {
      name: iface.name,
      ifindex: iface.index,
      role,
      mechanism: "tcx",
      configKey: this.#configKey(role, constants),
      hooks: links,
      doneSlot: rec.doneSlot,
    });
    this.#kept.add(iface.name);
    // An earlier agent's other continuations of this interface (retired, not yet settled) go at settle().
    this.#done.retireAllBut(jump, iface.name, rec.doneSlot);
    return true;
  }

  /** #recordAttached notes in the record what attach() just put on `iface` (tcx links only). */
  #recordAttached(
    iface: { readonly name: string; readonly index: number },
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
    mechanism: AttachedIface["mechanism"],
    collection: Collection,
    doneSlot: number,
  ): void {
    if (this.#recordPath === undefined) return;
    if (mechanism !== "tcx") return this.#forgetRecord(iface.name);
    const names = PROGRAMS[role];
    const id = (name: string): number => collection.programs.get(name)!.info().id;
    try {
      this.#record.set(iface.name, {
        ifindex: iface.index,
        key: this.#attachKeyOf(role, constants),
        ingress: id(names.ingress),
        egress: id(names.egress),
        doneSlot,
        doneProgram: id(POL_DONE),
      });
    } catch {
      // The programs are attached; only the record of them failed: the next agent loads them.
      this.#record.delete(iface.name);
    }
    this.#saveRecord();
  }

  #forgetRecord(name: string): void {
    if (this.#record.delete(name)) this.#saveRecord();
  }

  /**
   * #saveRecord writes the record. A failed write is not an attach failure: the next agent
   * finds an older record whose program ids no longer match, and loads those interfaces.
   */
  #saveRecord(): void {
    if (this.#recordPath === undefined) return;
    try {
      mkdirSync(dirname(this.#recordPath), { recursive: true });
      writeAttachRecord(this.#recordPath, this.#record);
    } catch {
      // see above
    }
  }

  /**
   * attach makes `iface` run the programs of `role` with `constants`; a no-op when nothing
   * changed. `prepared` (from prepare(), same arguments) skips the load; the caller still owns it.
   */
  async attach(
    iface: { readonly name: string; readonly index: number },
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
    prepared?: Collection,
  ): Promise<AttachOutcome> {
    const configKey = this.#configKey(role, constants);
    if (!this.#ifaces.has(iface.name) && prepared === undefined) this.#keep(iface, role, constants);
    const have = this.#ifaces.get(iface.name);
    if (have && have.ifindex === iface.index && have.configKey === configKey)
      return this.#kept.delete(iface.name) ? "kept" : "unchanged";
    const names = PROGRAMS[role];
    const collection = prepared ?? (await this.prepare(iface, role, constants))!;
    const pending = this.#pending.get(iface.name);
    if (pending?.collection !== collection) {
      throw new Error(
        `attach programs to ${iface.name}: the programs were not prepared by this attacher for it`,
      );
    }
    this.#pending.delete(iface.name);
    // A new interface under an old name: the old one's links died with it (its continuation is retired).
    if (have && have.ifindex !== iface.index) this.forget(iface.name);
    const jump = this.#maps.get(SL_MAP.pol_jump);
    let swapped = false;
    try {
      // The continuation goes in before any hook runs programs that tail-call its slot.
      this.#done.place(jump, iface.name, pending.slot, collection.programs.get(POL_DONE)!);
    } catch (e) {
      this.#done.release(pending.slot);
      if (prepared === undefined) collection.close();
      throw e;
    }
    try {
      let outcome: AttachOutcome = have ? "updated" : "attached";
      const live = have?.ifindex === iface.index ? have : undefined;
      const hooks: TcAttachment[] = [];
      let mechanism: AttachedIface["mechanism"] = "tcx";
      for (const dir of DIRECTIONS) {
        const program = collection.programs.get(names[dir])!;
        const existing = live?.hooks[DIRECTIONS.indexOf(dir)];
        if (existing) {
          existing.update(program);
          swapped = true;
          hooks.push(existing);
          mechanism = live.mechanism;
          continue;
        }
        if (this.#useTcx) {
          const adopted = this.#adopt(iface, dir);
          if (adopted) {
            adopted.update(program);
            swapped = true;
            hooks.push(adopted);
            outcome = "adopted";
            continue;
          }
          try {
            hooks.push(this.#attachTcx(program, iface, dir));
            swapped = true;
            continue;
          } catch (e) {
            if (!(e instanceof NotSupportedError) || this.#method === "tcx") {
              for (const h of hooks) if (!have?.hooks.includes(h)) h.close(); // pinned ones stay attached
              throw e;
            }
            this.#useTcx = false; // auto: the kernel has no tcx; every later attach goes straight to cls_bpf
          }
        }
        const f = this.#attachFilter(program, iface, dir, `${SLUICE_FILTER_PREFIX}${names[dir]}`);
        swapped = true;
        hooks.push(f.filter);
        mechanism = "cls_bpf";
        if (f.adopted) outcome = "adopted";
      }
      this.#ifaces.set(iface.name, {
        name: iface.name,
        ifindex: iface.index,
        role,
        mechanism,
        configKey,
        hooks,
        doneSlot: pending.slot,
      });
      this.#recordAttached(iface, role, constants, mechanism, collection, pending.slot);
      // Every other continuation of this interface (the programs just replaced, an earlier agent's) goes at settle().
      this.#done.retireAllBut(jump, iface.name, pending.slot);
      return outcome;
    } catch (e) {
      // A hook that already runs the new programs needs their slot; otherwise it goes at settle().
      if (!swapped) this.#done.retire(jump, iface.name, pending.slot);
      throw e;
    } finally {
      if (prepared === undefined) collection.close(); // the links hold the programs
    }
  }

  #attachTcx(
    program: Program,
    iface: { readonly name: string; readonly index: number },
    dir: TcDirection,
  ): Link {
    const link = attachTcx(program, iface.index, dir);
    try {
      link.pin(this.linkPinPath(iface.name, dir));
    } catch (e) {
      link.close(); // unpinned and closed: the kernel detaches it
      throw e;
    }
    return link;
  }

  /**
   * #attachFilter puts `program` in Sluice's filter slot of one hook. A Sluice filter already
   * there (an earlier agent's: filters outlive it without pins) is replaced in place — one
   * RTM_NEWTFILTER with NLM_F_REPLACE, never delete + add, so no packet meets an empty hook — and
   * reported as adopted. Someone else's filter in the slot is refused rather than overwritten.
   * A tcx link pinned for this hook (the agent ran with tcx before) goes only once the filter is in.
   */
  #attachFilter(
    program: Program,
    iface: { readonly name: string; readonly index: number },
    dir: TcDirection,
    name: string,
  ): { filter: ClsBpfFilter; adopted: boolean } {
    const current = hookFilters(iface.index, dir);
    const inSlot = current.find(
      (f) => f.priority === SLUICE_FILTER_SLOT.priority && f.handle === SLUICE_FILTER_SLOT.handle,
    );
    if (inSlot !== undefined && !isSluiceFilter(inSlot)) {
      throw new Error(
        `attach cls_bpf ${dir} to ${iface.name}: priority ${inSlot.priority} handle ${inSlot.handle} holds another tool's filter "${inSlot.name ?? "?"}"`,
      );
    }
    const filter = attachClsBpf(program, iface.index, dir, { ...SLUICE_FILTER_SLOT, replace: true, name });
    // Sluice filters elsewhere on the hook would run the datapath twice; only the slot's stays.
    for (const f of current) {
      if (f === inSlot || !isSluiceFilter(f)) continue;
      deleteBpfFilter(iface.index, { direction: dir, priority: f.priority, handle: f.handle });
    }
    const pin = this.linkPinPath(iface.name, dir);
    if (pinExists(pin)) {
      const link = Link.openPinned(pin);
      try {
        link.detach();
      } catch {
        // defunct already
      }
      link.unpin();
      link.close();
    }
    return { filter, adopted: inSlot !== undefined };
  }

  // A pinned link is ours to adopt only if it still sits on this very ifindex (names get reused).
  #adopt(iface: { readonly name: string; readonly index: number }, dir: TcDirection): Link | undefined {
    const path = this.linkPinPath(iface.name, dir);
    if (!pinExists(path)) return undefined;
    const link = Link.openPinned(path);
    if (link.info().ifindex === iface.index) return link;
    link.unpin();
    link.close();
    return undefined;
  }

  /** detach removes the programs from `iface` (if it still exists) and drops the pins. */
  detach(name: string): void {
    const have = this.#ifaces.get(name);
    this.#ifaces.delete(name);
    this.#kept.delete(name);
    this.#forgetRecord(name);
    for (const h of have?.hooks ?? []) {
      try {
        h.detach();
      } catch {
        // the interface is gone: the kernel already detached it
      }
      h.close();
    }
    for (const dir of DIRECTIONS) unpin(this.linkPinPath(name, dir));
    this.#releasePending(name);
    this.#done.retireAllBut(this.#maps.get(SL_MAP.pol_jump), name);
  }

  /** forget drops an interface that disappeared: its links died with it; only the pins remain. */
  forget(name: string): void {
    const have = this.#ifaces.get(name);
    this.#ifaces.delete(name);
    this.#kept.delete(name);
    this.#forgetRecord(name);
    for (const h of have?.hooks ?? []) h.close();
    for (const dir of DIRECTIONS) unpin(this.linkPinPath(name, dir));
    this.#releasePending(name);
    this.#done.retireAllBut(this.#maps.get(SL_MAP.pol_jump), name);
  }

  /** pinnedIfaces lists interface names that have link or continuation pins (this run's or an earlier agent's). */
  pinnedIfaces(): string[] {
    const names = new Set<string>(this.#done.pinnedIfaces());
    for (const f of readdirSync(this.#linkDir)) {
      const m = parseLinkPin(f);
      if (m) names.add(m.iface);
    }
    return [...names];
  }

  /** detachPinned detaches an interface known only by its pins (left by an earlier agent). */
  detachPinned(name: string): void {
    if (this.#ifaces.has(name)) return this.detach(name);
    this.#forgetRecord(name);
    for (const dir of DIRECTIONS) {
      const path = this.linkPinPath(name, dir);
      if (!pinExists(path)) continue;
      const link = Link.openPinned(path);
      try {
        link.detach();
      } catch {
        // already defunct (interface deleted)
      }
      link.unpin();
      link.close();
    }
    this.#done.retireAllBut(this.#maps.get(SL_MAP.pol_jump), name);
  }

  /**
   * settle empties the continuation slots that no interface uses any more (replaced by a reload,
   * detached), once the kernel says no program that could tail-call them still runs. Blocks for
   * one RCU grace period when there is anything to empty; call it after a pass of attaches.
   */
  settle(): void {
    this.#done.settle();
  }

  /**
   * detachAllPinned detaches every interface pinned under `pinDir` — what an earlier agent left —
   * without loading anything (the standard-dataplane fallback), then empties and unpins their
   * continuations. Returns the link pin names.
   */
  static detachAllPinned(pinDir: string): string[] {
    const linkDir = `${pinDir}/links`;
    const names: string[] = [];
    for (const f of pinExists(linkDir) ? readdirSync(linkDir) : []) {
      const link = Link.openPinned(`${linkDir}/${f}`);
      try {
        link.detach();
      } catch {
        // already defunct (interface deleted)
      }
      link.unpin();
      link.close();
      names.push(f);
    }
    ContinuationSlots.clearAllPinned(pinDir);
    return names;
  }

  /** close releases fds; pinned links keep the programs attached, pinned continuations their slots. */
  close(): void {
    for (const name of [...this.#pending.keys()]) this.#releasePending(name);
    for (const i of this.#ifaces.values()) for (const h of i.hooks) h.close();
    this.#ifaces.clear();
  }
}
