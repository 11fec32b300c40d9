/**
 * bpfMapSizeConntrackScaling DoubleIfFull end to end (issue 8): a real ConntrackSweeper over the
 * real pinned sl_ct of a DataplaneSync (kernel maps under a throwaway bpffs pin dir, rebuilt by
 * openDatapathMaps) asks for growth after FULL_SWEEPS sweeps over 90 % full, the agent's wiring
 * (growConntrack + a sync) doubles the table keeping every live entry, programs are reloaded onto
 * the new maps, and a further sync does not rebuild again; with Disabled nothing grows. The
 * sweeper reads sl_ct with BPF_MAP_LOOKUP_BATCH on the map's fd, so it cannot run on the
 * in-memory maps: this is a root test. Interfaces are a recording fake (no program touches the
 * host's links). Needs root (CAP_BPF).
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import type { CollectionSpec } from "../bpf/collection-spec.ts";
import type { ConstantValue } from "../bpf/collection.ts";
import { BpfMap } from "../bpf/map.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { SL_CT_F_INIT_A, SL_CT_LEG_ACK, SL_CT_LEG_SEEN, SL_CT_LEG_SYN } from "../datapath/abi/abi.ts";
import { ConntrackSweeper, FULL_SWEEPS } from "../datapath/conntrack-sweeper.ts";
import type {
  AttachedIfaceInfo,
  DatapathAttacher,
  DatapathBackend,
  IfaceRef,
} from "../datapath/datapath-backend.ts";
import { mapPinPath, type DatapathMaps } from "../datapath/datapath-maps.ts";
import type { AttachOutcome } from "../datapath/iface-attacher.ts";
import type { IfaceRole } from "../datapath/iface-constants.ts";
import { kernelDatapathBackend } from "../datapath/kernel-datapath-backend.ts";
import { encodeCtEntry } from "../datapath/maps/index.ts";
import type { ProxyHandover } from "../fallback/proxy-handover.ts";
import type { HostProbe } from "../host/host-probe.ts";
import type { DetectedNodeIp } from "../host/node-ip.ts";
import type { Resource } from "../model/resource.ts";
import type { Link } from "../netlink/links.ts";
import { isRoot, requireRoot } from "../../test/support/root.ts";
import { resolveAgentConfig } from "./agent-config.ts";
import { createAgentLogger } from "./agent-logger.ts";
import { AgentMetrics } from "./agent-metrics.ts";
import { DataplaneSync } from "./dataplane-sync.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const ROOT = `/sys/fs/bpf/sluice-test-ctgrow-${process.pid}`;
const NODE = "node-a";
const NODE_IP: DetectedNodeIp = { ip: "198.18.0.10", iface: "eth0", ifindex: 2, mtu: 1500 };
const S = 1_000_000_000n;
const NOW = 100_000n * S;
const CT_SIZE = 64;
/** Over 90 % of CT_SIZE. */
const LIVE = 60;
const quiet = { info() {}, warn() {}, debug() {} };

let spec: CollectionSpec | undefined;
let serial = 0;
before(async () => {
  if (isRoot) spec = await readCollectionSpecFile(OBJ);
});
after(() => rmSync(ROOT, { recursive: true, force: true }));

const link = (index: number, name: string): Link =>
  ({
    index,
    name,
    type: 1,
    flags: 0,
    up: true,
    mtu: 1500,
    operState: "up",
    mac: "02:00:00:00:00:02",
  }) as unknown as Link;

const host: HostProbe = {
  readHostView: () => ({
    links: [link(1, "lo"), link(2, "eth0")],
    hostRoutes: new Map(),
    neighbours: new Map(),
  }),
  detectNodeIp: () => NODE_IP,
  ifaceOfAddress: (ip) => (ip === NODE_IP.ip ? NODE_IP : undefined),
  podMac: () => undefined,
};

interface Attached extends AttachedIfaceInfo {
  readonly maps: DatapathMaps;
  readonly constants: string;
}

/** RecordingAttacher stands in for IfaceAttacher: it records which maps each interface's programs use. */
class RecordingAttacher implements DatapathAttacher<DatapathMaps> {
  readonly #ifaces = new Map<string, Attached>();
  constructor(
    public maps: DatapathMaps,
    readonly events: string[],
  ) {}
  get attached(): readonly Attached[] {
    return [...this.#ifaces.values()];
  }
  setMaps(maps: DatapathMaps): void {
    this.maps = maps;
  }
  async prepare(): Promise<undefined> {
    return undefined;
  }
  async attach(
    iface: IfaceRef,
    role: IfaceRole,
    constants: Readonly<Record<string, ConstantValue>>,
  ): Promise<AttachOutcome> {
    const have = this.#ifaces.get(iface.name);
    const c = JSON.stringify(constants, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    if (
      have?.maps === this.maps &&
      have.ifindex === iface.index &&
      have.role === role &&
      have.constants === c
    )
      return "unchanged";
    this.#ifaces.set(iface.name, {
      name: iface.name,
      ifindex: iface.index,
      role,
      maps: this.maps,
      constants: c,
    });
    const outcome: AttachOutcome = have ? "updated" : "attached";
    this.events.push(`${outcome} ${iface.name} ${role}`);
    return outcome;
  }
  detach(name: string): void {
    this.#ifaces.delete(name);
    this.events.push(`detached ${name}`);
  }
  pinnedIfaces(): string[] {
    return [...this.#ifaces.keys()];
  }
  detachPinned(name: string): void {
    this.detach(name);
  }
  close(): void {}
}

function felix(spec: Record<string, unknown>): Resource {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: "default" },
    spec,
  } as unknown as Resource;
}

/** setup is the agent's chain: DataplaneSync over real pinned maps and a sweeper wired as #startSweeper wires it. */
function setup(scaling: "DoubleIfFull" | "Disabled") {
  const pinDir = `${ROOT}/${serial++}`;
  const kernel = kernelDatapathBackend({ spec: spec!, pinDir, attachMethod: "tcx" });
  const events: string[] = [];
  let attacher: RecordingAttacher | undefined;
  const backend: DatapathBackend<DatapathMaps> = {
    openMaps: (sizes) => kernel.openMaps(sizes),
    pinnedMaxEntries: (name) => kernel.pinnedMaxEntries(name),
    topUp: (old, next, name) => kernel.topUp(old, next, name),
    attacher: (maps) => (attacher = new RecordingAttacher(maps, events)),
    detachAllPinned: () => [],
    removeFilters: () => [],
    removeMapPins: () => kernel.removeMapPins(),
  };
  const cache = new ClusterCache();
  cache.apply({ type: "synced" });
  const small = {
    bpfMapSizeNATFrontend: 64,
    bpfMapSizeNATBackend: 64,
    bpfMapSizeNATAffinity: 64,
    bpfMapSizeRoute: 64,
  };
  const fc = felix({ ...small, bpfMapSizeConntrack: CT_SIZE, bpfMapSizeConntrackScaling: scaling });
  cache.apply({
    type: "added",
    key: { group: "", kind: fc.kind, name: "default" },
    resource: fc,
    source: "test",
  });
  const handover = {
    active: "bpf",
    bpf: async () => {},
    standard: async () => [],
  } as unknown as ProxyHandover;
  const config = resolveAgentConfig({ node: NODE, bpffsRoot: ROOT, interfacePrefix: "sl" }, {}, NODE);
  const sync = new DataplaneSync<DatapathMaps>({
    config: { ...config, pinDir },
    spec: spec!,
    cache,
    log: createAgentLogger(NODE, "silent"),
    metrics: new AgentMetrics(),
    failedChecks: [],
    handover,
    backend,
    host,
  });
  const requested: number[] = [];
  const syncRequests: string[] = [];
  const sweeper = new ConntrackSweeper({
    maps: () => {
      const ct = sync.maps?.byName.get(SL_MAP.ct);
      const natBe = sync.maps?.byName.get(SL_MAP.nat_be);
      return ct && natBe ? { ct, natBe } : undefined;
    },
    timeouts: () => sync.settings?.ctTimeouts ?? {},
    endpoints: () => new Set(),
    doubleIfFull: () => sync.settings?.conntrackDoubleIfFull ?? true,
    grow: (to) => {
      requested.push(to);
      sync.growConntrack(to);
      syncRequests.push("conntrack table full");
    },
    log: quiet,
    now: () => NOW,
  });
  return { pinDir, sync, sweeper, events, requested, syncRequests, attacher: () => attacher! };
}

/** fill writes LIVE established TCP flows, last seen 1 s before NOW (live under every timeout). */
function fill(ct: BpfMap): Map<string, string> {
  const est = SL_CT_LEG_SEEN | SL_CT_LEG_SYN | SL_CT_LEG_ACK;
  const entries = Array.from({ length: LIVE }, (_, i) =>
    encodeCtEntry({
      a: { addr: "198.19.1.10", port: 10_000 + i },
      b: { addr: "198.19.2.20", port: 443 },
      proto: 6,
      type: "normal",
      flags: SL_CT_F_INIT_A,
      legA: est,
      legB: est,
      createdNs: NOW - 60n * S,
      lastSeenNs: NOW - S,
      nat: { addr: "0.0.0.0", port: 0 },
      tunIp: "0.0.0.0",
    }),
  );
  // One batch, one syscall, so one CPU: sl_ct is an LRU map, and 60 single updates into its 64
  // slots from a process that moved between CPUs meanwhile could evict some of them (each CPU
  // keeps its own free list), which a loaded machine did once (44 of 60 left).
  ct.updateBatch(
    entries.map(([k]) => k),
    entries.map(([, v]) => v),
  );
  const live = dump(ct);
  assert.equal(live.size, LIVE, "every entry written is in sl_ct");
  return live;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const dump = (m: BpfMap): Map<string, string> => new Map([...m.entries()].map(([k, v]) => [hex(k), hex(v)]));

function pinnedCtSize(pinDir: string): number {
  const m = BpfMap.openPinned(mapPinPath(pinDir, SL_MAP.ct));
  try {
    return m.maxEntries;
  } finally {
    m.close();
  }
}

test(
  "DoubleIfFull: sl_ct over 90 % full across sweeps is doubled, keeps every live entry, programs move to it, once",
  requireRoot,
  async () => {
    const t = setup("DoubleIfFull");
    try {
      await t.sync.sync();
      const oldMaps = t.sync.maps!;
      const oldCt = oldMaps.get(SL_MAP.ct);
      assert.equal(oldCt.maxEntries, CT_SIZE);
      assert.deepEqual(t.events, ["attached eth0 hep"]);
      const live = fill(oldCt);
      assert.equal(live.size, LIVE);

      for (let i = 1; i < FULL_SWEEPS; i++) {
        const s = await t.sweeper.sweep();
        assert.equal(s?.live, LIVE, "every entry is live: the sweeper deletes none");
        assert.deepEqual(t.requested, [], `no growth after ${i} full sweep(s)`);
      }
      await t.sweeper.sweep();
      assert.deepEqual(t.requested, [2 * CT_SIZE], "growth requested after FULL_SWEEPS full sweeps");
      assert.equal(t.syncRequests.length, 1);

      await t.sync.sync(); // the pass the agent's scheduler runs on the request
      const newMaps = t.sync.maps!;
      const newCt = newMaps.get(SL_MAP.ct);
      assert.notEqual(newMaps, oldMaps, "the maps were reopened");
      assert.equal(newCt.maxEntries, 2 * CT_SIZE, "sl_ct doubled");
      assert.equal(pinnedCtSize(t.pinDir), 2 * CT_SIZE, "the pin is the doubled table");
      assert.deepEqual(dump(newCt), live, "every live entry is in the new table, byte for byte");
      assert.ok(oldCt.closed, "the old sl_ct is closed once programs moved off it");
      assert.deepEqual(t.events, ["attached eth0 hep", "updated eth0 hep"], "eth0 reloaded");
      assert.equal(t.attacher().attached.find((i) => i.name === "eth0")?.maps, newMaps);

      // The sweeper now reads the new table: 60/128 is not full, so no further request.
      for (let i = 0; i < FULL_SWEEPS + 1; i++)
        assert.equal((await t.sweeper.sweep())?.maxEntries, 2 * CT_SIZE);
      assert.deepEqual(t.requested, [2 * CT_SIZE]);

      // A further pass adopts the grown table: no rebuild, no reload.
      await t.sync.sync();
      assert.equal(t.sync.maps, newMaps, "no rebuild");
      assert.equal(pinnedCtSize(t.pinDir), 2 * CT_SIZE);
      assert.equal(t.events.length, 2, t.events.join("; "));
      assert.deepEqual(dump(newMaps.get(SL_MAP.ct)), live);
    } finally {
      await t.sweeper.stop();
      await t.sync.close();
      rmSync(t.pinDir, { recursive: true, force: true });
    }
  },
);

test("Disabled: a full sl_ct is never grown", requireRoot, async () => {
  const t = setup("Disabled");
  try {
    await t.sync.sync();
    const maps = t.sync.maps!;
    const live = fill(maps.get(SL_MAP.ct));
    for (let i = 0; i < 2 * FULL_SWEEPS; i++) assert.equal((await t.sweeper.sweep())?.live, LIVE);
    assert.deepEqual(t.requested, [], "no growth requested");
    // Even an explicit request (a stale one from before the switch) does not resize under Disabled.
    t.sync.growConntrack(2 * CT_SIZE);
    await t.sync.sync();
    assert.equal(t.sync.maps, maps, "no rebuild");
    assert.equal(pinnedCtSize(t.pinDir), CT_SIZE);
    assert.deepEqual(dump(maps.get(SL_MAP.ct)), live);
    assert.deepEqual(t.events, ["attached eth0 hep"]);
  } finally {
    await t.sweeper.stop();
    await t.sync.close();
    rmSync(t.pinDir, { recursive: true, force: true });
  }
});
