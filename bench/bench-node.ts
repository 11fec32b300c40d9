/**
 * loadBenchNode loads bpf/obj/tc.o as one node, the way the datapath suites do
 * (test/datapath/dp-harness.ts): a first load owns the shared maps, and each pod interface is a
 * further load with that interface's `.rodata` constants, sharing those maps. close() closes
 * every fd; nothing is attached or pinned. Needs CAP_BPF and CAP_NET_ADMIN.
 */
import { loadCollection } from "../src/bpf/collection.ts";
import type { Collection } from "../src/bpf/collection.ts";
import type { BpfMap } from "../src/bpf/map.ts";
import type { Program } from "../src/bpf/program.ts";
import {
  ConntrackMap,
  CountersMap,
  NatBackendMap,
  NatFrontendMap,
  RoutesMap,
} from "../src/datapath/maps/index.ts";
import { tcObjectSpec } from "./kernel-nat-maps.ts";

/** CFG_ROLE_WEP is cfg_role for a workload (pod) interface. */
const CFG_ROLE_WEP = 1;

/** BenchNode is one loaded node: typed map views and a from_wep per pod interface. */
export interface BenchNode {
  readonly ct: ConntrackMap;
  readonly ctRaw: BpfMap;
  readonly fe: NatFrontendMap;
  readonly be: NatBackendMap;
  readonly routes: RoutesMap;
  readonly counters: CountersMap;
  /** raw returns one of the shared maps by name (for a writer that takes RawMaps). */
  raw(name: string): BpfMap;
  /** Every shared map by name (sl_pol_jump, sl_pol_endpoints, ...), for policy programs. */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /**
   * fromWep loads (once per ifindex) the from_wep program of a pod interface; with polDoneSlot,
   * the interface's policy continuation (pol_done) is placed in that sl_pol_jump slot, as the
   * agent's attacher does, so policy can run.
   */
  fromWep(ifindex: number, options?: { readonly polDoneSlot?: number }): Program;
  close(): void;
}

const ip4Const = (text: string): Uint8Array => Uint8Array.from(text.split(".").map(Number));

/** loadBenchNode loads the node whose address is hostIp. */
export async function loadBenchNode(hostIp: string): Promise<BenchNode> {
  const spec = await tcObjectSpec();
  const base = loadCollection(spec, { programs: [], constants: { cfg_host_ip: ip4Const(hostIp) } });
  const loads: Collection[] = [base];
  const progs = new Map<number, Program>();
  const close = (): void => {
    for (const c of loads.reverse()) c.close();
  };
  try {
    const m = (name: string): BpfMap => {
      const map = base.maps.get(name);
      if (!map) throw new Error(`load bench node: map "${name}" missing from the object`);
      return map;
    };
    const shared = Object.fromEntries([...base.maps].filter(([n]) => n.startsWith("sl_")));
    return {
      ct: new ConntrackMap(m("sl_ct")),
      ctRaw: m("sl_ct"),
      fe: new NatFrontendMap(m("sl_nat_fe")),
      be: new NatBackendMap(m("sl_nat_be")),
      routes: new RoutesMap(m("sl_routes")),
      counters: new CountersMap(m("sl_counters")),
      raw: m,
      maps: new Map(Object.entries(shared)),
      fromWep(ifindex, options = {}) {
        const seen = progs.get(ifindex);
        if (seen) return seen;
        const done = options.polDoneSlot;
        const c = loadCollection(spec, {
          programs: done === undefined ? ["from_wep"] : ["from_wep", "pol_done"],
          constants: {
            cfg_ifindex: ifindex,
            cfg_role: CFG_ROLE_WEP,
            cfg_host_ip: ip4Const(hostIp),
            ...(done !== undefined ? { cfg_pol_done_slot: done } : {}),
          },
          replaceMaps: shared,
        });
        loads.push(c);
        const p = c.programs.get("from_wep");
        if (!p) throw new Error("load bench node: from_wep missing from the object");
        if (done !== undefined) {
          const pd = c.programs.get("pol_done");
          if (!pd) throw new Error("load bench node: pol_done missing from the object");
          const slot = new Uint8Array(4);
          new DataView(slot.buffer).setUint32(0, done, true);
          const fd = new Uint8Array(4);
          new DataView(fd.buffer).setUint32(0, pd.fd, true);
          m("sl_pol_jump").update(slot, fd);
        }
        progs.set(ifindex, p);
        return p;
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
