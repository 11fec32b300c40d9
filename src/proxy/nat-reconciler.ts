/**
 * NatReconciler keeps sl_nat_fe / sl_nat_be / sl_nat_src equal to what the Services and
 * EndpointSlices ask for, writing only the difference. At the first sync it reads the maps (adopting what an
 * earlier agent pinned, service ids included), so a restart with unchanged input writes nothing.
 * After removing backends it deletes the affinity entries that would pin clients to them, then
 * the conntrack entries of flows NATed to them, so those clients fail fast instead of hanging.
 *
 * A sync after a successful one is incremental: a NatCache spares the Services that did not
 * change, and only the changed, added and removed Services are diffed (planServiceDelta), so one
 * endpoint change costs about one Service, not the cluster. The first sync, and the one after a
 * failed write, diff everything against the maps.
 *
 * syncServices is the agent's fast path for one changed Service or EndpointSlice: it reads only
 * the named Services (through a lookup, not the whole cluster), recomputes and rewrites their
 * entries, and declines (the caller runs sync()) whenever other Services could be involved.
 *
 * Not safe for concurrent sync() calls: the agent serialises syncs.
 */
import {
  NatCache,
  ServiceIdAllocator,
  ServingIndex,
  admitServices,
  computeServiceNat,
  computeServiceNats,
  groupSlices,
  frontendBackends,
  frontendKeyId,
  natStateOf,
  selectConntrackCleanup,
  conntrackEndpointsOf,
  selectStaleAffinity,
  sourceRangeKeyId,
} from "../calc/index.ts";
import type {
  CtEntryView,
  NatCacheEntry,
  NatCapacity,
  NotProgrammed,
  RemovedBackend,
  ServingEndpointId,
  HealthCheckService,
  NatBackendEntry,
  NatBackendKey,
  NatBackendValue,
  NatFrontendEntry,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeKey,
  NatInput,
  NatProblem,
  NatSourceRangeEntry,
  NatState,
  ServiceIdSource,
  ServiceNat,
} from "../calc/index.ts";
import { addOne, listOf, removeOne, type OneOrMore } from "../model/one-or-more.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { applyDelta } from "../datapath/maps/map-delta.ts";
import type { DeltaCounts, DeltaStore } from "../datapath/maps/map-delta.ts";
import { natDeltas } from "./nat-deltas.ts";
import type { NatDelta } from "./nat-deltas.ts";
import type { NatMapBackend } from "./nat-map-backend.ts";
import { planNatUpdate } from "./plan-nat-update.ts";
import type { NatOp, NatPlan } from "./plan-nat-update.ts";
import { planServiceDelta } from "./plan-service-delta.ts";
import { AppliedBackends } from "./applied-backends.ts";
import { DrainingBackends, servingIdOf, type DrainingScope } from "./draining-backends.ts";
import { silentLogger } from "./proxy-logger.ts";
import type { ProxyLogger } from "./proxy-logger.ts";

/** ChangeCounts says how many entries of one map a sync added, updated and deleted. */
export interface ChangeCounts {
  added: number;
  updated: number;
  deleted: number;
}

/** NatSyncResult reports what one sync did. */
export interface NatSyncResult {
  readonly frontends: ChangeCounts;
  readonly backends: ChangeCounts;
  /** sl_nat_src entries (a range is added or deleted, never updated). */
  readonly sourceRanges: ChangeCounts;
  readonly affinityDeleted: number;
  readonly conntrackDeleted: number;
  /** TCP entries of removed backends flagged SL_CT_F_RESET (kept, answered with a RST). */
  readonly conntrackReset: number;
  /** True when the maps were read (first sync, or after a failed one). */
  readonly adopted: boolean;
  readonly healthChecks: readonly HealthCheckService[];
  readonly problems: readonly NatProblem[];
  /** Services kept out whole because a NAT map is full, per map (empty when all fit). */
  readonly notProgrammed: readonly NotProgrammed[];
}

/** NatServiceLookup reads one Service and its EndpointSlices by "namespace/name" (the agent's indexed cache). */
export interface NatServiceLookup {
  service(name: string): Service | undefined;
  /** The Service's slices in the order the full input lists them ("namespace/" for unlabelled ones). */
  slices(name: string): readonly EndpointSlice[];
}

/** NatNode is the node identity a sync computes for. */
export interface NatNode {
  readonly nodeName: string;
  readonly nodeAddresses: readonly string[];
}

/** AppliedNat is what the maps are known to hold (NatReconciler.applied): each Service's NatCache entry. */
export interface AppliedNat {
  readonly node: NatNode;
  readonly services: readonly NatCacheEntry[];
}

/** NatReconcilerOptions inject the logger and, for tests, the id allocator. */
export interface NatReconcilerOptions {
  readonly logger?: ProxyLogger;
  readonly allocator?: ServiceIdAllocator;
  /**
   * deferCleanUp, when given, runs the fast path's clean-up after a removed backend (a walk of
   * the changed Services' sl_affinity entries and of all of sl_ct: O(flows), 19–27 ms at 100k
   * flows) on a later turn of the agent's loop instead of inside syncServices, with sl_ct read
   * off the loop (NatMapBackend.conntrackOffLoop): the new entries are in the maps already, and
   * the next change need not wait behind the walk. The removed backends of changes that come in
   * before it runs, or while it reads, are cleaned in one walk after it (idle() waits for all).
   * Without it (tests, the CLI) the clean-up runs inline and its counts are in the result.
   */
  readonly deferCleanUp?: (work: () => void) => void;
}

/** NatReconciler syncs one node's NAT maps. */
export class NatReconciler {
  readonly #backend: NatMapBackend;
  readonly #log: ProxyLogger;
  readonly #ids: ServiceIdAllocator;
  /** What the maps hold, as far as this process knows; undefined = read them again. */
  #actual: MutableNatState | undefined;
  /** Per-Service results #actual was built from; undefined whenever #actual is. */
  #applied: Map<string, ServiceNat> | undefined;
  readonly #cache = new NatCache();
  #reported = new Set<string>();
  #notProgrammedKey = "[]";
  /** Backends that left the NAT lists while still serving (terminating): their flows stay until they stop. */
  readonly #draining = new DrainingBackends();
  /** Serving endpoints of every slice, kept by both paths (a removed backend still serving drains). */
  readonly #serving = new ServingIndex();
  // What the fast path needs to know about the applied results, kept from the last sync:
  /** The node identity of #applied. */
  #nodeKey: string | undefined;
  /** Frontend key id → the Services that ask for it (more than one: who gets it is decided across Services). */
  readonly #wanters: Wanters = new Map();
  /** Entries in the maps, per map, for the capacity check. */
  #used = { frontends: 0, backends: 0, sourceRanges: 0 };
  readonly #healthChecks = new Map<string, HealthCheckService>();
  readonly #problems = new Map<string, readonly NatProblem[]>();
  readonly #defer: ((work: () => void) => void) | undefined;
  /** Set by restore() until the first sync reports it. */
  #restored: { services: number; reused: number } | undefined;
  /** Removed backends whose flows the deferred clean-up still has to end (deferCleanUp). */
  /**
   * The deferred clean-up's work: the removed backends, and whose affinity to check — false, the
   * svc_ids of the Services the fast path changed (only their entries can have gone stale), or
   * "all" after a full sync.
   */
  #cleanUpQueue: { removed: RemovedBackend[]; affinity: AffinityScope } | undefined;
  /** The deferred clean-up whose sl_ct read is under way (one at a time). */
  #cleaning: Promise<void> | undefined;

  constructor(backend: NatMapBackend, options: NatReconcilerOptions = {}) {
    this.#backend = backend;
    this.#log = options.logger ?? silentLogger;
    this.#ids = options.allocator ?? new ServiceIdAllocator();
    this.#defer = options.deferCleanUp;
  }

  /** sync computes the desired state from `input` and writes the delta; throws "sync nat maps: ..." on a failed write. */
  sync(input: NatInput): NatSyncResult {
    const previous = this.#actual !== undefined ? this.#applied : undefined;
    const adopted = previous === undefined;
    const actual = previous !== undefined ? this.#actual : undefined;
    const adoptedState = actual ?? this.#adopt();
    // Grouped once: the computation and the serving index both read every Service's slices.
    const grouped = groupSlices(input.endpointSlices);
    const computed = computeServiceNats(input, this.#ids, this.#cache, grouped);
    this.#ids.retainOnly(computed.flatMap((r) => r.views.map((v) => v.idKey)));
    // Map-full: program the Services that fit, keep the rest out whole — not a failed write
    // that would retry the whole sync forever.
    const programmed = new Set(
      [...(this.#applied?.values() ?? [])].filter((r) => r.frontends.length > 0).map((r) => r.name),
    );
    const { results, notProgrammed } = admitServices(computed, this.#backend.capacity(), programmed);
    this.#reportNotProgrammed(notProgrammed);
    const healthChecks = results.flatMap((r) => (r.healthCheck !== undefined ? [r.healthCheck] : []));
    const problems = results.flatMap((r) => r.problems);
    this.#reportProblems(problems);
    // Whole states after adopting (the maps may hold anything); afterwards only what changed.
    const delta = previous !== undefined ? planServiceDelta(previous, results) : undefined;
    // Empty maps (a cold start): every desired entry is an add. The backends — 100k at 10k
    // Services — are then written straight from the results' packed lists, in the order
    // planNatUpdate would give them, instead of through a Map of every entry, a sorted list of
    // 100k ids and an op per entry (~0.3 s of a cold start's pass with their garbage); the plan
    // covers the frontends and source ranges, which it orders after the backends anyway.
    const cold = delta === undefined && isEmptyState(adoptedState);
    // A whole state (cold or over adopted maps) is the applied state to be: its backends an index
    // over the results' lists, diffed against the adopted index by slot (planNatUpdate).
    const whole = delta === undefined ? appliedState(results) : undefined;
    const plan =
      delta !== undefined
        ? planNatUpdate(delta.actual, delta.desired)
        : cold
          ? planNatUpdate(adoptedState, { ...whole!, backends: NO_BACKENDS })
          : planNatUpdate(adoptedState, whole!);
    const frontends = { added: 0, updated: 0, deleted: 0 };
    const backends = { added: 0, updated: 0, deleted: 0 };
    const sourceRanges = { added: 0, updated: 0, deleted: 0 };
    // After a delta `actual` is set (a delta needs a previous sync); without one, `whole` is.
    const desired = actual !== undefined && delta !== undefined ? patchState(actual, delta, delta) : whole!;
    const ops = roomFirst(plan.ops, frontendIds(desired.frontends.values()), this.#backend.capacity());
    try {
      if (cold) this.#putEveryBackend(desired.backends, backends);
      for (const d of natDeltas(ops)) this.#apply(d, { fe: frontends, be: backends, src: sourceRanges });
      this.#backend.flush?.();
    } catch (cause) {
      // Part of the plan may be in the maps: read them again next time rather than trust a guess.
      this.#actual = undefined;
      this.#applied = undefined;
      const msg = cause instanceof Error ? cause.message : String(cause);
      this.#log.error({ op: "sync", err: cause }, "sync nat maps failed");
      throw new Error(`sync nat maps: ${msg}`, { cause });
    }
    this.#actual = desired;
    this.#applied = new Map(results.map((r) => [r.name, r]));
    // After a delta only the changed Services' entries are news to the allocator.
    if (delta !== undefined && actual !== undefined) this.#ids.observeChanges(delta.actual, delta.desired);
    else observeApplied(this.#ids, desired);
    this.#remember(input, computed, results);
    this.#serving.replaceAll(grouped);
    const { affinityDeleted, conntrackDeleted, conntrackReset } = this.#cleanUp(plan, backends, desired);
    const total = [frontends, backends, sourceRanges].reduce(
      (n, c) => n + c.added + c.updated + c.deleted,
      0,
    );
    const fields = {
      op: "sync",
      frontends,
      backends,
      sourceRanges,
      affinityDeleted,
      conntrackDeleted,
      conntrackReset,
    };
    const restored = this.#restored;
    this.#restored = undefined;
    if (restored !== undefined)
      // One line per start either way (benches count the start's writes from it).
      this.#log.info(
        { ...fields, snapshot: { ...restored, recomputed: delta?.services ?? 0 } },
        "adopted and synced nat maps",
      );
    else if (total > 0 || conntrackDeleted + conntrackReset > 0 || adopted)
      this.#log.info(fields, adopted ? "adopted and synced nat maps" : "synced nat maps");
    return {
      frontends,
      backends,
      sourceRanges,
      affinityDeleted,
      conntrackDeleted,
      conntrackReset,
      adopted,
      healthChecks,
      problems,
      notProgrammed,
    };
  }

  /**
   * prepare builds what the fast path needs and a full sync leaves to be built on first use (the
   * index of serving endpoints, every slice of the cluster). The agent calls it after a full
   * sync, off both the start's and the next change's path; without it the first change pays.
   */
  prepare(): void {
    this.#serving.build();
  }

  /**
   * restore seeds a reconciler that has not synced yet with what an earlier process applied
   * (its per-Service results, from the agent's NAT snapshot: nat-snapshot.ts), instead of
   * reading and decoding the maps: the first sync then diffs only the Services whose input
   * differs from the snapshot's. The caller vouches that the maps hold exactly `results` (the
   * snapshot's map fingerprint matched) for node `node`. `reuse` names the Services whose input
   * is unchanged, with the objects of the current input: their results are taken as computed.
   */
  restore(
    node: NatNode,
    results: readonly ServiceNat[],
    reuse: ReadonlyMap<string, { service: Service; slices: readonly EndpointSlice[]; claims: string }>,
  ): void {
    if (this.#actual !== undefined) throw new Error("restore nat state: the reconciler has synced already");
    const state = appliedState(results);
    // Affinity entries are keyed by svc_id too: their ids must not go to another service either.
    observeApplied(
      this.#ids,
      state,
      [...this.#backend.affinity()].map((e) => e.svcId),
    );
    this.#actual = state;
    this.#applied = new Map(results.map((r) => [r.name, r]));
    this.#nodeKey = nodeKeyOf(node);
    this.#cache.forNode(node.nodeName, node.nodeAddresses);
    for (const r of results) {
      const input = reuse.get(r.name);
      if (input !== undefined) this.#cache.set(r.name, { ...input, result: r });
    }
    this.#restored = { services: results.length, reused: reuse.size };
  }

  /**
   * applied is what a NAT snapshot records: the node, each applied Service's result and the
   * input it was computed from (NatCache), or undefined when the maps are not known to hold
   * exactly that (no successful sync yet, a failed write, Services kept out of full maps).
   */
  applied(): AppliedNat | undefined {
    return this.appliedOf(this.#applied?.keys() ?? []);
  }

  /**
   * appliedOf is applied() for Services `names` alone (a name not applied is left out): what a
   * journal line after syncServices(names) records, without a pass over every applied Service.
   */
  appliedOf(names: Iterable<string>): AppliedNat | undefined {
    const applied = this.#applied;
    if (this.#actual === undefined || applied === undefined || this.#notProgrammedKey !== "[]")
      return undefined;
    const node = this.#nodeKey?.split("\n");
    if (node === undefined || node.length !== 2) return undefined;
    const services: NatCacheEntry[] = [];
    for (const name of names) {
      const result = applied.get(name);
      if (result === undefined) continue;
      const entry = this.#cache.get(name);
      if (entry === undefined || entry.result !== result) return undefined;
      services.push({ result, service: entry.service, slices: entry.slices, claims: entry.claims });
    }
    const addresses = node[1] === "" ? [] : node[1]!.split(",");
    return { node: { nodeName: node[0]!, nodeAddresses: addresses }, services };
  }

  /**
   * syncServices recomputes and rewrites only Services `names` ("namespace/name"; a changed
   * EndpointSlice names its Service) and returns undefined — run sync() — when the answer could
   * involve other Services: before a first successful sync or after a failed one, for another
   * node identity, while Services are kept out of full maps, when a change would not fit, or
   * when another Service asks for one of the same frontends (who holds it is decided in name
   * order across Services). New Service ports get ids in name order, as sync() gives them, so
   * the maps end up as sync() would leave them (nat-reconciler-targeted.test.ts).
   */
  syncServices(names: Iterable<string>, lookup: NatServiceLookup, node: NatNode): NatSyncResult | undefined {
    const actual = this.#actual;
    const applied = this.#applied;
    if (actual === undefined || applied === undefined) return undefined;
    if (this.#notProgrammedKey !== "[]" || nodeKeyOf(node) !== this.#nodeKey) return undefined;
    const changes = this.#planChanges([...new Set(names)].sort(compareText), lookup, node);
    if (changes === undefined) return undefined;
    const before = natStateOf(
      changes.flatMap((c) => c.before?.frontends ?? []),
      changes.flatMap((c) => [...(c.before?.backends ?? [])]),
      changes.flatMap((c) => c.before?.sourceRanges ?? []),
    );
    const after = natStateOf(
      changes.flatMap((c) => c.after?.frontends ?? []),
      changes.flatMap((c) => [...(c.after?.backends ?? [])]),
      changes.flatMap((c) => c.after?.sourceRanges ?? []),
    );
    const plan = planNatUpdate(before, after);
    const frontends = { added: 0, updated: 0, deleted: 0 };
    const backends = { added: 0, updated: 0, deleted: 0 };
    const sourceRanges = { added: 0, updated: 0, deleted: 0 };
    // A changed Service's ids are its own (ids go to one Service port), so only its frontends use them.
    const ops = roomFirst(plan.ops, frontendIds(after.frontends.values()), this.#backend.capacity());
    try {
      for (const d of natDeltas(ops)) this.#apply(d, { fe: frontends, be: backends, src: sourceRanges });
      this.#backend.flush?.();
    } catch (cause) {
      this.#actual = undefined;
      this.#applied = undefined;
      const msg = cause instanceof Error ? cause.message : String(cause);
      this.#log.error({ op: "sync", err: cause }, "sync nat maps of changed services failed");
      throw new Error(`sync nat maps: ${msg}`, { cause });
    }
    const desired = patchState(
      actual,
      { actual: before, desired: after },
      {
        before: changes.flatMap((c) => (c.before !== undefined ? [c.before] : [])),
        after: changes.flatMap((c) => (c.after !== undefined ? [c.after] : [])),
      },
    );
    // What the change can have moved among the draining backends (see #settleDraining).
    const scope = { frontends: new Set<string>(), serving: new Set<ServingEndpointId>() };
    for (const c of changes) {
      for (const fe of [...(c.before?.frontends ?? []), ...(c.after?.frontends ?? [])])
        scope.frontends.add(frontendKeyId(fe.key));
      this.#rememberOne(c, scope.serving);
    }
    this.#ids.observeChanges(before, after);
    const problems = [...this.#problems].sort(([a], [b]) => compareText(a, b)).flatMap(([, p]) => p);
    this.#reportProblems(problems);
    const changedIds = new Set<number>();
    for (const c of changes)
      for (const v of [...(c.before?.views ?? []), ...(c.after?.views ?? [])]) changedIds.add(v.svcId);
    const { affinityDeleted, conntrackDeleted, conntrackReset } = this.#cleanUp(
      plan,
      backends,
      desired,
      this.#defer,
      changedIds,
      scope,
    );
    const fields = { op: "sync", services: changes.length, frontends, backends, sourceRanges };
    this.#log.debug(
      { ...fields, affinityDeleted, conntrackDeleted, conntrackReset },
      "synced changed services",
    );
    return {
      frontends,
      backends,
      sourceRanges,
      affinityDeleted,
      conntrackDeleted,
      conntrackReset,
      adopted: false,
      healthChecks: [...this.#healthChecks].sort(([a], [b]) => compareText(a, b)).map(([, h]) => h),
      problems,
      notProgrammed: [],
    };
  }

  /** The changed Services' before and after, or undefined when the change is not theirs alone. */
  #planChanges(
    names: readonly string[],
    lookup: NatServiceLookup,
    node: NatNode,
  ): ServiceChange[] | undefined {
    const applied = this.#applied!;
    // A dry run first: ids as held (0 for a new port), no allocation, so declining leaves no trace.
    const dry: ServiceIdSource = { idFor: (key) => this.#ids.known(key) ?? 0 };
    const ctxOf = (ids: ServiceIdSource) => ({ ...node, ids, claimedBy: () => undefined });
    const used = { ...this.#used };
    const inBatch = new Map<string, string>();
    const changes: ServiceChange[] = [];
    let newPorts = false;
    for (const name of names) {
      const service = lookup.service(name);
      const slices = lookup.slices(name);
      const before = applied.get(name);
      const after = service === undefined ? undefined : computeServiceNat(service, slices, ctxOf(dry));
      if (after !== undefined && after.name !== name) return undefined;
      for (const id of [...(before?.wanted ?? []), ...(after?.wanted ?? [])]) {
        if (wantedByAnother(this.#wanters, id, name)) return undefined;
        if ((inBatch.get(id) ?? name) !== name) return undefined;
        inBatch.set(id, name);
      }
      newPorts ||= after?.views.some((v) => this.#ids.known(v.idKey) === undefined) ?? false;
      used.frontends += (after?.frontends.length ?? 0) - (before?.frontends.length ?? 0);
      used.backends += (after?.backends.length ?? 0) - (before?.backends.length ?? 0);
      used.sourceRanges += (after?.sourceRanges.length ?? 0) - (before?.sourceRanges.length ?? 0);
      changes.push({ name, service, slices, before, after });
    }
    const cap = this.#backend.capacity();
    if (
      used.frontends > cap.frontends ||
      used.backends > cap.backends ||
      used.sourceRanges > cap.sourceRanges
    )
      return undefined;
    // New Service ports: the real computation, asking the allocator in name order as sync() does.
    if (newPorts)
      for (const c of changes)
        if (c.service !== undefined) c.after = computeServiceNat(c.service, c.slices, ctxOf(this.#ids));
    return changes;
  }

  /** #remember indexes a full sync's results for the fast path. */
  #remember(input: NatInput, computed: readonly ServiceNat[], results: readonly ServiceNat[]): void {
    this.#nodeKey = nodeKeyOf(input);
    this.#wanters.clear();
    for (const r of computed) for (const id of r.wanted) addOne(this.#wanters, id, r.name);
    this.#used = { frontends: 0, backends: 0, sourceRanges: 0 };
    this.#healthChecks.clear();
    this.#problems.clear();
    for (const r of results) {
      this.#used.frontends += r.frontends.length;
      this.#used.backends += r.backends.length;
      this.#used.sourceRanges += r.sourceRanges.length;
      if (r.healthCheck !== undefined) this.#healthChecks.set(r.name, r.healthCheck);
      if (r.problems.length > 0) this.#problems.set(r.name, r.problems);
    }
  }

  /** #rememberOne records one applied change everywhere sync() would have. */
  #rememberOne(c: ServiceChange, touched: Set<ServingEndpointId>): void {
    const { name, before, after } = c;
    for (const id of before?.wanted ?? []) removeOne(this.#wanters, id, name);
    for (const id of after?.wanted ?? []) addOne(this.#wanters, id, name);
    this.#used.frontends += (after?.frontends.length ?? 0) - (before?.frontends.length ?? 0);
    this.#used.backends += (after?.backends.length ?? 0) - (before?.backends.length ?? 0);
    this.#used.sourceRanges += (after?.sourceRanges.length ?? 0) - (before?.sourceRanges.length ?? 0);
    this.#healthChecks.delete(name);
    this.#problems.delete(name);
    const keep = new Set(after?.views.map((v) => v.idKey) ?? []);
    this.#ids.forget((before?.views ?? []).map((v) => v.idKey).filter((k) => !keep.has(k)));
    if (after === undefined || c.service === undefined) {
      this.#applied!.delete(name);
      this.#cache.delete(name);
    } else {
      this.#applied!.set(name, after);
      // Uncontested frontends: no earlier Service claims any of them, so the claims are "".
      this.#cache.set(name, { service: c.service, slices: c.slices, claims: "", result: after });
      if (after.healthCheck !== undefined) this.#healthChecks.set(name, after.healthCheck);
      if (after.problems.length > 0) this.#problems.set(name, after.problems);
    }
    this.#serving.replace(name, c.slices, touched);
  }

  /**
   * #cleanUp after a write: affinity entries pinned to removed backends, then the conntrack
   * entries of removed backends that no longer serve. A backend that left the NAT list but still
   * serves (terminating: draining) keeps its flows and is remembered until it stops serving.
   */
  #cleanUp(
    plan: NatPlan,
    backends: ChangeCounts,
    desired: NatState,
    defer?: (work: () => void) => void,
    changedIds?: ReadonlySet<number>,
    scope?: DrainingScope,
  ): { affinityDeleted: number; conntrackDeleted: number; conntrackReset: number } {
    const anyRemoved = plan.removed.length > 0 || backends.deleted > 0;
    const affinity: AffinityScope = !anyRemoved ? false : (changedIds ?? "all");
    if (defer !== undefined) {
      // Draining is decided now (cheap: the serving index); only the map walks wait.
      const gone = this.#settleDraining(plan.removed, desired, scope);
      if (!anyRemoved && gone.length === 0)
        return { affinityDeleted: 0, conntrackDeleted: 0, conntrackReset: 0 };
      const queued = this.#cleanUpQueue;
      if (queued !== undefined) {
        queued.removed.push(...gone);
        queued.affinity = widerScope(queued.affinity, affinity);
      } else {
        this.#cleanUpQueue = { removed: gone, affinity };
        defer(() => this.#runDeferredCleanUp());
      }
      return { affinityDeleted: 0, conntrackDeleted: 0, conntrackReset: 0 };
    }
    const affinityDeleted = affinity === false ? 0 : this.#cleanAffinity(desired, affinity);
    const gone = this.#settleDraining(plan.removed, desired, scope);
    const { deleted: conntrackDeleted, reset: conntrackReset } =
      gone.length > 0 ? this.#cleanConntrack(gone) : { deleted: 0, reset: 0 };
    return { affinityDeleted, conntrackDeleted, conntrackReset };
  }

  /**
   * The deferred clean-up (deferCleanUp): one walk of each map for every change queued since.
   * sl_ct is read off the loop (conntrackOffLoop): a busy node's table takes tens of ms to read,
   * and the changes that come in meanwhile are applied at once and queue their own clean-up,
   * which runs when this one is done — one walk at a time.
   */
  #runDeferredCleanUp(): void {
    if (this.#cleaning !== undefined) return; // the walk under way runs the queue when done
    const queued = this.#cleanUpQueue;
    this.#cleanUpQueue = undefined;
    const actual = this.#actual;
    if (queued === undefined || actual === undefined) return; // a failed write: the next full sync cleans
    this.#cleaning = this.#cleanUpOffLoop(queued, actual).finally(() => {
      this.#cleaning = undefined;
      if (this.#cleanUpQueue !== undefined) this.#defer?.(() => this.#runDeferredCleanUp());
    });
  }

  async #cleanUpOffLoop(
    queued: { removed: RemovedBackend[]; affinity: AffinityScope },
    actual: NatState,
  ): Promise<void> {
    try {
      const affinityDeleted = queued.affinity === false ? 0 : this.#cleanAffinity(actual, queued.affinity);
      // A backend that serves again since (an endpoint back before the walk) keeps its flows.
      const gone = queued.removed.filter((r) => !this.#isServing(r));
      let ended = { deleted: 0, reset: 0 };
      if (gone.length > 0) {
        const entries = await this.#backend.conntrackOffLoop(conntrackEndpointsOf(gone));
        // ... and so does one that came back while the table was read.
        ended = this.#endFlows(
          entries,
          gone.filter((r) => !this.#isServing(r)),
        );
      }
      if (affinityDeleted + ended.deleted + ended.reset > 0)
        this.#log.debug(
          { op: "cleanup", affinityDeleted, conntrackDeleted: ended.deleted, conntrackReset: ended.reset },
          "ended the flows of removed backends",
        );
    } catch (err) {
      this.#log.warn({ op: "cleanup", err }, "clean up the flows of removed backends failed");
    }
  }

  /**
   * idle resolves once no deferred clean-up is queued or under way: whoever closes the maps
   * waits for it (its walk reads sl_ct on a worker thread), as do tests.
   */
  async idle(): Promise<void> {
    while (this.#cleaning !== undefined || this.#cleanUpQueue !== undefined) {
      if (this.#cleaning === undefined) this.#runDeferredCleanUp();
      await this.#cleaning;
    }
  }

  /**
   * #settleDraining: of the removed backends and those draining from before, the ones that no
   * longer serve (their flows end now); the ones still serving outside the NAT lists drain on.
   * With `scope` (a change of some Services) only the draining entries it can have moved are
   * looked at again; without it (a full sync) all of them.
   */
  #settleDraining(
    removed: readonly RemovedBackend[],
    desired: NatState,
    scope?: DrainingScope,
  ): RemovedBackend[] {
    const again = scope === undefined ? this.#draining.all() : this.#draining.affected(scope);
    const gone: RemovedBackend[] = [];
    for (const r of [...removed, ...again]) {
      const serving = this.#isServing(r);
      if (!serving) gone.push(r);
      const inList =
        serving &&
        frontendBackends(desired, frontendKeyId(r.frontend)).some(
          (b) => b.addr === r.backend.addr && b.port === r.backend.port,
        );
      this.#draining.settle(r, serving && !inList);
    }
    return gone;
  }

  #isServing(r: RemovedBackend): boolean {
    return this.#serving.has(servingIdOf(r));
  }

  /** One line per change of the kept-out set: which Services, which map, which field to raise. */
  #reportNotProgrammed(now: readonly NotProgrammed[]): void {
    const key = JSON.stringify(now);
    if (key === this.#notProgrammedKey) return;
    this.#notProgrammedKey = key;
    if (now.length === 0) {
      this.#log.info({ op: "map-full" }, "every Service is programmed again");
      return;
    }
    for (const n of now) {
      const shown =
        n.services.slice(0, 20).join(", ") +
        (n.services.length > 20 ? `, ... (${n.services.length - 20} more)` : "");
      this.#log.warn(
        { op: "map-full", map: n.map, services: n.services.length },
        `map "${n.map}" is full: ${n.services.length} Service(s) not programmed (raise FelixConfiguration ${n.field}): ${shown}`,
      );
    }
  }

  #adopt(): NatState {
    const frontends = [...this.#backend.frontends()].map(([key, value]) => ({ key, value }));
    const backends = AppliedBackends.fromEntries(adoptedBackends(this.#backend.backends()));
    const sourceRanges = [...this.#backend.sourceRanges()].map((key) => ({ key }));
    const state = { ...natStateOf(frontends, [], sourceRanges), backends };
    // Affinity entries are keyed by svc_id too: their ids must not go to another service either.
    const affinityIds = [...this.#backend.affinity()].map((e) => e.svcId);
    this.#ids.observeMaps(state, affinityIds);
    this.#log.info(
      {
        op: "adopt",
        map: SL_MAP.nat_fe,
        frontends: frontends.length,
        backends: backends.size,
        sourceRanges: sourceRanges.length,
      },
      "read pinned nat maps",
    );
    return state;
  }

  /**
   * #putEveryBackend writes every entry of `applied` as an add (maps known empty: a cold start),
   * in planNatUpdate's order for added backends, and counts them.
   */
  #putEveryBackend(applied: AppliedBackends, counts: ChangeCounts): void {
    const b = this.#backend;
    applied.eachInIdOrder((svcId, index, addr, port) => {
      b.putBackend({ svcId, index }, { addr, port });
      counts.added++;
    });
  }

  /** #apply writes one run of one map's ops through applyDelta, the one writer of every map delta, and counts it. */
  #apply(d: NatDelta, counts: { fe: ChangeCounts; be: ChangeCounts; src: ChangeCounts }): void {
    const b = this.#backend;
    const be: DeltaStore<NatBackendKey, NatBackendValue> = {
      set: (k, v) => b.putBackend(k, v),
      delete: (k) => b.deleteBackend(k),
    };
    const fe: DeltaStore<NatFrontendKey, NatFrontendValue> = {
      set: (k, v) => b.putFrontend(k, v),
      delete: (k) => b.deleteFrontend(k),
    };
    const src: DeltaStore<NatSourceRangeKey, true> = {
      set: (k) => b.putSourceRange(k),
      delete: (k) => b.deleteSourceRange(k),
    };
    switch (d.map) {
      case "be":
        return addCounts(counts.be, applyDelta(be, d.ops));
      case "fe":
        return addCounts(
          counts.fe,
          applyDelta(fe, d.ops, (op) => {
            if (op.kind === "put")
              this.#log.debug(
                {
                  op: op.change,
                  map: SL_MAP.nat_fe,
                  service: op.servicePort,
                  frontend: `${op.key.addr}:${op.key.port}/${op.key.proto}`,
                  count: op.value.count,
                },
                "put frontend",
              );
          }),
        );
      case "src":
        return addCounts(
          counts.src,
          applyDelta(src, d.ops, (op) => {
            if (op.kind === "put")
              this.#log.debug(
                {
                  op: "add",
                  map: SL_MAP.nat_src,
                  service: op.servicePort,
                  svcId: op.key.svcId,
                  cidr: op.key.cidr,
                },
                "put source range",
              );
          }),
        );
    }
  }

  /** #cleanAffinity deletes the stale entries of `scope`'s svc_ids (every entry for "all"). */
  #cleanAffinity(desired: NatState, scope: "all" | ReadonlySet<number>): number {
    let n = 0;
    const listed = this.#backend.affinity(scope === "all" ? undefined : scope);
    // A backend may list more than asked (the in-memory one lists all): the scope is kept here.
    const entries = scope === "all" ? listed : [...listed].filter((e) => scope.has(e.svcId));
    for (const key of selectStaleAffinity(entries, desired)) if (this.#backend.deleteAffinity(key)) n++;
    return n;
  }

  /**
   * #cleanConntrack: the flows of removed backends. Connectionless ones (UDP, SCTP counted with
   * them here, ...) are deleted at once, as kube-proxy flushes UDP; TCP entries are flagged
   * SL_CT_F_RESET instead — Calico's answer for a deleted workload: the client's next packet
   * gets a RST and fails fast instead of hanging until a timeout.
   */
  #cleanConntrack(removed: readonly RemovedBackend[]): { deleted: number; reset: number } {
    return this.#endFlows(this.#backend.conntrack(conntrackEndpointsOf(removed)), removed);
  }

  /** #endFlows resets (TCP) or deletes the entries of `entries` that lead to a `removed` backend. */
  #endFlows(
    entries: Iterable<CtEntryView>,
    removed: readonly RemovedBackend[],
  ): { deleted: number; reset: number } {
    let deleted = 0;
    let reset = 0;
    for (const key of selectConntrackCleanup(entries, removed)) {
      if (key.proto === TCP) {
        if (this.#backend.resetConntrack(key)) reset++;
      } else if (this.#backend.deleteConntrack(key)) {
        deleted++;
      }
    }
    return { deleted, reset };
  }

  /** Problems are logged once when they appear, not on every sync. */
  #reportProblems(problems: readonly NatProblem[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      const id = `${p.service}\n${p.reason}`;
      now.add(id);
      if (!this.#reported.has(id)) this.#log.warn({ op: "compute", service: p.service }, p.reason);
    }
    this.#reported = now;
  }
}

/** AffinityScope: whose sl_affinity entries a clean-up checks (false: none). */
type AffinityScope = false | "all" | ReadonlySet<number>;

/** widerScope is the scope that covers both. */
function widerScope(a: AffinityScope, b: AffinityScope): AffinityScope {
  if (a === false) return b;
  if (b === false) return a;
  if (a === "all" || b === "all") return "all";
  return new Set([...a, ...b]);
}

/**
 * roomFirst: with bounded maps, what goes away makes room before anything new is put — frontends
 * to delete first, then the backend slots and source ranges of ids no desired frontend uses (no
 * frontend can reach them once those deletes are done), then each id that stays but gives up
 * entries (a Service that shrinks), its own writes together in planNatUpdate's order (its slots
 * rewritten, its frontends shrunk, then its spare slots deleted), and only then what grows.
 * Else a full map refuses the new entries while the old ones still sit there. Unbounded maps,
 * and plans that delete nothing, keep planNatUpdate's order. `used` (the svc_ids desired
 * frontends point at) is asked only when needed.
 */
function roomFirst(
  ops: readonly NatOp[],
  used: () => ReadonlySet<number>,
  cap: NatCapacity,
): readonly NatOp[] {
  if (![cap.frontends, cap.backends, cap.sourceRanges].some(Number.isFinite)) return ops;
  if (!ops.some((op) => op.op.startsWith("delete-"))) return ops;
  const inUse = used();
  const slotDelete = (op: NatOp): op is Extract<NatOp, { op: "delete-backend" | "delete-source-range" }> =>
    op.op === "delete-backend" || op.op === "delete-source-range";
  const early = (op: NatOp): boolean =>
    op.op === "delete-frontend" || (slotDelete(op) && !inUse.has(op.key.svcId));
  const shrinking = new Set<number>();
  for (const op of ops) if (slotDelete(op) && !early(op)) shrinking.add(op.key.svcId);
  const svcIdOf = (op: NatOp): number | undefined => {
    if (op.op === "put-frontend") return op.value.svcId;
    if (op.op === "delete-frontend") return undefined; // early anyway
    return op.key.svcId;
  };
  const ofShrinking = (op: NatOp): boolean => !early(op) && shrinking.has(svcIdOf(op) ?? -1);
  return [
    ...ops.filter((op) => op.op === "delete-frontend"),
    ...ops.filter((op) => early(op) && op.op !== "delete-frontend"),
    ...ops.filter(ofShrinking),
    ...ops.filter((op) => !early(op) && !ofShrinking(op)),
  ];
}

const TCP = 6;

function addCounts(into: ChangeCounts, c: DeltaCounts): void {
  into.added += c.added;
  into.updated += c.updated;
  into.deleted += c.deleted;
}

/**
 * MutableNatState is #actual: patched in place after each incremental sync instead of rebuilt.
 * Its backends are an index over the applied results' packed lists (AppliedBackends), not a Map
 * of every entry.
 */
interface MutableNatState extends NatState {
  readonly frontends: Map<string, NatFrontendEntry>;
  readonly backends: AppliedBackends;
  readonly sourceRanges: Map<string, NatSourceRangeEntry>;
}

/** adoptedBackends is sl_nat_be's [key, value] pairs as entries. */
function* adoptedBackends(
  pairs: Iterable<readonly [NatBackendKey, NatBackendValue]>,
): IterableIterator<NatBackendEntry> {
  for (const [key, value] of pairs) yield { key, value };
}

/**
 * appliedState is #actual after `results` were applied: an index of the results' backends, and
 * their frontends and source ranges by key id, as natDesiredOf would key them.
 */
function appliedState(results: readonly ServiceNat[]): MutableNatState {
  const backends = AppliedBackends.of(results);
  const frontends = new Map<string, NatFrontendEntry>();
  const sourceRanges = new Map<string, NatSourceRangeEntry>();
  for (const r of results) {
    for (const fe of r.frontends) frontends.set(frontendKeyId(fe.key), fe);
    for (const sr of r.sourceRanges) sourceRanges.set(sourceRangeKeyId(sr.key), sr);
  }
  return { frontends, backends, sourceRanges };
}

/**
 * patchState turns `state` into the new desired state: the changed Services' old entries out,
 * their new ones in (`entries`: their frontends and source ranges; `results`: the Services'
 * results before and after, whose backend lists are swapped in the index).
 */
function patchState(
  state: MutableNatState,
  entries: { readonly actual: NatState; readonly desired: NatState },
  results: { readonly before: readonly ServiceNat[]; readonly after: readonly ServiceNat[] },
): MutableNatState {
  for (const id of entries.actual.frontends.keys()) state.frontends.delete(id);
  for (const id of entries.actual.sourceRanges.keys()) state.sourceRanges.delete(id);
  for (const r of results.before) state.backends.remove(r.backends);
  for (const [id, e] of entries.desired.frontends) state.frontends.set(id, e);
  for (const [id, e] of entries.desired.sourceRanges) state.sourceRanges.set(id, e);
  for (const r of results.after) state.backends.add(r.backends);
  return state;
}

/** NO_BACKENDS: a state's backends when there are none (the cold start's plan, see sync). */
const NO_BACKENDS: ReadonlyMap<string, NatBackendEntry> = new Map();

function isEmptyState(s: NatState): boolean {
  return s.frontends.size === 0 && s.backends.size === 0 && s.sourceRanges.size === 0;
}

/**
 * observeApplied is ids.observeMaps(state, extraIds) for an applied state: the backends' svc_ids
 * are read from the index (AppliedBackends.svcIds) instead of making each of their entries —
 * the same ids in use, as the allocator counts every backend's svc_id and every extra id alike.
 */
function observeApplied(
  ids: ServiceIdAllocator,
  state: MutableNatState,
  extraIds: Iterable<number> = [],
): void {
  const backendIds = [...state.backends.svcIds()];
  ids.observeMaps({ frontends: state.frontends, backends: NO_BACKENDS, sourceRanges: state.sourceRanges }, [
    ...extraIds,
    ...backendIds,
  ]);
}

/** frontendIds is a lazy "svc_ids these frontends point at", for roomFirst. */
function frontendIds(frontends: Iterable<NatFrontendEntry>): () => ReadonlySet<number> {
  return () => new Set([...frontends].map((e) => e.value.svcId));
}

/** ServiceChange is one Service of a fast-path sync: what the maps hold for it and what they should. */
interface ServiceChange {
  readonly name: string;
  readonly service: Service | undefined;
  readonly slices: readonly EndpointSlice[];
  readonly before: ServiceNat | undefined;
  after: ServiceNat | undefined;
}

function nodeKeyOf(node: NatNode): string {
  return `${node.nodeName}\n${node.nodeAddresses.join(",")}`;
}

/**
 * Wanters: frontend key id → the Service, or Services, asking for it. Almost every frontend has
 * one: a name, not a list of one (100k one-item lists at 100k Services).
 */
type Wanters = Map<string, OneOrMore<string>>;

/** wantedByAnother: a Service other than `name` asks for frontend `id`. */
function wantedByAnother(wanters: Wanters, id: string, name: string): boolean {
  return listOf(wanters.get(id)).some((n) => n !== name);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
