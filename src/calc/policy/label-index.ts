/**
 * LabelIndex: the IP sets policy rules refer to, kept incremental. It holds endpoints (pods,
 * host endpoints, network sets), namespaces (whose labels every endpoint in them inherits) and
 * the sets in use (reference-counted by the policies that name them). Each change returns only
 * the map entries that appeared or disappeared, so a pod joining a set is one map write and no
 * program reload. Two endpoints contributing the same CIDR to a set share one entry, removed
 * when the last one leaves. Pure: no I/O.
 */
import { DomainMatcher } from "../../model/domain-pattern.ts";
import { parseSelector } from "../../model/selector/parse-selector.ts";
import {
  evaluateSelectorNode,
  type LabelMap,
  type SelectorNode,
} from "../../model/selector/selector-node.ts";
import { endpointLabels } from "./endpoint-labels.ts";
import { endpointSetMembers } from "./endpoint-set-members.ts";
import {
  ipSetKey,
  parseMemberKey,
  type EndpointInput,
  type IpSetDelta,
  type IpSetMember,
  type IpSetSpec,
} from "./ip-set-types.ts";
import { SetIdAllocator } from "./set-id-allocator.ts";

interface SetState {
  readonly id: number;
  readonly key: string;
  readonly spec: IpSetSpec;
  readonly root: SelectorNode;
  refs: number;
  /** member key → how many endpoints contribute it. */
  readonly counts: Map<string, number>;
  /** endpoint key → the member keys it contributes. */
  readonly byEndpoint: Map<string, readonly string[]>;
  /** A `domains` set's patterns. */
  readonly matcher?: DomainMatcher;
  /** An `egressDomains` set's patterns (from the network sets it selects), for #domainsVersion. */
  egress?: { version: number; matcher: DomainMatcher };
}

interface EndpointState {
  readonly input: EndpointInput;
  labels: LabelMap;
}

/** LabelIndexOptions bound the set id space (tests use a small one to exercise reuse). */
export interface LabelIndexOptions {
  readonly maxSetId?: number;
}

/** Recorder collects one operation's entry changes, netting out remove-then-add. */
class Recorder {
  readonly #before = new Map<string, { set: SetState; member: string; present: boolean }>();
  readonly created: Array<{ id: number; key: string }> = [];
  readonly deleted: Array<{ id: number; key: string }> = [];

  touch(set: SetState, member: string, presentBefore: boolean): void {
    const k = `${set.id}\u0000${member}`;
    if (!this.#before.has(k)) this.#before.set(k, { set, member, present: presentBefore });
  }

  delta(): IpSetDelta {
    const added: IpSetMember[] = [];
    const removed: IpSetMember[] = [];
    for (const { set, member, present } of this.#before.values()) {
      const now = (set.counts.get(member) ?? 0) > 0 && !this.deleted.some((d) => d.id === set.id);
      if (now && !present) added.push(parseMemberKey(set.id, member));
      if (!now && present) removed.push(parseMemberKey(set.id, member));
    }
    return { added, removed, createdSets: this.created, deletedSets: this.deleted };
  }
}

/** LabelIndex maintains IP set membership as endpoints, namespaces and sets change. */
export class LabelIndex {
  readonly #endpoints = new Map<string, EndpointState>();
  readonly #namespaces = new Map<string, LabelMap>();
  readonly #byNamespace = new Map<string, Set<string>>();
  readonly #sets = new Map<string, SetState>();
  readonly #ids: SetIdAllocator;
  /** Learned DNS names (kind dnsName), re-placed when network-set domains change. */
  readonly #dnsNames = new Set<string>();
  /** Network sets with allowedEgressDomains. */
  readonly #domainNetsets = new Set<string>();
  /** Bumped whenever what an egressDomains set's patterns are may have changed. */
  #domainsVersion = 0;

  constructor(options: LabelIndexOptions = {}) {
    this.#ids = new SetIdAllocator(options.maxSetId);
  }

  /** labelsOf returns an endpoint's effective labels (own + Calico's + namespace's), or undefined. */
  labelsOf(key: string): LabelMap | undefined {
    return this.#endpoints.get(key)?.labels;
  }

  /** endpoint returns an endpoint as last given, or undefined. */
  endpoint(key: string): EndpointInput | undefined {
    return this.#endpoints.get(key)?.input;
  }

  /** endpointKeys lists every endpoint key. */
  endpointKeys(): string[] {
    return [...this.#endpoints.keys()];
  }

  /** hasDomainNetworkSets says whether some network set has allowedEgressDomains. */
  hasDomainNetworkSets(): boolean {
    return this.#domainNetsets.size > 0;
  }

  /** endpointsInNamespace lists the endpoints of a namespace. */
  endpointsInNamespace(namespace: string): string[] {
    return [...(this.#byNamespace.get(namespace) ?? [])];
  }

  /** setId returns the id of a set in use, or undefined. */
  setId(spec: IpSetSpec): number | undefined {
    return this.#sets.get(ipSetKey(spec))?.id;
  }

  /** members lists a set's current entries (sorted), for dumps and tests. */
  members(spec: IpSetSpec): IpSetMember[] {
    const set = this.#sets.get(ipSetKey(spec));
    if (set === undefined) return [];
    return [...set.counts.keys()].sort().map((m) => parseMemberKey(set.id, m));
  }

  /** sets lists every set in use: key, spec, id. */
  sets(): Array<{ key: string; spec: IpSetSpec; id: number }> {
    return [...this.#sets.values()].map((s) => ({ key: s.key, spec: s.spec, id: s.id }));
  }

  /** retainSet takes a reference on a set, creating (and filling) it when new. */
  retainSet(spec: IpSetSpec, rec = new Recorder()): IpSetDelta {
    const key = ipSetKey(spec);
    const existing = this.#sets.get(key);
    if (existing !== undefined) {
      existing.refs++;
      return rec.delta();
    }
    const set: SetState = {
      id: this.#ids.allocate(),
      key,
      spec,
      root: parseSelector(spec.selector).root,
      refs: 1,
      counts: new Map(),
      byEndpoint: new Map(),
      ...(spec.domains !== undefined ? { matcher: new DomainMatcher(spec.domains) } : {}),
    };
    this.#sets.set(key, set);
    rec.created.push({ id: set.id, key });
    for (const e of this.#endpoints.values()) this.#place(set, e, rec);
    return rec.delta();
  }

  /** releaseSet drops a reference; the last one removes the set, its entries and frees its id. */
  releaseSet(spec: IpSetSpec, rec = new Recorder()): IpSetDelta {
    const key = ipSetKey(spec);
    const set = this.#sets.get(key);
    if (set === undefined) throw new Error(`release ip set ${JSON.stringify(key)}: not in use`);
    if (--set.refs > 0) return rec.delta();
    for (const member of set.counts.keys()) rec.touch(set, member, true);
    this.#sets.delete(key);
    this.#ids.release(set.id);
    rec.deleted.push({ id: set.id, key });
    return rec.delta();
  }

  /** batch runs several retain/release calls as one change with one delta. */
  batch(body: (ops: { retain(spec: IpSetSpec): void; release(spec: IpSetSpec): void }) => void): IpSetDelta {
    const rec = new Recorder();
    body({ retain: (s) => void this.retainSet(s, rec), release: (s) => void this.releaseSet(s, rec) });
    return rec.delta();
  }

  /** upsertEndpoint adds or replaces an endpoint. */
  upsertEndpoint(input: EndpointInput): IpSetDelta {
    const rec = new Recorder();
    const old = this.#endpoints.get(input.key);
    const domainsBefore = this.#domainNetsets.has(input.key);
    if (input.kind === "dnsName") this.#dnsNames.add(input.key);
    if ((input.egressDomains?.length ?? 0) > 0) this.#domainNetsets.add(input.key);
    else this.#domainNetsets.delete(input.key);
    if (old?.input.namespace !== undefined && old.input.namespace !== input.namespace)
      this.#byNamespace.get(old.input.namespace)?.delete(input.key);
    const state: EndpointState = { input, labels: this.#labelsFor(input) };
    this.#endpoints.set(input.key, state);
    if (input.namespace !== undefined) {
      let keys = this.#byNamespace.get(input.namespace);
      if (keys === undefined) this.#byNamespace.set(input.namespace, (keys = new Set()));
      keys.add(input.key);
    }
    for (const set of this.#sets.values()) this.#place(set, state, rec);
    if (domainsBefore || this.#domainNetsets.has(input.key)) this.#replaceDnsNames(rec);
    return rec.delta();
  }

  /** deleteEndpoint removes an endpoint (no-op when unknown). */
  deleteEndpoint(key: string): IpSetDelta {
    const rec = new Recorder();
    const old = this.#endpoints.get(key);
    if (old === undefined) return rec.delta();
    for (const set of this.#sets.values()) this.#unplace(set, key, rec);
    this.#endpoints.delete(key);
    this.#dnsNames.delete(key);
    if (old.input.namespace !== undefined) this.#byNamespace.get(old.input.namespace)?.delete(key);
    if (this.#domainNetsets.delete(key)) this.#replaceDnsNames(rec);
    return rec.delta();
  }

  /** upsertNamespace sets a namespace's labels; every endpoint in it is re-evaluated. */
  upsertNamespace(name: string, labels: LabelMap): IpSetDelta {
    this.#namespaces.set(name, labels);
    return this.#refreshNamespace(name);
  }

  /** deleteNamespace forgets a namespace's labels (endpoints keep only its name label). */
  deleteNamespace(name: string): IpSetDelta {
    this.#namespaces.delete(name);
    return this.#refreshNamespace(name);
  }

  #refreshNamespace(name: string): IpSetDelta {
    const rec = new Recorder();
    let domains = false;
    for (const key of this.#byNamespace.get(name) ?? []) {
      const state = this.#endpoints.get(key)!;
      state.labels = this.#labelsFor(state.input);
      for (const set of this.#sets.values()) this.#place(set, state, rec);
      domains ||= this.#domainNetsets.has(key);
    }
    if (domains) this.#replaceDnsNames(rec);
    return rec.delta();
  }

  #labelsFor(input: EndpointInput): LabelMap {
    const nsLabels = input.namespace === undefined ? undefined : this.#namespaces.get(input.namespace);
    return endpointLabels({
      labels: input.labels,
      ...(input.namespace !== undefined ? { namespace: input.namespace } : {}),
      ...(nsLabels !== undefined ? { namespaceLabels: nsLabels } : {}),
      ...(input.serviceAccount !== undefined ? { serviceAccount: input.serviceAccount } : {}),
      pod: input.kind === "pod",
    });
  }

  /** #replaceDnsNames re-places every learned name in the egressDomains sets (their patterns moved). */
  #replaceDnsNames(rec: Recorder): void {
    this.#domainsVersion++;
    for (const set of this.#sets.values()) {
      if (set.spec.egressDomains !== true) continue;
      for (const key of this.#dnsNames) this.#place(set, this.#endpoints.get(key)!, rec);
    }
  }

  /** #domainsOf is the pattern matcher a DNS name is tested against in a set. */
  #domainsOf(set: SetState): DomainMatcher | undefined {
    if (set.matcher !== undefined) return set.matcher;
    if (set.spec.egressDomains !== true) return undefined;
    if (set.egress?.version !== this.#domainsVersion) {
      const patterns: string[] = [];
      for (const key of this.#domainNetsets) {
        const ns = this.#endpoints.get(key)!;
        if (evaluateSelectorNode(set.root, ns.labels)) patterns.push(...(ns.input.egressDomains ?? []));
      }
      set.egress = { version: this.#domainsVersion, matcher: new DomainMatcher(patterns) };
    }
    return set.egress.matcher;
  }

  /** #place recomputes one endpoint's contribution to one set. */
  #place(set: SetState, e: EndpointState, rec: Recorder): void {
    const domains = e.input.kind === "dnsName" ? this.#domainsOf(set) : undefined;
    const next = endpointSetMembers(e.input, e.labels, set.spec, set.root, domains);
    const prev = set.byEndpoint.get(e.input.key) ?? [];
    if (prev.length === next.length && prev.every((m, i) => m === next[i])) return;
    this.#unplace(set, e.input.key, rec);
    if (next.length === 0) return;
    set.byEndpoint.set(e.input.key, next);
    for (const m of new Set(next)) {
      const n = set.counts.get(m) ?? 0;
      rec.touch(set, m, n > 0);
      set.counts.set(m, n + 1);
    }
  }

  #unplace(set: SetState, endpointKey: string, rec: Recorder): void {
    const prev = set.byEndpoint.get(endpointKey);
    if (prev === undefined) return;
    set.byEndpoint.delete(endpointKey);
    for (const m of new Set(prev)) {
      const n = set.counts.get(m) ?? 0;
      rec.touch(set, m, n > 0);
      if (n <= 1) set.counts.delete(m);
      else set.counts.set(m, n - 1);
    }
  }
}
