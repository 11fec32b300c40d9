/**
 * Shared set-up for the datapath root suites: a "node" is one load of bpf/obj/tc.o (its own
 * maps), and each interface on it is a further load with that interface's .rodata constants
 * sharing the node's maps (replaceMaps), exactly as the agent will attach them. Every test_run
 * happens inside a throwaway netns (sl-t-dp-*) so bpf_fib_lookup sees only the routes a test
 * put there, never the machine's.
 */
import { execFileSync } from "node:child_process";
import { loadCollection, type Collection, type ConstantValue } from "../../src/bpf/collection.ts";
import type { CollectionSpec } from "../../src/bpf/collection-spec.ts";
import type { BpfMap } from "../../src/bpf/map.ts";
import type { Program } from "../../src/bpf/program.ts";
import { readCollectionSpecFile } from "../../src/bpf/read-collection-spec-file.ts";
import {
  AffinityMap,
  ConntrackMap,
  CountersMap,
  GlobalsMap,
  NatBackendMap,
  NatFrontendMap,
  NatSourceRangeMap,
  RoutesMap,
  FragsMap,
} from "../../src/datapath/maps/index.ts";
import { createNetns, deleteNetns, netnsExists, withNetns } from "../../src/kernel/netns.ts";
import { packet } from "../packet/build-packet.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { parsePacket } from "../packet/parse-packet.ts";
import type { ParsedPacket } from "../packet/parsed-packet.ts";
import { verdictName } from "../support/prog-test-run.ts";
import { buildSkbCtx, type SkbCtxFields } from "../support/skb-ctx.ts";

export const PROGRAMS = ["from_wep", "to_wep", "from_hep", "to_hep"] as const;
export type ProgramName = (typeof PROGRAMS)[number];
/** An interface's programs: the four pipelines and its policy continuation (never run directly). */
export type IfacePrograms = Record<ProgramName | "pol_done", Program>;

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
let specPromise: Promise<CollectionSpec> | undefined;
/** tcSpec reads bpf/obj/tc.o once. */
export function tcSpec(): Promise<CollectionSpec> {
  specPromise ??= readCollectionSpecFile(OBJ);
  return specPromise;
}

/** ip4 turns dotted text into the u32 a `__be32` .rodata constant holds (network order in memory). */
export function ip4Const(text: string): Uint8Array {
  return Uint8Array.from(text.split(".").map(Number));
}

/** IfaceConfig are one interface's load-time constants. */
export interface IfaceConfig {
  ifindex: number;
  role: "wep" | "hep";
  tunnelMtu?: number;
  /** cfg_hairpin_ip, when not the default SL_HAIRPIN_IP_DEFAULT (every interface of a node must agree). */
  hairpinIp?: string;
  /** cfg_pol_done_slot: where the agent would place this interface's pol_done (0: none). */
  polDoneSlot?: number;
}

/** DpNode is one simulated node: shared maps, typed views, and per-interface programs. */
export interface DpNode {
  readonly hostIp: string;
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly ct: ConntrackMap;
  readonly fe: NatFrontendMap;
  readonly be: NatBackendMap;
  readonly src: NatSourceRangeMap;
  readonly routes: RoutesMap;
  readonly affinity: AffinityMap;
  readonly counters: CountersMap;
  readonly globals: GlobalsMap;
  readonly frags: FragsMap;
  /** iface loads (once) the programs for one interface. */
  iface(cfg: IfaceConfig): Promise<IfacePrograms>;
  close(): void;
}

/** loadNode loads the maps of one node whose address is hostIp. */
export async function loadNode(hostIp: string): Promise<DpNode> {
  const spec = await tcSpec();
  const base = loadCollection(spec, { programs: [], constants: { cfg_host_ip: ip4Const(hostIp) } });
  const loads: Collection[] = [base];
  const ifaces = new Map<number, IfacePrograms>();
  const m = (name: string): BpfMap => {
    const map = base.maps.get(name);
    if (!map) throw new Error(`load node: map "${name}" missing`);
    return map;
  };
  const shared = Object.fromEntries([...base.maps].filter(([n]) => n.startsWith("sl_")));
  return {
    hostIp,
    maps: base.maps,
    ct: new ConntrackMap(m("sl_ct")),
    fe: new NatFrontendMap(m("sl_nat_fe")),
    be: new NatBackendMap(m("sl_nat_be")),
    src: new NatSourceRangeMap(m("sl_nat_src")),
    routes: new RoutesMap(m("sl_routes")),
    affinity: new AffinityMap(m("sl_affinity")),
    counters: new CountersMap(m("sl_counters")),
    globals: new GlobalsMap(m("sl_globals")),
    frags: new FragsMap(m("sl_frags")),
    async iface(cfg) {
      const seen = ifaces.get(cfg.ifindex);
      if (seen) return seen;
      const constants: Record<string, ConstantValue> = {
        cfg_ifindex: cfg.ifindex,
        cfg_role: cfg.role === "wep" ? 1 : 2,
        cfg_host_ip: ip4Const(hostIp),
      };
      if (cfg.tunnelMtu !== undefined) constants.cfg_tunnel_mtu = cfg.tunnelMtu;
      if (cfg.hairpinIp !== undefined) constants.cfg_hairpin_ip = ip4Const(cfg.hairpinIp);
      if (cfg.polDoneSlot !== undefined) constants.cfg_pol_done_slot = cfg.polDoneSlot;
      const c = loadCollection(spec, { constants, replaceMaps: shared });
      loads.push(c);
      const progs = Object.fromEntries(
        [...PROGRAMS, "pol_done"].map((p) => [p, c.programs.get(p)!]),
      ) as IfacePrograms;
      ifaces.set(cfg.ifindex, progs);
      return progs;
    },
    close() {
      for (const c of loads.reverse()) c.close();
    },
  };
}

let nsCounter = 0;
/** TestNetns is a throwaway namespace (sl-t-dp-<pid>-<n>) the test runs programs in. */
export interface TestNetns {
  readonly name: string;
  /** ip runs `ip -n <ns> args...` (routes, neighbours, links). */
  ip(...args: string[]): void;
  /** sysctl sets a net.* sysctl inside the namespace. */
  sysctl(name: string, value: string): void;
  remove(): void;
}

/** makeNetns creates an empty namespace; remove() deletes it (call it in finally). */
export function makeNetns(): TestNetns {
  const name = `sl-t-dp-${process.pid}-${++nsCounter}`;
  createNetns(name);
  return {
    name,
    ip: (...args) => void execFileSync("ip", ["-n", name, ...args], { stdio: "pipe" }),
    sysctl: (key, value) =>
      void execFileSync("ip", ["netns", "exec", name, "sysctl", "-q", "-w", `${key}=${value}`], {
        stdio: "pipe",
      }),
    remove: () => {
      if (netnsExists(name)) deleteNetns(name);
    },
  };
}

/** DpRun is one program run. */
export interface DpRun {
  retval: number;
  verdict: string;
  data: Uint8Array;
  packet: ParsedPacket;
}

/**
 * runIn runs one packet through prog inside the namespace (test_run's FIB is the caller's);
 * `skb` sets the few `__sk_buff` fields test_run accepts (e.g. gsoSize/gsoSegs for a GSO packet).
 */
export function runIn(
  ns: TestNetns,
  prog: Program,
  input: Uint8Array | PacketSpec,
  skb?: SkbCtxFields,
): DpRun {
  const data = input instanceof Uint8Array ? input : packet(input);
  const ctx = skb === undefined ? {} : { ctx: buildSkbCtx(skb) };
  const r = withNetns(ns.name, () => prog.testRun({ data, dataSizeOut: data.length + 256, ...ctx }));
  return {
    retval: r.retval,
    verdict: verdictName("tc", r.retval),
    data: r.data,
    packet: parsePacket(r.data),
  };
}
