/**
 * inMemoryDataplane: the agent's write path without a kernel — DataplaneSync with the service
 * proxy over the in-memory datapath (maps as byte-keyed RawMaps that count their writes), on a
 * described node (eth0 with the node's address, plus the pod veths given). Tests feed it a
 * ClusterCache and compare what the maps hold (`dump`) or how often they were written (`writes`).
 */
import { resolveAgentConfig } from "../../src/agent/agent-config.ts";
import { createAgentLogger } from "../../src/agent/agent-logger.ts";
import { AgentMetrics } from "../../src/agent/agent-metrics.ts";
import { DataplaneSync } from "../../src/agent/dataplane-sync.ts";
import { serviceSyncFactory } from "../../src/agent/proxy-service-sync.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { InMemoryDatapathBackend } from "../../src/datapath/in-memory-datapath-backend.ts";
import type { ClusterCache } from "../../src/datastore/cluster-cache.ts";
import type { ProxyHandover } from "../../src/fallback/proxy-handover.ts";
import type { HostProbe } from "../../src/host/host-probe.ts";
import type { DetectedNodeIp } from "../../src/host/node-ip.ts";
import type { Link } from "../../src/netlink/links.ts";

/** PodVeth is a pod's host-side veth as a CNI plugin wires it: /32 route and neighbour. */
export interface PodVeth {
  readonly index: number;
  readonly name: string;
  readonly ip: string;
}

/** InMemoryDataplaneOptions: the node, its address and its pods' veths. */
export interface InMemoryDataplaneOptions {
  readonly node: string;
  readonly nodeIp: string;
  readonly pods?: readonly PodVeth[];
}

/** MapDump is every map's entries as hex key → hex value. */
export type MapDump = Record<string, Record<string, string>>;

const NAT_AND_ROUTE_MAPS = [
  SL_MAP.routes,
  SL_MAP.nat_fe,
  SL_MAP.nat_be,
  SL_MAP.nat_src,
  SL_MAP.ct,
  SL_MAP.affinity,
];

const link = (index: number, name: string, mac: string): Link =>
  ({ index, name, type: 1, flags: 0, up: true, mtu: 1500, operState: "up", mac }) as unknown as Link;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const mac = (prefix: string, i: number): string => `${prefix}:${i.toString(16).padStart(2, "0")}`;

/** inMemoryDataplane builds the chain over `cache`; `close` releases it. */
export function inMemoryDataplane(cache: ClusterCache, o: InMemoryDataplaneOptions) {
  const nodeIp: DetectedNodeIp = { ip: o.nodeIp, iface: "eth0", ifindex: 2, mtu: 1500 };
  const pods = o.pods ?? [];
  const host: HostProbe = {
    readHostView: () => ({
      links: [
        link(1, "lo", "00:00:00:00:00:00"),
        link(2, "eth0", "02:00:00:00:00:02"),
        ...pods.map((p) => link(p.index, p.name, mac("ee:ee:ee:ee:ee", p.index))),
      ],
      hostRoutes: new Map(pods.map((p) => [p.ip, p.index])),
      neighbours: new Map(pods.map((p) => [`${p.index}/${p.ip}`, mac("0a:58:00:00:00", p.index)])),
    }),
    detectNodeIp: () => nodeIp,
    ifaceOfAddress: (ip) => (ip === nodeIp.ip ? nodeIp : undefined),
    podMac: () => undefined,
  };
  const backend = new InMemoryDatapathBackend([
    ...NAT_AND_ROUTE_MAPS.map((name) => ({ name, maxEntries: 256 })),
    { name: SL_MAP.globals, maxEntries: 1, array: { keySize: 4, valueSize: 40 } },
  ]);
  const config = resolveAgentConfig(
    { node: o.node, bpffsRoot: "/nonexistent-bpffs", interfacePrefix: "sl", stateDir: "none" },
    {},
    o.node,
  );
  const sync = new DataplaneSync({
    config,
    spec: { maps: new Map(), programs: new Map(), license: "" },
    cache,
    log: createAgentLogger(o.node, "silent"),
    metrics: new AgentMetrics(),
    failedChecks: [],
    handover: { active: "bpf", bpf: async () => {}, standard: async () => [] } as unknown as ProxyHandover,
    services: serviceSyncFactory(config)!,
    backend,
    host,
  });
  return {
    backend,
    sync,
    /** dump is what every pinned map holds now. */
    dump(): MapDump {
      const out: MapDump = {};
      for (const [name, m] of [...backend.pinned].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const entries = [...m.entries()].map(([k, v]) => [hex(k), hex(v)] as const).sort();
        out[name] = Object.fromEntries(entries);
      }
      return out;
    },
    /** writes is each map's count of updates and deletes so far. */
    writes(): Record<string, number> {
      return Object.fromEntries([...backend.pinned].map(([name, m]) => [name, m.writes]));
    },
    close: () => sync.close(),
  };
}
