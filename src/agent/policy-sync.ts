/**
 * PolicySync turns the cluster's network policy into this node's policy programs, once per eBPF
 * pass (after routes and the attach pass: it needs the wired veths). The PolicyResourceFeed hands
 * the PolicyCalculator only what changed; planPolicyPass picks the endpoints to rebuild and the
 * IP-set changes; this file writes them, in the order that keeps every new flow judged by a
 * complete program:
 *   1. sl_ipsets members added (a program about to switch may need them);
 *   2. each rebuilt endpoint's programs into fresh sl_pol_jump slots, then its sl_pol_endpoints
 *      entry (one write), then its old slots cleared (PolicyProgrammer);
 *   3. entries of interfaces no longer policed deleted, their slots freed;
 *   4. sl_ipsets members removed (no program uses them any more).
 * A pod that joins a set by a label change is step 1 alone: one map write, no compile.
 * The agent runs syncAsync: step 1, then every chunk of step 2 compiled and verified at once
 * (PolicyProgrammer.prepare, BPF_PROG_LOAD on worker threads), then steps 2–4 as written here;
 * sync() is the same pass loading chunk by chunk. A Pod, Namespace or NetworkSet change also runs
 * a pass at once (DataplaneSync.syncPolicyChanges, the agent's fast path); syncAsync passes run
 * one at a time.
 *
 * A restarted agent adopts: the first pass reserves the slots the previous agent's entries point
 * at, compiles every local endpoint afresh into free slots, switches each entry with one write
 * (never deleted in between), frees the old slots, deletes entries of interfaces no longer
 * policed, and reconciles sl_ipsets against the calculator (stale members out, nothing already
 * right rewritten).
 *
 * Failures: an endpoint whose IR or program cannot be built (compile, verifier, no free slots) is
 * logged once with the endpoint and its policies, and keeps its previous programs; one that had
 * none fails closed (its hooks point at a never-written slot: new flows are dropped, as Calico
 * does) rather than fail open. Other endpoints proceed.
 */
import { SL_POL_JUMP_MAX_ENTRIES, SL_POL_SLOT_FIRST } from "../datapath/abi/abi.ts";
import { PolicyCalculator } from "../calc/policy/policy-calculator.ts";
import { PolicyResourceFeed, type PolicyResourceSource } from "../calc/policy/policy-resource-feed.ts";
import { IpSetMap, ipSetEntryId, isIpv4Entry, type IpSetEntry } from "../datapath/maps/ipset-map.ts";
import type { RawMap } from "../datapath/maps/raw-map.ts";
import { planPolicyAdoption } from "../datapath/policy/plan-policy-adoption.ts";
import {
  PolicyProgrammer,
  type Compile,
  type EndpointPolicySpec,
  type InstalledEndpoint,
  type PolicyProgramSink,
  type ProgArraySlots,
  XDP_HOOK,
} from "../datapath/policy/policy-programmer.ts";
import { PolicySlots } from "../datapath/policy/policy-slots.ts";
import type { HostIface } from "../host/host-endpoint-ifaces.ts";
import type { HostEndpoint } from "../model/host-endpoint.ts";
import { RuleIdAllocator, type RuleInfo } from "../policy/rule-ids.ts";
import type { AgentLogger } from "./agent-logger.ts";
import type { AgentMetrics } from "./agent-metrics.ts";
import { localPolicyEndpoints, type LocalPolicyEndpoint } from "./local-policy-endpoints.ts";
import {
  endpointSpec,
  planPolicyPass,
  ruleIdsOf,
  type PlannedEndpoint,
  type PolicyPassPlan,
} from "./plan-policy-pass.ts";
import type { PolicyRecord, PolicyRecordStore } from "./policy-record.ts";

/** FAIL_CLOSED_SLOT is never written: an entry pointing a hook there drops that hook's new flows. */
export const FAIL_CLOSED_SLOT = SL_POL_JUMP_MAX_ENTRIES - 1;

/** PolicySyncDeps are the maps (through the sink and the raw sl_ipsets) and the agent's plumbing. */
export interface PolicySyncDeps {
  readonly sink: PolicyProgramSink;
  readonly ipsets: RawMap;
  readonly log: AgentLogger;
  readonly metrics: AgentMetrics;
  readonly compile?: Compile;
  /** zeroHits resets a rule id's sl_pol_hits counter before a program first counts into it. */
  readonly zeroHits?: (ruleId: number) => void;
  readonly record?: PolicyRecordStore;
  /**
   * sl_pol_jump_xdp, where doNotTrack ingress (untrackedIngress) programs go: XDP runs them
   * (the agent attaches xdp_hep to each interface that has one). Without it such policy is
   * reported, not programmed.
   */
  readonly xdp?: ProgArraySlots & { occupiedSlots(first: number, last: number): number[] };
}

/** PolicySyncInput is this node's view for one pass. */
export interface PolicySyncInput {
  readonly cache: PolicyResourceSource & { list(kind: "HostEndpoint"): readonly HostEndpoint[] };
  readonly nodeName: string;
  readonly workloads: readonly { readonly pod: string; readonly iface: string; readonly ifindex: number }[];
  /** The host interfaces the datapath attaches (host endpoints can be only these). */
  readonly hostIfaces: readonly HostIface[];
  /** The interface holding a local address (for HostEndpoints matched by expectedIPs). */
  readonly addressOwner?: (ip: string) => number | undefined;
}

/** PolicySyncReport says what one pass did. */
export interface PolicySyncReport {
  readonly policed: number;
  readonly applied: number;
  readonly removed: number;
  readonly failed: number;
  readonly ipSetsAdded: number;
  readonly ipSetsRemoved: number;
}

/** PolicySyncFactory builds a PolicySync over one set of maps (the agent makes one per opening). */
export type PolicySyncFactory<M> = (maps: M, log: AgentLogger, metrics: AgentMetrics) => PolicySync;

/** PlannedPass is one pass between its plan and its writes (syncAsync loads programs in between). */
interface PlannedPass {
  readonly full: boolean;
  readonly plan: PolicyPassPlan;
  /** Endpoints to apply: the plan's and failed ones retried, doNotTrack ingress dropped without XDP. */
  readonly endpoints: readonly PlannedEndpoint[];
  readonly local: ReadonlyMap<number, LocalPolicyEndpoint>;
}

export class PolicySync {
  readonly calc = new PolicyCalculator();
  readonly ids = new RuleIdAllocator();
  readonly programmer: PolicyProgrammer;
  readonly #d: PolicySyncDeps;
  readonly #feed: PolicyResourceFeed;
  readonly #ipsets: IpSetMap;
  #local = new Map<number, LocalPolicyEndpoint>();
  #first = true;
  #ipSetEntries = 0;
  /** Endpoints whose last apply failed: retried when another endpoint frees slots. */
  readonly #failed = new Set<number>();
  /** Messages already logged (each failure is logged once). */
  readonly #logged = new Set<string>();
  /** Rule ids whose hit counters this agent has reset. */
  readonly #counted = new Set<number>();
  /** The last syncAsync queued: passes run one at a time (the agent's pass and its fast path). */
  #tail: Promise<unknown> = Promise.resolve();
  /** syncAsync passes queued or running. */
  #pending = 0;
  #closed = false;

  constructor(deps: PolicySyncDeps) {
    this.#d = deps;
    this.#feed = new PolicyResourceFeed(this.calc);
    this.#ipsets = new IpSetMap(deps.ipsets);
    this.programmer = new PolicyProgrammer(
      deps.sink,
      new PolicySlots(SL_POL_SLOT_FIRST, FAIL_CLOSED_SLOT - 1),
      {
        ...(deps.compile ? { compile: deps.compile } : {}),
        failClosedSlot: FAIL_CLOSED_SLOT,
        // The XDP array mirrors sl_pol_jump's layout: the same slot range, the same fail-closed slot.
        ...(deps.xdp
          ? { xdp: { slots: new PolicySlots(SL_POL_SLOT_FIRST, FAIL_CLOSED_SLOT - 1), array: deps.xdp } }
          : {}),
      },
    );
  }

  /**
   * learnDomainNames writes what DNS answered (name → its live addresses; none once expired) into
   * sl_ipsets at once: the caller releases the held answer only after this returns, so the pod's
   * first connection finds its address. Members in before members out, as in a pass.
   */
  learnDomainNames(names: ReadonlyMap<string, readonly string[]>): { added: number; removed: number } {
    const deltas = [...names].map(([name, addresses]) => this.calc.learnDomainName(name, addresses).ipSets);
    const added = deltas.flatMap((d) => d.added).filter(isIpv4Entry);
    const removed = deltas.flatMap((d) => d.removed).filter(isIpv4Entry);
    for (const e of added) this.#ipsets.add(e);
    let gone = 0;
    for (const e of removed) if (this.#ipsets.delete(e)) gone++;
    this.#ipSetEntries += added.length - gone;
    this.#d.metrics.ipSetEntries.set(this.#ipSetEntries);
    return { added: added.length, removed: gone };
  }

  /** sync runs one pass, each endpoint's chunks loaded one after another (tests, tools). */
  sync(input: PolicySyncInput): PolicySyncReport {
    if (this.#pending > 0) throw new Error("policy sync: a pass (syncAsync) is running");
    const pass = this.#plan(input);
    return this.#write(pass, this.#addMembers(pass));
  }

  /**
   * syncAsync is the agent's pass: the same plan and writes as sync(), but every chunk the pass
   * needs is compiled and verified first, concurrently (PolicyProgrammer.prepare: BPF_PROG_LOAD on
   * worker threads), so a big policy's chunks load side by side; the writes that follow are
   * synchronous and in sync()'s order. Only new IP-set members go in before the loads (step 1: a
   * label change does not wait for a compile); no slot or entry is written until they settle, and a
   * hook whose chunk failed leaves its endpoint on its old programs, with the error naming it.
   */
  syncAsync(input: PolicySyncInput): Promise<PolicySyncReport> {
    this.#pending++;
    const run = this.#tail.then(() => this.#syncAsync(input)).finally(() => this.#pending--);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #syncAsync(input: PolicySyncInput): Promise<PolicySyncReport> {
    if (this.#closed) throw new Error("policy sync: closed");
    try {
      const pass = this.#plan(input);
      const added = this.#addMembers(pass);
      const specs = pass.endpoints.flatMap((p) => (p.kind === "spec" ? [p.spec] : []));
      if (specs.length > 0) await this.programmer.prepare(specs);
      if (this.#closed) throw new Error("policy sync: closed while its programs loaded");
      return this.#write(pass, added);
    } finally {
      this.programmer.discardPrepared();
    }
  }

  #plan(input: PolicySyncInput): PlannedPass {
    const full = this.#first;
    if (this.#first) this.#adopt();
    const fed = this.#feed.pass(input.cache);
    for (const e of fed.errors) this.#logOnce("warn", { op: "policy" }, `policy input skipped: ${e}`);
    const local = localPolicyEndpoints({
      nodeName: input.nodeName,
      workloads: input.workloads,
      hostEndpoints: input.cache.list("HostEndpoint"),
      hostIfaces: withAddresses(input),
    });
    for (const c of local.conflicts) this.#logOnce("warn", { op: "policy" }, c);
    const plan = planPolicyPass({
      calc: this.calc,
      ids: this.ids,
      delta: fed.delta,
      full,
      local: local.byIfindex,
      previous: this.#local,
      installed: [...this.programmer.installedEndpoints()].map((e) => e.ifindex),
    });
    // A failed endpoint is retried when others change (their old slots may have been freed).
    const planned = new Set(plan.apply.map((p) => p.spec.ifindex));
    const busy = plan.apply.length + plan.remove.length > 0;
    const retry = busy
      ? [...this.#failed]
          .filter((i) => !planned.has(i) && local.byIfindex.has(i))
          .map((i) => endpointSpec(this.calc, this.ids, local.byIfindex.get(i)!))
      : [];
    const endpoints = [...plan.apply, ...retry].map((p) => (this.#d.xdp ? p : this.#withoutXdp(p)));
    return { full, plan, endpoints, local: local.byIfindex };
  }

  // 1. members in; on a full pass, returns the members to take out at step 4 too.
  #addMembers(pass: PlannedPass): { added: number; stale: readonly IpSetEntry[] } {
    const { plan } = pass;
    let added = 0;
    let stale: IpSetEntry[] = [];
    if (plan.ipSets.kind === "full") {
      const want = new Map(plan.ipSets.desired.map((e) => [ipSetEntryId(e), e]));
      const have = new Map([...this.#ipsets.entries()].map((e) => [ipSetEntryId(e), e]));
      const missing = [...want].filter(([id]) => !have.has(id)).map(([, e]) => e);
      for (const e of missing) this.#ipsets.add(e);
      added = missing.length;
      stale = [...have].filter(([id]) => !want.has(id)).map(([, e]) => e);
      this.#ipSetEntries = want.size;
    } else {
      for (const e of plan.ipSets.added) this.#ipsets.add(e);
      added = plan.ipSets.added.length;
      this.#ipSetEntries += plan.ipSets.added.length - plan.ipSets.removed.length;
    }
    return { added, stale };
  }

  #write(pass: PlannedPass, members: { added: number; stale: readonly IpSetEntry[] }): PolicySyncReport {
    const { full, plan } = pass;
    const { added, stale } = members;
    // 2. programs switched
    let applied = 0;
    let failed = 0;
    for (const p of pass.endpoints) {
      const outcome = this.#applyOne(p);
      if (outcome === "applied") applied++;
      if (outcome === "failed") failed++;
    }
    // 3. entries of interfaces no longer policed
    let removed = 0;
    for (const ifindex of plan.remove) {
      this.#failed.delete(ifindex);
      if (this.programmer.remove(ifindex).kind === "removed") removed++;
      this.#d.record?.remove(ifindex);
    }
    // 4. members out
    const out = plan.ipSets.kind === "full" ? stale : plan.ipSets.removed;
    let ipSetsRemoved = 0;
    for (const e of out) if (this.#ipsets.delete(e)) ipSetsRemoved++;

    if (full && this.#d.record) {
      const now = new Set([...this.programmer.installedEndpoints()].map((e) => e.ifindex));
      for (const i of this.#d.record.ifindexes()) if (!now.has(i)) this.#d.record.remove(i);
    }
    for (const id of this.#counted) if (this.ids.info(id) === undefined) this.#counted.delete(id);
    this.#local = new Map(pass.local);
    this.#first = false;
    const policed = [...this.programmer.installedEndpoints()].length;
    const m = this.#d.metrics;
    m.policyEndpoints.set(policed);
    m.policyPrograms.set(this.programmer.programsLoaded);
    m.ipSetEntries.set(this.#ipSetEntries);
    if (applied + removed + added + ipSetsRemoved > 0)
      this.#d.log.info(
        { op: "policy", applied, removed, failed, ipSetsAdded: added, ipSetsRemoved },
        `policy: ${applied} endpoint(s) switched, ${removed} removed, ${added}/${ipSetsRemoved} ip set member(s) added/removed`,
      );
    return { policed, applied, removed, failed, ipSetsAdded: added, ipSetsRemoved };
  }

  /** close lets go of this agent's program fds; entries and slots stay for the next PolicySync to adopt. */
  close(): void {
    this.#closed = true;
    this.programmer.forget();
  }

  #adopt(): void {
    const { sink, log } = this.#d;
    const slots = this.programmer.slots;
    const xdp = this.#d.xdp;
    const plan = planPolicyAdoption(
      sink.readEndpoints(),
      sink.occupiedSlots(slots.first, slots.last),
      slots,
      xdp?.occupiedSlots(slots.first, slots.last),
    );
    this.programmer.adopt(plan.endpoints);
    for (const s of plan.orphans) sink.clearSlot(s);
    for (const s of plan.xdpOrphans) xdp?.clearSlot(s);
    const orphans = plan.orphans.length + plan.xdpOrphans.length;
    if (plan.endpoints.length + orphans > 0)
      log.info(
        { op: "adopt", map: "sl_pol_endpoints" },
        `adopted ${plan.endpoints.length} policed endpoint(s) from the previous agent; cleared ${plan.orphans.length} orphan sl_pol_jump and ${plan.xdpOrphans.length} sl_pol_jump_xdp slot(s)`,
      );
  }

  #applyOne(p: PlannedEndpoint): "applied" | "unchanged" | "removed" | "failed" {
    const { spec } = p;
    const error = p.kind === "error" ? p.error : undefined;
    if (error === undefined) {
      this.#resetNewRuleCounters(spec);
      const outcome = this.programmer.apply(spec);
      if (outcome.kind !== "failed") {
        this.#failed.delete(spec.ifindex);
        const ep = this.programmer.installed(spec.ifindex);
        if (outcome.kind === "applied" && ep) this.#d.record?.write(this.#recordOf(p.key, ep));
        if (outcome.kind === "removed") this.#d.record?.remove(spec.ifindex);
        return outcome.kind;
      }
      return this.#failure(p, outcome.error);
    }
    return this.#failure(p, error);
  }

  // No XDP prog array: doNotTrack ingress cannot run, so it is reported and left out (the rest of
  // the endpoint's policy still applies).
  #withoutXdp(p: PlannedEndpoint): PlannedEndpoint {
    if (p.spec.hooks[XDP_HOOK] === undefined) return p;
    this.#logOnce(
      "warn",
      { op: "policy", iface: p.spec.name },
      `policy for endpoint ${p.spec.name}: doNotTrack ingress not programmed (no XDP prog array sl_pol_jump_xdp)`,
    );
    const hooks = { ...p.spec.hooks };
    delete hooks[XDP_HOOK];
    return { ...p, spec: { ...p.spec, hooks } };
  }

  #failure(p: PlannedEndpoint, error: Error): "failed" {
    const { spec } = p;
    this.#failed.add(spec.ifindex);
    const before = this.programmer.installed(spec.ifindex);
    const keeps = before !== undefined && before.origin !== "failedClosed";
    const closed = !keeps && this.programmer.failClosed(spec);
    if (closed) {
      const ep = this.programmer.installed(spec.ifindex);
      if (ep) this.#d.record?.write(this.#recordOf(p.key, ep));
    }
    const outcome = keeps ? "kept-previous" : closed ? "failed-closed" : "no-policy";
    this.#d.metrics.policyApplyFailures.inc({ outcome });
    const policies = this.#policyNames(p.key);
    const what = keeps
      ? "it keeps its previous programs"
      : closed
        ? "it fails closed (new flows dropped)"
        : "it has no policy hook";
    this.#logOnce(
      "error",
      { op: "policy", iface: spec.name, policies },
      `${error.message}; policies ${policies.join(", ") || "(none)"}; ${what}`,
    );
    return "failed";
  }

  #resetNewRuleCounters(spec: EndpointPolicySpec): void {
    if (this.#d.zeroHits === undefined) return;
    for (const ir of Object.values(spec.hooks)) {
      for (const id of ruleIdsOf(ir)) {
        if (this.#counted.has(id)) continue;
        this.#d.zeroHits(id);
        this.#counted.add(id);
      }
    }
  }

  #policyNames(key: string): string[] {
    const lists = this.calc.policiesFor(key);
    if (lists === undefined) return [];
    const names = new Set<string>();
    for (const tiers of Object.values(lists))
      for (const t of tiers)
        for (const p of t.policies)
          names.add(p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`);
    return [...names].sort();
  }

  #recordOf(key: string, ep: InstalledEndpoint): PolicyRecord {
    const rules: Record<string, RuleInfo> = {};
    const hooks = [...ep.hooks].map(([hook, h]) => {
      const ir = h.ir;
      if (ir !== undefined) {
        for (const id of ruleIdsOf(ir)) {
          const info = this.ids.info(id);
          if (info !== undefined) rules[String(id)] = info;
        }
      }
      return { hook, slot: h.base, chunks: h.count, ...(ir !== undefined ? { ir } : {}) };
    });
    return { ifindex: ep.ifindex, name: ep.name, key, flags: ep.flags, origin: ep.origin, hooks, rules };
  }

  #logOnce(level: "warn" | "error", fields: Record<string, unknown>, message: string): void {
    if (this.#logged.has(message)) return;
    if (this.#logged.size > 10_000) this.#logged.clear();
    this.#logged.add(message);
    this.#d.log[level](fields, message);
  }
}

function withAddresses(input: PolicySyncInput): HostIface[] {
  const owner = input.addressOwner;
  if (owner === undefined) return [...input.hostIfaces];
  const addrs = new Map<number, string[]>();
  for (const hep of input.cache.list("HostEndpoint")) {
    if (hep.spec.node !== input.nodeName || hep.spec.interfaceName !== undefined) continue;
    for (const ip of hep.spec.expectedIPs ?? []) {
      const i = owner(ip);
      if (i !== undefined) addrs.set(i, [...(addrs.get(i) ?? []), ip]);
    }
  }
  return input.hostIfaces.map((i) => ({
    ...i,
    addresses: [...(i.addresses ?? []), ...(addrs.get(i.index) ?? [])],
  }));
}
