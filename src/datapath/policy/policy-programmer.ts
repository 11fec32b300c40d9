/**
 * PolicyProgrammer installs endpoint policy programs into sl_pol_jump and switches endpoints to
 * them through sl_pol_endpoints (abi.h "Network policy"): a changed program is compiled for fresh
 * slots, loaded, written to those slots, and only then does the endpoint's entry — one map write —
 * point at it; the old slots are cleared and freed and the old programs closed after that. So a
 * flow meets the old program or the new one, never a mix, and a failure (no free slots, a compile
 * or verifier error) leaves that endpoint on its previous programs.
 *
 * The kernel (or a fake) sits behind PolicyProgramSink; the slot range behind PolicySlots — both
 * parametric so a second prog array (XDP, doNotTrack) can have its own programmer.
 */
import { SL_POL_HEP_ARRIVAL_CHUNKS, SL_POL_MAX_CHUNKS, type SlPolEndpoint } from "../abi/abi.ts";
import { stableJson } from "../../datastore/stable-json.ts";
import { compilePolicy, type CompiledPolicy, type PolicyChunk } from "../../policy/compile-policy.ts";
import type { EndpointPolicy } from "../../policy/rule-ir.ts";
import type { PolicySlots } from "./policy-slots.ts";

/** PolicyHook is a sl_pol_endpoint slot field. */
export type PolicyHook = Exclude<keyof SlPolEndpoint, "flags">;

export const POLICY_HOOKS: readonly PolicyHook[] = [
  "ingressSlot",
  "egressSlot",
  "preDnatSlot",
  "fwdIngressSlot",
  "fwdEgressSlot",
  "untrackedIngressSlot",
  "untrackedEgressSlot",
];

/** LoadedProgram is a verified program the sink can put in a slot. */
export interface LoadedProgram {
  close(): void;
}

/** PolicyProgramSink is where programs and entries go: the kernel's maps, or a test's record. */
export interface PolicyProgramSink {
  /** load verifies one chunk; it throws with the verifier's reason. */
  load(chunk: PolicyChunk): LoadedProgram;
  writeSlot(slot: number, program: LoadedProgram): void;
  clearSlot(slot: number): void;
  writeEndpoint(ifindex: number, entry: SlPolEndpoint): void;
  deleteEndpoint(ifindex: number): void;
}

/** EndpointPolicySpec is what one local endpoint should run: an IR per hook that has policy. */
export interface EndpointPolicySpec {
  readonly ifindex: number;
  /** For errors and dumps: "ns/pod" or the host endpoint's name. */
  readonly name: string;
  readonly flags: number;
  readonly hooks: Partial<Record<PolicyHook, EndpointPolicy>>;
}

/** InstalledHook is one hook's program as it runs now. */
export interface InstalledHook {
  readonly ir: EndpointPolicy;
  readonly fingerprint: string;
  readonly base: number;
  readonly compiled: CompiledPolicy;
  readonly programs: readonly LoadedProgram[];
}

/** InstalledEndpoint is what an endpoint's sl_pol_endpoints entry points at. */
export interface InstalledEndpoint {
  readonly ifindex: number;
  readonly name: string;
  readonly flags: number;
  readonly hooks: ReadonlyMap<PolicyHook, InstalledHook>;
}

/** ApplyOutcome says what one endpoint's apply did. */
export type ApplyOutcome =
  | { readonly kind: "unchanged" }
  | { readonly kind: "applied"; readonly compiledHooks: readonly PolicyHook[] }
  | { readonly kind: "removed" }
  | { readonly kind: "failed"; readonly error: Error };

export type Compile = typeof compilePolicy;

export class PolicyProgrammer {
  readonly #installed = new Map<number, InstalledEndpoint>();
  readonly #errors = new Map<number, Error>();

  constructor(
    readonly sink: PolicyProgramSink,
    readonly slots: PolicySlots,
    readonly compile: Compile = compilePolicy,
  ) {}

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

  /** programsLoaded counts chunks in the kernel (a metric). */
  get programsLoaded(): number {
    let n = 0;
    for (const ep of this.#installed.values()) for (const h of ep.hooks.values()) n += h.programs.length;
    return n;
  }

  /** apply makes one endpoint run spec; an endpoint with no hook is removed. */
  apply(spec: EndpointPolicySpec): ApplyOutcome {
    const hooks = POLICY_HOOKS.filter((h) => spec.hooks[h] !== undefined);
    if (hooks.length === 0) return this.remove(spec.ifindex);
    const old = this.#installed.get(spec.ifindex);
    const next = new Map<PolicyHook, InstalledHook>();
    const fresh: InstalledHook[] = [];
    try {
      for (const hook of hooks) {
        const ir = spec.hooks[hook]!;
        const fingerprint = stableJson(ir);
        const prev = old?.hooks.get(hook);
        if (prev !== undefined && prev.fingerprint === fingerprint) {
          next.set(hook, prev);
          continue;
        }
        const installed = this.#build(spec, hook, ir, fingerprint);
        fresh.push(installed);
        next.set(hook, installed);
      }
      checkArrivalChunks(spec, next);
    } catch (e) {
      for (const h of fresh) this.#discard(h, false);
      const error = e instanceof Error ? e : new Error(String(e));
      this.#errors.set(spec.ifindex, error);
      return { kind: "failed", error };
    }
    this.#errors.delete(spec.ifindex);
    const flagsChanged = old?.flags !== spec.flags;
    if (fresh.length === 0 && !flagsChanged && old?.hooks.size === next.size) return { kind: "unchanged" };
    // New chunks into their slots first, then the one write that switches the endpoint.
    for (const h of fresh) h.compiled.chunks.forEach((c, i) => this.sink.writeSlot(c.slot, h.programs[i]!));
    this.sink.writeEndpoint(spec.ifindex, entryOf(next, spec.flags));
    this.#installed.set(spec.ifindex, {
      ifindex: spec.ifindex,
      name: spec.name,
      flags: spec.flags,
      hooks: next,
    });
    if (old !== undefined) {
      for (const [hook, h] of old.hooks) if (next.get(hook) !== h) this.#discard(h, true);
    }
    return { kind: "applied", compiledHooks: hooks.filter((h) => fresh.includes(next.get(h)!)) };
  }

  /** remove deletes the endpoint's entry, then clears and frees its slots. */
  remove(ifindex: number): ApplyOutcome {
    this.#errors.delete(ifindex);
    const old = this.#installed.get(ifindex);
    if (old === undefined) return { kind: "unchanged" };
    this.sink.deleteEndpoint(ifindex);
    this.#installed.delete(ifindex);
    for (const h of old.hooks.values()) this.#discard(h, true);
    return { kind: "removed" };
  }

  #build(spec: EndpointPolicySpec, hook: PolicyHook, ir: EndpointPolicy, fingerprint: string): InstalledHook {
    const where = `policy for endpoint ${spec.name} (ifindex ${spec.ifindex}) ${hook.replace(/Slot$/, "")}`;
    // Reserve the most a program may need, compile for that base, give back the unused tail; when
    // no such run is free, learn the real count first (a second compile) and ask for exactly that.
    let base = this.slots.allocate(SL_POL_MAX_CHUNKS);
    let reserved = SL_POL_MAX_CHUNKS;
    let compiled: CompiledPolicy;
    try {
      if (base === undefined) {
        const n = this.#compile(where, ir, 0).chunks.length;
        base = this.slots.allocate(n);
        reserved = n;
        if (base === undefined) {
          throw new Error(`${where}: no ${n} free contiguous slots (${this.slots.used} in use)`);
        }
      }
      compiled = this.#compile(where, ir, base);
    } catch (e) {
      if (base !== undefined) this.slots.free(base, reserved);
      throw e;
    }
    const n = compiled.chunks.length;
    if (reserved > n) this.slots.free(base + n, reserved - n);
    const programs: LoadedProgram[] = [];
    try {
      for (const c of compiled.chunks) programs.push(this.sink.load(c));
    } catch (e) {
      for (const p of programs) p.close();
      this.slots.free(base, n);
      throw new Error(`${where}: load failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return { ir, fingerprint, base, compiled, programs };
  }

  #compile(where: string, ir: EndpointPolicy, slotBase: number): CompiledPolicy {
    try {
      return this.compile(ir, { slotBase });
    } catch (e) {
      throw new Error(`${where}: compile failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  /** discard closes a program; when it was in the prog array (written), its slots are cleared first. */
  #discard(h: InstalledHook, written: boolean): void {
    if (written) for (const c of h.compiled.chunks) this.sink.clearSlot(c.slot);
    this.slots.free(h.base, h.compiled.chunks.length);
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
  const n = (hook: PolicyHook) => hooks.get(hook)?.compiled.chunks.length ?? 0;
  const preDnat = n("preDnatSlot");
  const arrival = Math.max(n("ingressSlot"), n("fwdIngressSlot"));
  if (preDnat === 0 || preDnat + arrival <= SL_POL_HEP_ARRIVAL_CHUNKS) return;
  throw new Error(
    `policy for endpoint ${spec.name} (ifindex ${spec.ifindex}): preDNAT needs ${preDnat} chunks and ingress ${arrival}: together at most ${SL_POL_HEP_ARRIVAL_CHUNKS} fit the tail-call limit`,
  );
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
  for (const [hook, h] of hooks) e[hook] = h.base;
  return e;
}
