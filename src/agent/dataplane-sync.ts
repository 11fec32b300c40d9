/**
 * DataplaneSync is one pass of the agent's loop: cluster state + host state → mode, maps,
 * sl_globals, sl_routes, NAT (through the plugged-in service sync) and per-interface programs.
 * Every step compares with what is there and writes only the difference, so a restarted agent
 * adopts pinned state without touching a packet. In the standard mode it detaches everything,
 * leaves the kernel's routing to carry traffic, and serves Services through the nftables
 * fallback proxy (ProxyHandover).
 */
import { join } from "node:path";
import { loaderIdentity } from "./cached-collection-spec.ts";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { HealthCheckService } from "../calc/compute-nat-state.ts";
import { computeRoutes } from "../calc/compute-routes.ts";
import { conntrackMapSize } from "../calc/conntrack-map-size.ts";
import type { WorkloadInterface } from "../calc/compute-routes.ts";
import { RoutesMap } from "../datapath/maps/routes-map.ts";
import { FailsafeMap } from "../datapath/maps/failsafe-map.ts";
import { stableJson } from "../datastore/stable-json.ts";
import { VerifierError } from "../errors/verifier-error.ts";
import type { AgentConfig } from "./agent-config.ts";
import type { AgentLogger } from "./agent-logger.ts";
import { writeMapFullStatus } from "./map-full-status.ts";
import type { AgentMetrics } from "./agent-metrics.ts";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import type {
  DatapathAttacher,
  DatapathBackend,
  DatapathMapSet,
  UntrackedXdpAttacher,
} from "../datapath/datapath-backend.ts";
import type { DatapathMaps } from "../datapath/datapath-maps.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { kernelDatapathBackend } from "../datapath/kernel-datapath-backend.ts";
import { GlobalsStore } from "../datapath/maps/globals-store.ts";
import type { Globals } from "../datapath/maps/globals-map.ts";
import { decideDataplaneMode } from "../calc/dataplane-mode.ts";
import type { ModeDecision } from "../calc/dataplane-mode.ts";
import { dataplaneSettings } from "../calc/dataplane-settings.ts";
import type { DataplaneSettings } from "../calc/dataplane-settings.ts";
import { kernelHostProbe, type HostProbe } from "../host/host-probe.ts";
import { ifaceConstants, tunnelMtu, type IfaceRole } from "../datapath/iface-constants.ts";
import { hasWorkloadPrefix, localWorkloads } from "../host/local-workloads.ts";
import type { DetectedNodeIp } from "../host/node-ip.ts";
import { HANDOVER_MARKER, ProxyHandover } from "../fallback/proxy-handover.ts";
import { reconcileEntries } from "../datapath/reconcile-entries.ts";
import { describeFilters, runAttachPass, type WantedIface } from "../datapath/attach-pass.ts";
import type { ServiceSync, ServiceSyncFactory, ServiceSyncReport } from "./service-sync.ts";
import { syncFailsafe } from "./failsafe-sync.ts";
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import type { PolicySync, PolicySyncFactory, PolicySyncInput } from "./policy-sync.ts";
import { syncUntrackedXdp } from "./untracked-xdp-sync.ts";

/** SyncOutcome summarises one pass (for the log, metrics and readiness). */
export interface SyncOutcome {
  readonly mode: ModeDecision;
  /** Pods not wired yet: the caller retries soon. */
  readonly pending: number;
  readonly healthChecks: readonly HealthCheckService[];
}

/**
 * DataplaneSyncDeps are the collaborators, injected by the agent. `backend` and `host` default
 * to the live kernel (pinned maps under config.pinDir, links on this node's interfaces); tests
 * pass the in-memory backend and a described host.
 */
export interface DataplaneSyncDeps<M extends DatapathMapSet = DatapathMaps> {
  readonly config: AgentConfig;
  readonly spec: CollectionSpec;
  /** bpf/obj/xdp.o, for doNotTrack ingress (the kernel backend's XDP attacher); optional. */
  readonly xdpSpec?: CollectionSpec;
  readonly cache: ClusterCache;
  readonly log: AgentLogger;
  readonly metrics: AgentMetrics;
  readonly failedChecks: readonly string[];
  readonly services?: ServiceSyncFactory;
  /** Network policy over the maps (the agent's: kernelPolicySync); none leaves policy unprogrammed. */
  readonly policy?: PolicySyncFactory<M>;
  readonly backend?: DatapathBackend<M>;
  readonly host?: HostProbe;
  /** Who serves Services per mode (default: the nftables fallback and kube-proxy clean-up). */
  readonly handover?: ProxyHandover;
  /**
   * Called just before a set of maps is closed (eBPF mode off, a rebuild's old maps, close): the
   * agent's readers of those maps (flow logs, DNS policy's heartbeat) must stop first, or their
   * next timer tick uses a closed fd.
   */
  readonly mapsRetiring?: (maps: M) => void;
}

/** DataplaneSync owns the maps, the attacher and the service sync of one agent. */
export class DataplaneSync<M extends DatapathMapSet = DatapathMaps> {
  readonly #d: DataplaneSyncDeps<M>;
  readonly #backend: DatapathBackend<M>;
  readonly #host: HostProbe;
  readonly #handover: ProxyHandover;
  #mode: ModeDecision | undefined;
  #maps: M | undefined;
  #mapSizesKey = "";
  /** The not-programmed list last written for `sluice dump counters`. */
  #mapFullStatus: string | undefined;
  #attacher: DatapathAttacher<M> | undefined;
  /** xdp_hep on host endpoints with doNotTrack ingress (undefined: the backend has no XDP object). */
  #xdp: UntrackedXdpAttacher<M> | undefined;
  /** XDP attach failures already logged. */
  readonly #xdpLogged = new Set<string>();
  #services: ServiceSync | undefined;
  #natGeneration = 0;
  #policy: PolicySync | undefined;
  /** The last pass's policy input (interfaces), for syncPolicyChanges. */
  #policyInput: Omit<PolicySyncInput, "cache"> | undefined;
  #node: DetectedNodeIp | undefined;
  #settings: DataplaneSettings | undefined;
  #firstPass = true;
  /** Maps replaced by a rebuild: programs use them until the next attach pass swaps them. */
  #closeAfterAttach: M | undefined;
  /** Names of the maps the last rebuild replaced (topped up from the old ones after the swap). */
  #rebuiltMaps: string[] = [];
  /** Why the datapath cannot run here (set once; the node stays on the standard dataplane). */
  #unusable: string | undefined;
  /** The logger's level before bpfLogLevel Debug raised it. */
  #baseLevel: string | undefined;
  /** The failsafe-port problem last logged (a bad port, an IPv6 net), so each is logged once. */
  #failsafeProblem = "";
  /** sl_ct size the conntrack sweeper asked for (DoubleIfFull), for the bpfMapSizeConntrack it grew from. */
  #ctGrown: { configured: number; to: number } | undefined;

  constructor(deps: DataplaneSyncDeps<M>) {
    this.#d = deps;
    // Without an injected backend M is DatapathMaps (the class default), which the kernel backend opens.
    this.#backend =
      deps.backend ??
      (kernelDatapathBackend({
        spec: deps.spec,
        pinDir: deps.config.pinDir,
        attachMethod: deps.config.attachMethod,
        ...(deps.xdpSpec ? { xdpSpec: deps.xdpSpec } : {}),
        ...(deps.config.stateDir !== undefined
          ? { attachRecord: { stateDir: deps.config.stateDir, loader: loaderIdentity() } }
          : {}),
      }) as unknown as DatapathBackend<M>);
    this.#host = deps.host ?? kernelHostProbe;
    this.#handover =
      deps.handover ??
      new ProxyHandover({
        log: deps.log,
        metrics: deps.metrics,
        ...(deps.config.stateDir !== undefined
          ? { marker: join(deps.config.stateDir, HANDOVER_MARKER) }
          : {}),
      });
  }

  /** dataplane is who serves Services: "bpf", "nftables-fallback" or "routing-only". */
  get dataplane(): string | undefined {
    return this.#handover.active;
  }

  /** mode is the decision in effect (undefined before the first pass). */
  get mode(): ModeDecision | undefined {
    return this.#mode;
  }

  /** maps are the live datapath maps in eBPF mode. */
  get maps(): M | undefined {
    return this.#maps;
  }

  /** policy is the network policy sync over the live maps (eBPF mode). */
  get policy(): PolicySync | undefined {
    return this.#policy;
  }

  /** settings are the FelixConfiguration-derived settings of the last eBPF pass. */
  get settings(): DataplaneSettings | undefined {
    return this.#settings;
  }

  /** growConntrack records that sl_ct must grow to `toEntries` (DoubleIfFull); the next pass rebuilds it. */
  growConntrack(toEntries: number): void {
    const configured = this.#settings?.mapSizes[SL_MAP.ct];
    if (configured !== undefined) this.#ctGrown = { configured, to: toEntries };
  }

  /** nodeIp is the node address in use. */
  get nodeIp(): string | undefined {
    return this.#node?.ip;
  }

  /** sync runs one pass. */
  async sync(): Promise<SyncOutcome> {
    const { cache, config } = this.#d;
    const felixDefault = cache.find("FelixConfiguration", "default");
    const felixNode = cache.find("FelixConfiguration", `node.${config.nodeName}`);
    const settings = dataplaneSettings(felixDefault, felixNode);
    const failedChecks =
      this.#unusable === undefined
        ? this.#d.failedChecks
        : [...this.#d.failedChecks, `datapath: ${this.#unusable}`];
    const mode = decideDataplaneMode({
      failedChecks,
      installation: cache.find("Installation", "default"),
      felixDefault,
      felixNode,
    });
    this.#noteMode(mode);
    if (mode.mode === "standard") {
      await this.#goStandard();
      const healthChecks = await this.#handover.standard(cache, {
        nodeName: config.nodeName,
        nodeAddresses: this.#standardNodeAddresses(),
      });
      return { mode, pending: 0, healthChecks };
    }
    this.#noteSettings(settings);
    let maps: M;
    try {
      maps = await this.#ensureMaps(settings);
    } catch (e) {
      return this.#giveUp(`open the pinned maps: ${(e as Error).message}`);
    }
    this.#node = this.#resolveNode();
    this.#writeGlobals(maps, settings);
    this.#writeFailsafe(maps, felixDefault, felixNode);
    const host = this.#host.readHostView();
    const prefixes = settings.interfacePrefixes ?? config.interfacePrefixes;
    const scan = localWorkloads(cache.list("Pod"), config.nodeName, host, prefixes, this.#host.podMac);
    for (const p of scan.pending)
      this.#d.log.debug({ op: "wire-pod", reason: p.reason }, `pod ${p.pod} pending`);
    const wis = new Map<string, WorkloadInterface>(scan.workloads.map((w) => [w.pod, w]));
    const routes = computeRoutes({
      nodeName: config.nodeName,
      nodes: cache.list("Node"),
      pods: cache.list("Pod"),
      workloadInterfaces: wis,
      extraLocalAddresses: [this.#node.ip],
    });
    const r = reconcileEntries(new RoutesMap(maps.get(SL_MAP.routes)), routes.routes);
    if (r.added + r.updated + r.deleted > 0)
      this.#d.log.info({ op: "routes", map: SL_MAP.routes, ...r }, "routes updated");
    // The proxy logs its own writes and problems (once each); nothing to add here.
    const natNode = { nodeName: config.nodeName, nodeAddresses: [this.#node.ip] };
    let nat: ServiceSyncReport | undefined;
    try {
      nat = await this.#services?.sync(cache, natNode);
    } catch (err) {
      this.#natGeneration++; // it may have written part of the maps
      throw err;
    }
    this.#countNatWrite(nat);
    if (nat !== undefined) {
      for (const map of ["sl_nat_fe", "sl_nat_be", "sl_nat_src"])
        this.#d.metrics.servicesNotProgrammed.set(
          { map },
          nat.notProgrammed?.find((n) => n.map === map)?.services.length ?? 0,
        );
      const status = JSON.stringify(nat.notProgrammed ?? []);
      if (status !== this.#mapFullStatus) {
        try {
          writeMapFullStatus(this.#d.config.pinDir, nat.notProgrammed ?? []);
          this.#mapFullStatus = status;
        } catch (err) {
          this.#d.log.warn({ op: "map-full", err }, "write map-full status for sluice dump: failed");
        }
      }
    }
    // Routes first, programs second: from_wep drops a pod's packets until its route exists.
    const wanted = new Map<string, { index: number; role: IfaceRole }>();
    for (const w of scan.workloads) wanted.set(w.iface, { index: w.ifindex, role: "wep" });
    const data = safeRegExp(settings.dataIfacePattern, this.#d.log);
    for (const l of host.links) {
      if (l.name === "lo" || hasWorkloadPrefix(l.name, prefixes) || !data?.test(l.name)) continue;
      wanted.set(l.name, { index: l.index, role: "hep" });
    }
    try {
      await this.#attachAll(wanted, settings);
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      return this.#giveUp(e.message);
    }
    this.#firstPass = false;
    await this.#syncPolicy(scan.workloads, wanted);
    await this.#syncXdp(wanted, settings);
    // Programs attached: eBPF serves Services now, so the other proxies' rules can go.
    await this.#handover.bpf(settings.kubeProxyCleanup);
    this.#services?.afterPass?.();
    return { mode, pending: scan.pending.length, healthChecks: nat?.healthChecks ?? [] };
  }

  /**
   * syncServiceChanges is the agent's fast path for changed Services ("namespace/name"): only
   * their NAT entries, outside the pass. Undefined when a pass must do it instead (not in eBPF
   * mode yet, no completed pass, or the proxy could not tell without a full sync).
   */
  syncServiceChanges(names: ReadonlySet<string>): ServiceSyncReport | undefined {
    if (this.#mode?.mode !== "bpf" || this.#firstPass || this.#node === undefined) return undefined;
    const node = { nodeName: this.#d.config.nodeName, nodeAddresses: [this.#node.ip] };
    let report: ServiceSyncReport | undefined;
    try {
      report = this.#services?.syncChanged?.(this.#d.cache, names, node);
    } catch (err) {
      this.#natGeneration++; // it may have written part of the maps
      throw err;
    }
    this.#countNatWrite(report);
    return report;
  }

  /**
   * natGeneration moves whenever the NAT maps may have been written: a Service sync that wrote
   * or failed part-way, a new map set. The conntrack sweeper keeps its index of sl_nat_be while
   * it stays (ConntrackSweeperOptions.natGeneration).
   */
  get natGeneration(): number {
    return this.#natGeneration;
  }

  /** #countNatWrite moves natGeneration when a Service sync wrote. */
  #countNatWrite(r: ServiceSyncReport | undefined): void {
    if (r !== undefined && r.written + r.deleted > 0) this.#natGeneration++;
  }

  /**
   * syncPolicyChanges is the agent's fast path for a label or membership change (a Pod,
   * Namespace or NetworkSet): one policy pass at once, over the interfaces of the last completed
   * pass, instead of after the pass's debounce — usually a few sl_ipsets writes. False when a pass
   * must do it (not in eBPF mode, no completed pass, no policy). The next pass still runs and
   * reconciles whatever the interfaces changed (a new pod's veth).
   */
  async syncPolicyChanges(): Promise<boolean> {
    const policy = this.#policy;
    const input = this.#policyInput;
    if (this.#mode?.mode !== "bpf" || this.#firstPass || policy === undefined || input === undefined)
      return false;
    try {
      await policy.syncAsync({ cache: this.#d.cache, ...input });
    } catch (e) {
      // The maps were reopened meanwhile (this PolicySync closed): the new one's pass does it.
      if (this.#policy !== policy) return false;
      throw e;
    }
    return true;
  }

  // Policy needs the wired veths, so it follows routes and the attach pass. A failure here (a map
  // write refused) is logged and retried next pass; Services and routing go on. Async: the pass's
  // policy chunks are verified concurrently on worker threads (PolicySync.syncAsync).
  async #syncPolicy(workloads: SyncWorkloads, wanted: ReadonlyMap<string, WantedIface>): Promise<void> {
    this.#policyInput = {
      nodeName: this.#d.config.nodeName,
      workloads,
      hostIfaces: [...wanted]
        .filter(([, w]) => w.role === "hep")
        .map(([name, w]) => ({ name, index: w.index })),
      addressOwner: (ip) => this.#host.ifaceOfAddress(ip)?.ifindex,
    };
    try {
      await this.#policy?.syncAsync({ cache: this.#d.cache, ...this.#policyInput });
    } catch (e) {
      this.#d.log.error({ op: "policy", err: e }, `network policy sync failed: ${(e as Error).message}`);
    }
  }

  // doNotTrack ingress: xdp_hep where PolicySync installed an untrackedIngress program (after it,
  // so the program and the entry are in place before XDP runs; detached after the entry let go).
  async #syncXdp(wanted: ReadonlyMap<string, WantedIface>, s: DataplaneSettings): Promise<void> {
    const xdp = this.#xdp;
    const policy = this.#policy;
    if (xdp === undefined || policy === undefined) return;
    const node = this.#node!;
    const mtu = tunnelMtu(s.vxlanMtu, node.mtu);
    try {
      await syncUntrackedXdp({
        xdp,
        installed: policy.programmer.installedEndpoints(),
        hostIfaces: [...wanted]
          .filter(([, w]) => w.role === "hep")
          .map(([name, w]) => ({ name, index: w.index })),
        constants: (i) =>
          ifaceConstants({
            ifindex: i.index,
            role: "hep",
            nodeIp: node.ip,
            vxlanPort: s.vxlanPort,
            vxlanVni: s.vxlanVni,
            tunnelMtu: mtu,
          }),
        log: this.#d.log,
        logged: this.#xdpLogged,
      });
    } catch (e) {
      this.#d.log.error({ op: "attach", err: e }, `doNotTrack XDP sync failed: ${(e as Error).message}`);
    }
  }

  // The kernel will not take this datapath (a map it cannot create, a program the verifier
  // refuses): retrying cannot help, and half-attached programs are worse than none.
  async #giveUp(reason: string): Promise<SyncOutcome> {
    this.#unusable = reason;
    this.#d.log.error({ op: "mode" }, `eBPF datapath unusable on this node: ${reason}`);
    return this.sync();
  }

  #noteMode(mode: ModeDecision): void {
    if (this.#mode?.mode === mode.mode && this.#mode.reason === mode.reason) return;
    const log = this.#d.log;
    if (mode.mode === "standard")
      log.warn(
        { op: "mode" },
        `falling back to the standard dataplane: ${mode.reason}; Sluice programs are detached, Services go through nftables (table ip sluice-proxy)`,
      );
    else log.info({ op: "mode" }, `running the eBPF dataplane: ${mode.reason}`);
    this.#d.metrics.setMode(mode.mode, mode.reason);
    this.#mode = mode;
  }

  #noteSettings(s: DataplaneSettings): void {
    const before = this.#settings;
    this.#settings = s;
    if (before?.bpfLogLevel !== s.bpfLogLevel) {
      // The datapath has no debug log (it counts instead); Debug turns on the agent's debug lines.
      this.#baseLevel ??= this.#d.log.level;
      this.#d.log.level = s.bpfLogLevel === "Debug" ? "debug" : this.#baseLevel;
      if (before !== undefined || s.bpfLogLevel !== "Off") {
        this.#d.log.info(
          { op: "config" },
          `bpfLogLevel ${s.bpfLogLevel}: datapath detail is in \`sluice dump counters\`; agent log level ${this.#d.log.level}`,
        );
      }
    }
    if (before !== undefined && before.externalServiceMode !== s.externalServiceMode) {
      this.#d.log.info(
        { op: "config" },
        `bpfExternalServiceMode ${before.externalServiceMode} → ${s.externalServiceMode} (new NodePort flows; established ones keep their path)`,
      );
    }
  }

  /**
   * prepareMaps starts creating, off the event loop, the maps the first pass will open — at the
   * sizes it opens with when no FelixConfiguration sets them — so a cold start's ~200 ms of map
   * creation runs while the agent reads its datastore, not in the pass. The pass pins those whose
   * size is still right and creates the others (openDatapathMapsAsync). Not when a startup check
   * failed: that pass runs the standard dataplane.
   */
  prepareMaps(): void {
    if (this.#maps !== undefined || this.#d.failedChecks.length > 0) return;
    this.#backend.prepareMaps?.(this.#mapSizes(dataplaneSettings()));
  }

  async #goStandard(): Promise<void> {
    this.#backend.dropPreparedMaps?.();
    const log = this.#d.log;
    if (this.#attacher) {
      for (const i of this.#attacher.attached) this.#attacher.detach(i.name);
      this.#attacher.close();
      this.#attacher = undefined;
    }
    if (this.#xdp) {
      for (const name of new Set([...this.#xdp.attached, ...this.#xdp.pinnedIfaces()]))
        this.#xdp.detach(name);
      this.#xdp.close();
      this.#xdp = undefined;
    }
    await this.#services?.close();
    this.#services = undefined;
    this.#policy?.close();
    this.#policy = undefined;
    this.#policyInput = undefined;
    if (this.#maps) this.#retire(this.#maps);
    this.#maps = undefined;
    this.#mapSizesKey = "";
    this.#firstPass = true;
    try {
      const left = this.#backend.detachAllPinned();
      if (left.length > 0)
        log.warn(
          { op: "detach" },
          `detached ${left.length} pinned link(s) an earlier agent left: ${left.join(", ")}`,
        );
    } catch (e) {
      log.error(
        { op: "detach", err: e },
        "could not detach pinned links; the standard dataplane may see Sluice programs",
      );
    }
    try {
      // eBPF mode off leaves nothing pinned (issue 11): the connections the datapath tracked
      // cannot outlive the detach anyway, and a return to eBPF mode starts from empty maps.
      const unpinned = this.#backend.removeMapPins();
      if (unpinned.length > 0)
        log.info({ op: "detach" }, `removed ${unpinned.length} map pin(s): ${unpinned.join(", ")}`);
    } catch (e) {
      log.error({ op: "detach", err: e }, "could not remove the map pins; they hold kernel memory");
    }
    try {
      // cls_bpf filters have no pins: an earlier agent's are found by name (the clsact qdisc stays, see removeSluiceFilters).
      const gone = this.#backend.removeFilters();
      if (gone.length > 0)
        log.warn(
          { op: "detach" },
          `removed ${gone.length} Sluice cls_bpf filter(s): ${describeFilters(gone)}`,
        );
    } catch (e) {
      log.error(
        { op: "detach", err: e },
        "could not remove Sluice cls_bpf filters; the standard dataplane may see Sluice programs",
      );
    }
  }

  /** The map sizes to open with: sl_ct's may exceed bpfMapSizeConntrack when DoubleIfFull grew it. */
  #mapSizes(settings: DataplaneSettings): Record<string, number> {
    const sizes = { ...settings.mapSizes };
    const configured = sizes[SL_MAP.ct];
    if (configured === undefined) return sizes;
    const grownTo = this.#ctGrown?.configured === configured ? this.#ctGrown.to : undefined;
    const pinned = this.#backend.pinnedMaxEntries(SL_MAP.ct);
    sizes[SL_MAP.ct] = conntrackMapSize({
      configured,
      pinned,
      grownTo,
      doubleIfFull: settings.conntrackDoubleIfFull,
    });
    return sizes;
  }

  async #ensureMaps(settings: DataplaneSettings): Promise<M> {
    const sizes = this.#mapSizes(settings);
    const key = stableJson(sizes);
    if (this.#maps && key === this.#mapSizesKey) return this.#maps;
    const old = this.#maps;
    const maps = this.#backend.openMapsAsync
      ? await this.#backend.openMapsAsync(sizes)
      : this.#backend.openMaps(sizes);
    this.#mapSizesKey = key;
    this.#rebuiltMaps = maps.rebuilt.map((b) => b.map);
    for (const b of maps.rebuilt) {
      this.#d.log.warn(
        { op: "map-rebuild", ...b },
        `map ${b.map} rebuilt for bpfMapSize: ${b.fromEntries} → ${b.toEntries} entries, copied ${b.copied}, dropped ${b.dropped}; reloading programs`,
      );
      this.#d.metrics.mapRebuilds.inc({ map: b.map });
    }
    if (old === undefined && maps.adopted.length > 0)
      this.#d.log.info({ op: "adopt" }, `adopted pinned maps: ${maps.adopted.join(", ")}`);
    this.#maps = maps;
    if (this.#attacher) this.#attacher.setMaps(maps);
    else this.#attacher = this.#backend.attacher(maps);
    if (this.#xdp) this.#xdp.setMaps(maps);
    else this.#xdp = this.#backend.xdpAttacher?.(maps);
    await this.#services?.close();
    this.#services = this.#d.services?.(maps, this.#d.log);
    this.#natGeneration++;
    // A new opening adopts what the old PolicySync installed (the pinned entries and slots).
    this.#policy?.close();
    this.#policy = this.#d.policy?.(maps, this.#d.log, this.#d.metrics);
    this.#policyInput = undefined; // its first pass (adoption) is a full pass's
    // Programs still reference `old` until the next attach pass swaps them; close it after that.
    if (old) this.#closeAfterAttach = old;
    return maps;
  }

  /** The node's address for NodePorts in the standard dataplane; none is fine (the wildcard covers every local address). */
  #standardNodeAddresses(): string[] {
    try {
      this.#node = this.#resolveNode();
      return [this.#node.ip];
    } catch {
      return [];
    }
  }

  #resolveNode(): DetectedNodeIp {
    const configured = this.#d.config.nodeIp;
    if (configured !== undefined) {
      const found = this.#host.ifaceOfAddress(configured);
      if (found === undefined)
        this.#d.log.warn(
          { op: "node-ip" },
          `configured node IP ${configured} is on no interface of this node`,
        );
      return found ?? this.#node ?? { ip: configured, iface: "", ifindex: 0, mtu: 1500 };
    }
    try {
      return this.#host.detectNodeIp();
    } catch (e) {
      const node = this.#d.cache.find("Node", this.#d.config.nodeName);
      const internal = node?.status.addresses.find(
        (a) => a.type === "InternalIP" && a.address.includes("."),
      )?.address;
      if (internal === undefined)
        throw new Error(
          `resolve node ip: ${(e as Error).message}, and Node "${this.#d.config.nodeName}" has no InternalIP`,
          { cause: e },
        );
      return { ip: internal, iface: "", ifindex: 0, mtu: 1500 };
    }
  }

  // Globals go through the same diff-and-apply as every other map: one entry, written when it differs.
  #writeGlobals(maps: M, s: DataplaneSettings): void {
    // flowEvents only when on: the decoded entry leaves it out when off, and must compare equal
    const want: Globals = { externalServiceMode: s.externalServiceMode, ctTimeouts: s.ctTimeouts };
    if (s.flowLogs.enabled) want.flowEvents = true;
    const r = reconcileEntries(
      new GlobalsStore(maps.get(SL_MAP.globals)),
      new Map([[GlobalsStore.KEY, want]]),
    );
    if (r.added + r.updated > 0)
      this.#d.log.info(
        { op: "globals", map: SL_MAP.globals, ...want },
        `datapath globals: ${s.externalServiceMode} mode`,
      );
  }

  // A bad failsafe port leaves sl_failsafe as it was: the host keeps the failsafe ports it had.
  #writeFailsafe(maps: M, felixDefault?: FelixConfiguration, felixNode?: FelixConfiguration): void {
    let problem = "";
    try {
      const r = syncFailsafe(new FailsafeMap(maps.get(SL_MAP.failsafe)), felixDefault, felixNode);
      if (r.added + r.updated + r.deleted > 0)
        this.#d.log.info(
          { op: "failsafe", map: SL_MAP.failsafe, added: r.added, updated: r.updated, deleted: r.deleted },
          "failsafe host ports updated",
        );
      problem = r.skipped.map((s) => `${s.field}: ${s.reason}`).join("; ");
      if (problem !== "" && problem !== this.#failsafeProblem)
        this.#d.log.warn(
          { op: "failsafe", map: SL_MAP.failsafe },
          `failsafe ports not programmed: ${problem}`,
        );
    } catch (e) {
      problem = (e as Error).message;
      if (problem !== this.#failsafeProblem)
        this.#d.log.error(
          { op: "failsafe", map: SL_MAP.failsafe, err: e },
          `failsafe host ports unchanged: ${problem}`,
        );
    }
    this.#failsafeProblem = problem;
  }

  async #attachAll(wanted: ReadonlyMap<string, WantedIface>, s: DataplaneSettings): Promise<void> {
    const attacher = this.#attacher!;
    const removeFilters = (keep: ReadonlySet<number>) => this.#backend.removeFilters(keep);
    await runAttachPass({
      attacher,
      node: this.#node!,
      settings: s,
      wanted,
      firstPass: this.#firstPass,
      log: this.#d.log,
      removeFilters,
    });
    if (this.#closeAfterAttach) {
      // Entries the old programs made between the rebuild's copy and the swap would be lost.
      for (const name of this.#rebuiltMaps) {
        const added = this.#backend.topUp(this.#closeAfterAttach, this.#maps!, name);
        if (added > 0)
          this.#d.log.info(
            { op: "map-rebuild", map: name },
            `copied ${added} entries made during the swap from the old ${name}`,
          );
      }
      this.#retire(this.#closeAfterAttach);
      this.#closeAfterAttach = undefined;
    }
    this.#d.metrics.interfaces.reset();
    for (const role of ["wep", "hep"] as const)
      this.#d.metrics.interfaces.set({ role }, attacher.attached.filter((i) => i.role === role).length);
  }

  /** close releases fds; pins keep the datapath running. */
  async close(): Promise<void> {
    this.#backend.dropPreparedMaps?.();
    await this.#services?.close();
    this.#policy?.close();
    this.#attacher?.close();
    this.#xdp?.close();
    if (this.#maps) this.#retire(this.#maps);
  }

  #retire(maps: M): void {
    try {
      this.#d.mapsRetiring?.(maps);
    } catch (e) {
      this.#d.log.error({ op: "maps", err: e }, "stopping the maps' readers failed");
    }
    maps.close();
  }
}

type SyncWorkloads = ReturnType<typeof localWorkloads>["workloads"];

function safeRegExp(pattern: string, log: AgentLogger): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch (e) {
    log.error(
      { op: "config", err: e },
      `bpfDataIfacePattern "${pattern}" is not a valid pattern; no host interface is attached`,
    );
    return undefined;
  }
}
