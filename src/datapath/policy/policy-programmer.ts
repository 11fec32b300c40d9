/**
 * PolicyProgrammer installs endpoint policy programs into sl_pol_jump and switches endpoints to
 * them through sl_pol_endpoints (abi.h "Network policy"): a changed program is compiled for fresh
 * slots, loaded, written to those slots, and only then does the endpoint's entry — one map write —
 * point at it; the old slots are cleared and freed and the old programs closed after that. So a
 * flow meets the old program or the new one, never a mix, and a failure (no free slots, a compile
 * or verifier error) leaves that endpoint on its previous programs.
 *
 * The kernel (or a fake) sits behind PolicyProgramSink; the slot range behind PolicySlots. The
 * untrackedIngress hook (doNotTrack, run in XDP) is compiled for target "xdp" into its own prog
 * array, sl_pol_jump_xdp (options.xdp: its slots and where they are written); its chunk-0 slot
 * goes in the same sl_pol_endpoints entry, so the endpoint still switches with one write.
 *
 * apply() compiles and loads what it needs itself, chunk after chunk. An agent pass first awaits
 * prepare() for all the pass's specs: it compiles them and verifies every chunk concurrently
 * (sink.loadAsync, BPF_PROG_LOAD on libuv workers), so a 10,000-rule policy's chunks do not wait
 * for each other; apply() then takes the prepared programs and only writes. A hook whose chunk
 * failed to load keeps that error for apply(), which leaves the endpoint on its old programs.
 */
import { SL_POL_HEP_ARRIVAL_CHUNKS, SL_POL_MAX_CHUNKS, type SlPolEndpoint } from "../abi/abi.ts";
import { compilePolicy, type CompiledPolicy, type PolicyChunk } from "../../policy/compile-policy.ts";
import type { EndpointPolicy } from "../../policy/rule-ir.ts";
import type { PolicyHook } from "../../policy/rule-ids.ts";
import type { PolicySlots } from "./policy-slots.ts";
import { loadAll } from "./load-all.ts";

/** PolicySlotField is a sl_pol_endpoint field holding a hook's chunk-0 slot. */
export type PolicySlotField = Exclude<keyof SlPolEndpoint, "flags">;

/** POLICY_SLOT_FIELD is where each hook's program goes in the endpoint's sl_pol_endpoints entry. */
export const POLICY_SLOT_FIELD: Readonly<Record<PolicyHook, PolicySlotField>> = {
  ingress: "ingressSlot",
  egress: "egressSlot",
  preDnatIngress: "preDnatSlot",
  forwardIngress: "fwdIngressSlot",
  forwardEgress: "fwdEgressSlot",
  untrackedIngress: "untrackedIngressSlot",
  untrackedEgress: "untrackedEgressSlot",
};

/** POLICY_HOOKS lists every hook, in the order an endpoint's programs are built. */
export const POLICY_HOOKS = Object.keys(POLICY_SLOT_FIELD) as readonly PolicyHook[];

/** LoadedProgram is a verified program the sink can put in a slot. */
export interface LoadedProgram {
  close(): void;
}

/** PolicyProgramSink is where programs and entries go: the kernel's maps, or a test's record. */
export interface PolicyProgramSink {
  /** load verifies one chunk; it throws with the verifier's reason. */
  load(chunk: PolicyChunk): LoadedProgram;
  /** loadAsync is load off the event loop (the kernel's: BPF_PROG_LOAD on a worker thread). */
  loadAsync?(chunk: PolicyChunk): Promise<LoadedProgram>;
  writeSlot(slot: number, program: LoadedProgram): void;
  clearSlot(slot: number): void;
  writeEndpoint(ifindex: number, entry: SlPolEndpoint): void;
  deleteEndpoint(ifindex: number): void;
  /** readEndpoints reads every sl_pol_endpoints entry (what an earlier agent left, for adopt). */
  readEndpoints(): Map<number, SlPolEndpoint>;
  /** occupiedSlots lists the slots in first..last that hold a program. */
  occupiedSlots(first: number, last: number): number[];
}

/** AdoptedEndpoint is an earlier agent's sl_pol_endpoints entry with each hook's slot run. */
export interface AdoptedEndpoint {
  readonly ifindex: number;
  readonly flags: number;
  /** Each hook's run; `empty` when its base slot holds no program (reserved, nothing to clear). */
  readonly hooks: ReadonlyMap<
    PolicyHook,
    { readonly base: number; readonly count: number; readonly empty?: true }
  >;
}

/** EndpointPolicySpec is what one local endpoint should run: an IR per hook that has policy. */
export interface EndpointPolicySpec {
  readonly ifindex: number;
  /** For errors and dumps: "ns/pod" or the host endpoint's name. */
  readonly name: string;
  readonly flags: number;
  readonly hooks: Partial<Record<PolicyHook, EndpointPolicy>>;
}

/**
 * InstalledHook is one hook's program as it runs now. A hook adopted from an earlier agent, or
 * failed closed, has no IR, no compiled chunks and no program objects: only its slot run (`count`
 * slots from `base`; 0 for fail-closed, which points at the never-written fail-closed slot).
 */
export interface InstalledHook {
  readonly fingerprint: string;
  readonly base: number;
  readonly count: number;
  readonly ir?: EndpointPolicy;
  readonly compiled?: CompiledPolicy;
  readonly programs: readonly LoadedProgram[];
  /** Its slots hold no program (an adopted entry that pointed at an empty slot): free, never clear. */
  readonly empty?: true;
}

/** InstalledEndpoint is what an endpoint's sl_pol_endpoints entry points at. */
export interface InstalledEndpoint {
  readonly ifindex: number;
  readonly name: string;
  readonly flags: number;
  readonly hooks: ReadonlyMap<PolicyHook, InstalledHook>;
  /** How it got there: compiled by this agent, left by an earlier one, or failed closed. */
  readonly origin: "compiled" | "adopted" | "failedClosed";
}

/** ApplyOutcome says what one endpoint's apply did. */
export type ApplyOutcome =
  | { readonly kind: "unchanged" }
  | { readonly kind: "applied"; readonly compiledHooks: readonly PolicyHook[] }
  | { readonly kind: "removed" }
  | { readonly kind: "failed"; readonly error: Error };

export type Compile = typeof compilePolicy;

/** ProgArraySlots writes and clears slots of one prog array (a PolicyProgramSink is one). */
export interface ProgArraySlots {
  writeSlot(slot: number, program: LoadedProgram): void;
  clearSlot(slot: number): void;
}

/** XDP_HOOK is the hook whose programs run in XDP, from sl_pol_jump_xdp. */
export const XDP_HOOK: PolicyHook = "untrackedIngress";

/** PolicyProgrammerOptions: the compiler (tests count calls), the fail-closed slot, the XDP array. */
export interface PolicyProgrammerOptions {
  readonly compile?: Compile;
  /** The XDP prog array of untrackedIngress programs; without it such a hook fails to apply. */
  readonly xdp?: { readonly slots: PolicySlots; readonly array: ProgArraySlots };
  /**
   * A sl_pol_jump slot that is never written (outside `slots`): an entry pointing a hook at it
   * drops every new flow there (policy.h: a missing program fails closed). failClosed() uses it.
   */
  readonly failClosedSlot?: number;
  /** Chunks prepare() verifies at once (default 4: libuv's worker pool, shared with file I/O). */
  readonly loadConcurrency?: number;
}

/** PrepareReport says what prepare() did: hooks loaded, hooks that failed, chunks verified. */
export interface PrepareReport {
  readonly hooks: number;
  readonly failed: number;
  readonly chunks: number;
}

/** A hook prepare() built for apply(): its programs (loaded, in no slot yet) or why it failed. */
type PreparedHook =
  | { readonly fingerprint: string; readonly hook: InstalledHook }
  | { readonly fingerprint: string; readonly error: Error };

interface CompiledHook {
  readonly where: string;
  readonly base: number;
  readonly compiled: CompiledPolicy;
}

/** ADOPTED is the fingerprint of a hook an earlier agent installed: it never equals an IR's. */
const ADOPTED = "adopted";
const FAILED_CLOSED = "failed-closed";

export class PolicyProgrammer {
  readonly #installed = new Map<number, InstalledEndpoint>();
  readonly #errors = new Map<number, Error>();
  readonly compile: Compile;
  readonly failClosedSlot: number | undefined;
  readonly #xdp: PolicyProgrammerOptions["xdp"];
  readonly #loadConcurrency: number;
  /** ifindex → hook → what prepare() built; taken by apply(), the rest discarded. */
  readonly #prepared = new Map<number, Map<PolicyHook, PreparedHook>>();
  /** Bumped by discardPrepared()/forget(): a prepare() in flight then drops what it loads. */
  #epoch = 0;
  /** An IR's fingerprint, computed once (prepare and apply see the same IR objects). */
  readonly #fingerprints = new WeakMap<EndpointPolicy, string>();

  constructor(
    readonly sink: PolicyProgramSink,
    readonly slots: PolicySlots,
    options: PolicyProgrammerOptions = {},
  ) {
    this.compile = options.compile ?? compilePolicy;
    this.failClosedSlot = options.failClosedSlot;
    this.#xdp = options.xdp;
    this.#loadConcurrency = options.loadConcurrency ?? 4;
  }

  /** slotsOf is the slot range of a hook's prog array. */
  slotsOf(hook: PolicyHook): PolicySlots {
    if (hook !== XDP_HOOK) return this.slots;
    if (this.#xdp === undefined) throw new Error(`${hook}: no XDP prog array (sl_pol_jump_xdp) given`);
    return this.#xdp.slots;
  }

  #arrayOf(hook: PolicyHook): ProgArraySlots {
    return hook === XDP_HOOK ? this.#xdp!.array : this.sink;
  }

  installed(ifindex: number): InstalledEndpoint | undefined {
    return this.#installed.get(ifindex);
  }

  installedEndpoints(): IterableIterator<InstalledEndpoint> {
    return this.#installed.values();
  }

  /** errors are the endpoints whose last apply failed (for logs and readiness detail). */
  errors(): ReadonlyMap<number, Error> {
    return this.#errors;
  }

  /** programsLoaded counts chunks in the kernel this agent loaded (a metric). */
  get programsLoaded(): number {
    let n = 0;
    for (const ep of this.#installed.values()) for (const h of ep.hooks.values()) n += h.programs.length;
    return n;
  }

  /**
   * adopt takes over what an earlier agent left: each endpoint's slot runs are reserved (so no new
   * program lands on a slot a live entry points at) and recorded with a fingerprint no IR has, so
   * the next apply() compiles fresh programs into free slots, switches the entry with one write
   * and only then clears and frees the old run; remove() deletes an entry no longer wanted. Call
   * it once, before any apply.
   */
  adopt(endpoints: readonly AdoptedEndpoint[]): void {
    for (const ep of endpoints) {
      const hooks = new Map<PolicyHook, InstalledHook>();
      for (const [hook, run] of ep.hooks) {
        const slots = run.count > 0 ? this.slotsOf(hook) : undefined;
        if (slots !== undefined && !slots.reserve(run.base, run.count))
          throw new Error(
            `adopt policy of ifindex ${ep.ifindex}: ${hook} slots ${run.base}..${run.base + run.count - 1} overlap another endpoint's or lie outside ${slots.first}..${slots.last}`,
          );
        hooks.set(hook, {
          fingerprint: ADOPTED,
          base: run.base,
          count: run.count,
          programs: [],
          ...(run.empty ? { empty: true as const } : {}),
        });
      }
      this.#installed.set(ep.ifindex, {
        ifindex: ep.ifindex,
        name: `ifindex ${ep.ifindex}`,
        flags: ep.flags,
        hooks,
        origin: "adopted",
      });
    }
  }

  /** apply makes one endpoint run spec; an endpoint with no hook is removed. */
  apply(spec: EndpointPolicySpec): ApplyOutcome {
    const hooks = POLICY_HOOKS.filter((h) => spec.hooks[h] !== undefined);
    if (hooks.length === 0) return this.remove(spec.ifindex);
    const old = this.#installed.get(spec.ifindex);
    const next = new Map<PolicyHook, InstalledHook>();
    const fresh: Array<[PolicyHook, InstalledHook]> = [];
    try {
      for (const hook of hooks) {
        const ir = spec.hooks[hook]!;
        const fingerprint = this.#fingerprintOf(ir);
        const prev = old?.hooks.get(hook);
        if (prev !== undefined && prev.fingerprint === fingerprint) {
          next.set(hook, prev);
          continue;
        }
        const installed =
          this.#takePrepared(spec.ifindex, hook, fingerprint) ?? this.#build(spec, hook, ir, fingerprint);
        fresh.push([hook, installed]);
        next.set(hook, installed);
      }
      checkArrivalChunks(spec, next);
    } catch (e) {
      for (const [hook, h] of fresh) this.#discard(hook, h, false);
      const error = e instanceof Error ? e : new Error(String(e));
      this.#errors.set(spec.ifindex, error);
      return { kind: "failed", error };
    } finally {
      this.#discardPreparedOf(spec.ifindex);
    }
    this.#errors.delete(spec.ifindex);
    const flagsChanged = old?.flags !== spec.flags;
    if (fresh.length === 0 && !flagsChanged && old?.hooks.size === next.size) return { kind: "unchanged" };
    // New chunks into their slots first, then the one write that switches the endpoint.
    for (const [hook, h] of fresh)
      h.compiled!.chunks.forEach((c, i) => this.#arrayOf(hook).writeSlot(c.slot, h.programs[i]!));
    this.#switch(spec, next, "compiled", old);
    return { kind: "applied", compiledHooks: fresh.map(([hook]) => hook) };
  }

  /**
   * failClosed points every hook of `spec` at the fail-closed slot: for an endpoint whose programs
   * cannot be built and that has none to keep, new flows at its policed hooks are dropped (Calico
   * fails closed too) instead of allowed by the missing entry. An endpoint with programs keeps them.
   */
  failClosed(spec: EndpointPolicySpec): boolean {
    if (this.failClosedSlot === undefined) return false;
    const old = this.#installed.get(spec.ifindex);
    if (old !== undefined && old.origin !== "failedClosed") return false;
    const hooks = POLICY_HOOKS.filter((h) => spec.hooks[h] !== undefined);
    if (hooks.length === 0) return false;
    const next = new Map<PolicyHook, InstalledHook>(
      hooks.map((h) => [
        h,
        old?.hooks.get(h) ?? {
          fingerprint: FAILED_CLOSED,
          base: this.failClosedSlot!,
          count: 0,
          programs: [],
        },
      ]),
    );
    if (old !== undefined && old.flags === spec.flags && old.hooks.size === next.size) return true;
    this.#switch(spec, next, "failedClosed", old);
    return true;
  }

  /** remove deletes the endpoint's entry, then clears and frees its slots. */
  remove(ifindex: number): ApplyOutcome {
    this.#discardPreparedOf(ifindex);
    this.#errors.delete(ifindex);
    const old = this.#installed.get(ifindex);
    if (old === undefined) return { kind: "unchanged" };
    this.sink.deleteEndpoint(ifindex);
    this.#installed.delete(ifindex);
    for (const [hook, h] of old.hooks) this.#discard(hook, h, true);
    return { kind: "removed" };
  }

  /** forget closes this agent's program fds and drops its state, leaving the kernel's entries and slots as they are (a new programmer adopts them). */
  forget(): void {
    this.discardPrepared();
    for (const ep of this.#installed.values())
      for (const h of ep.hooks.values()) for (const p of h.programs) p.close();
    this.#installed.clear();
    this.#errors.clear();
  }

  #switch(
    spec: EndpointPolicySpec,
    next: Map<PolicyHook, InstalledHook>,
    origin: InstalledEndpoint["origin"],
    old: InstalledEndpoint | undefined,
  ): void {
    this.sink.writeEndpoint(spec.ifindex, entryOf(next, spec.flags));
    this.#installed.set(spec.ifindex, {
      ifindex: spec.ifindex,
      name: spec.name,
      flags: spec.flags,
      hooks: next,
      origin,
    });
    if (old !== undefined) {
      for (const [hook, h] of old.hooks) if (next.get(hook) !== h) this.#discard(hook, h, true);
    }
  }

  /**
   * prepare compiles every hook of `specs` that apply() would build and verifies all their chunks
   * concurrently (sink.loadAsync; a sink without it loads one by one), holding the programs,
   * in fresh slots not yet written, for apply(). A hook that fails to compile or load keeps its
   * error for apply() (the endpoint stays on its old programs); one that finds no free slots is
   * left to apply(), which runs after earlier endpoints' switches freed theirs. Whatever apply()
   * does not take is discarded by the next prepare() or discardPrepared(). One at a time.
   */
  async prepare(specs: readonly EndpointPolicySpec[]): Promise<PrepareReport> {
    this.#dropPrepared();
    const epoch = this.#epoch;
    const jobs: Array<
      { ifindex: number; hook: PolicyHook; fingerprint: string; ir: EndpointPolicy } & CompiledHook
    > = [];
    let failed = 0;
    for (const spec of specs) {
      const old = this.#installed.get(spec.ifindex);
      for (const hook of POLICY_HOOKS) {
        const ir = spec.hooks[hook];
        if (ir === undefined || this.#prepared.get(spec.ifindex)?.has(hook)) continue;
        const fingerprint = this.#fingerprintOf(ir);
        if (old?.hooks.get(hook)?.fingerprint === fingerprint) continue;
        try {
          const c = this.#compileInto(spec, hook, ir, true);
          if (c !== undefined) jobs.push({ ifindex: spec.ifindex, hook, fingerprint, ir, ...c });
        } catch (e) {
          failed++;
          this.#setPrepared(spec.ifindex, hook, { fingerprint, error: asError(e) });
        }
      }
    }
    const chunks = jobs.flatMap((j) => j.compiled.chunks);
    const sink = this.sink;
    const load = sink.loadAsync?.bind(sink) ?? ((c: PolicyChunk) => Promise.resolve(sink.load(c)));
    const results = await loadAll(chunks, load, this.#loadConcurrency);
    let at = 0;
    for (const j of jobs) {
      const n = j.compiled.chunks.length;
      const mine = results.slice(at, (at += n));
      const programs = mine.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const rejected = mine.find((r) => r.status === "rejected");
      if (rejected !== undefined || epoch !== this.#epoch) {
        for (const p of programs) p.close();
        this.slotsOf(j.hook).free(j.base, n);
        if (rejected === undefined) continue; // discarded while loading
        failed++;
        this.#setPrepared(j.ifindex, j.hook, {
          fingerprint: j.fingerprint,
          error: loadError(j.where, rejected.reason),
        });
        continue;
      }
      this.#setPrepared(j.ifindex, j.hook, {
        fingerprint: j.fingerprint,
        hook: {
          ir: j.ir,
          fingerprint: j.fingerprint,
          base: j.base,
          count: n,
          compiled: j.compiled,
          programs,
        },
      });
    }
    return { hooks: jobs.length, failed, chunks: chunks.length };
  }

  /** discardPrepared closes what prepare() built and apply() did not take, and frees its slots. */
  discardPrepared(): void {
    this.#epoch++;
    this.#dropPrepared();
  }

  #dropPrepared(): void {
    for (const ifindex of [...this.#prepared.keys()]) this.#discardPreparedOf(ifindex);
  }

  #setPrepared(ifindex: number, hook: PolicyHook, p: PreparedHook): void {
    let m = this.#prepared.get(ifindex);
    if (m === undefined) this.#prepared.set(ifindex, (m = new Map()));
    m.set(hook, p);
  }

  // A prepared hook for this IR: its programs, or its error thrown (apply() then keeps the old).
  #takePrepared(ifindex: number, hook: PolicyHook, fingerprint: string): InstalledHook | undefined {
    const p = this.#prepared.get(ifindex)?.get(hook);
    if (p === undefined || p.fingerprint !== fingerprint) return undefined;
    this.#prepared.get(ifindex)!.delete(hook);
    if ("error" in p) throw p.error;
    return p.hook;
  }

  #discardPreparedOf(ifindex: number): void {
    const m = this.#prepared.get(ifindex);
    if (m === undefined) return;
    this.#prepared.delete(ifindex);
    for (const [hook, p] of m) if ("hook" in p) this.#discard(hook, p.hook, false);
  }

  // Plain JSON, not key-sorted (stableJson cost ~100 ms on a 10,000-rule IR): endpointPolicyIr
  // builds every IR in one fixed key order, and an IR spelled in another order only costs a
  // recompile, never a wrongly kept program (equal strings are equal IRs).
  #fingerprintOf(ir: EndpointPolicy): string {
    let f = this.#fingerprints.get(ir);
    if (f === undefined) this.#fingerprints.set(ir, (f = JSON.stringify(ir)));
    return f;
  }

  #build(spec: EndpointPolicySpec, hook: PolicyHook, ir: EndpointPolicy, fingerprint: string): InstalledHook {
    const { where, base, compiled } = this.#compileInto(spec, hook, ir, false)!;
    const n = compiled.chunks.length;
    const programs: LoadedProgram[] = [];
    try {
      for (const c of compiled.chunks) programs.push(this.sink.load(c));
    } catch (e) {
      for (const p of programs) p.close();
      this.slotsOf(hook).free(base, n);
      throw loadError(where, e);
    }
    return { ir, fingerprint, base, count: n, compiled, programs };
  }

  // Compiles for a fresh slot run (reserved; undefined when none is free and `defer`).
  #compileInto(
    spec: EndpointPolicySpec,
    hook: PolicyHook,
    ir: EndpointPolicy,
    defer: boolean,
  ): CompiledHook | undefined {
    const where = `policy for endpoint ${spec.name} (ifindex ${spec.ifindex}) ${hook}`;
    // Reserve the most a program may need, compile for that base, give back the unused tail; when
    // no such run is free, learn the real count first (a second compile) and ask for exactly that.
    const slots = this.slotsOf(hook);
    let base = slots.allocate(SL_POL_MAX_CHUNKS);
    let reserved = SL_POL_MAX_CHUNKS;
    let compiled: CompiledPolicy;
    try {
      if (base === undefined) {
        if (defer) return undefined;
        const n = this.#compile(where, hook, ir, 0).chunks.length;
        base = slots.allocate(n);
        reserved = n;
        if (base === undefined) {
          throw new Error(`${where}: no ${n} free contiguous slots (${slots.used} in use)`);
        }
      }
      compiled = this.#compile(where, hook, ir, base);
    } catch (e) {
      if (base !== undefined) slots.free(base, reserved);
      throw e;
    }
    const n = compiled.chunks.length;
    if (reserved > n) slots.free(base + n, reserved - n);
    return { where, base, compiled };
  }

  #compile(where: string, hook: PolicyHook, ir: EndpointPolicy, slotBase: number): CompiledPolicy {
    try {
      return this.compile(ir, { slotBase, ...(hook === XDP_HOOK ? { target: "xdp" as const } : {}) });
    } catch (e) {
      throw new Error(`${where}: compile failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  /** discard closes a program; when it was in the prog array (written), its slots are cleared first. */
  #discard(hook: PolicyHook, h: InstalledHook, written: boolean): void {
    if (h.count === 0) return; // fail-closed: the slot is not ours and was never written
    if (written && !h.empty) for (let i = 0; i < h.count; i++) this.#arrayOf(hook).clearSlot(h.base + i);
    this.slotsOf(hook).free(h.base, h.count);
    for (const p of h.programs) p.close();
  }
}

/**
 * checkArrivalChunks refuses a host endpoint whose preDNAT program and its larger of ingress /
 * forward ingress need more than SL_POL_HEP_ARRIVAL_CHUNKS chunks together: a new flow from the
 * wire to a local pod runs both and then the pod's ingress, and past the kernel's 33 tail calls
 * the last of them would fail (abi.h).
 */
function checkArrivalChunks(spec: EndpointPolicySpec, hooks: ReadonlyMap<PolicyHook, InstalledHook>): void {
  const n = (hook: PolicyHook) => hooks.get(hook)?.count ?? 0;
  const preDnat = n("preDnatIngress");
  const arrival = Math.max(n("ingress"), n("forwardIngress"));
  if (preDnat === 0 || preDnat + arrival <= SL_POL_HEP_ARRIVAL_CHUNKS) return;
  throw new Error(
    `policy for endpoint ${spec.name} (ifindex ${spec.ifindex}): preDNAT needs ${preDnat} chunks and ingress ${arrival}: together at most ${SL_POL_HEP_ARRIVAL_CHUNKS} fit the tail-call limit`,
  );
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function loadError(where: string, e: unknown): Error {
  return new Error(`${where}: load failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function entryOf(hooks: ReadonlyMap<PolicyHook, InstalledHook>, flags: number): SlPolEndpoint {
  const e: SlPolEndpoint = {
    ingressSlot: 0,
    egressSlot: 0,
    preDnatSlot: 0,
    fwdIngressSlot: 0,
    fwdEgressSlot: 0,
    untrackedIngressSlot: 0,
    untrackedEgressSlot: 0,
    flags,
  };
  for (const [hook, h] of hooks) e[POLICY_SLOT_FIELD[hook]] = h.base;
  return e;
}
