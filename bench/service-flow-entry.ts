/**
 * writeServiceFlow puts one established TCP flow through a ClusterIP into an agent's pinned sl_ct
 * (its NAT_FWD and NAT_REV entries, last seen now), as the datapath would after a pod connected:
 * what makes the conntrack sweeper judge NAT entries against the Services' backends on every
 * sweep, as it does on any node with Service traffic. The bench's idle agent has no traffic of
 * its own.
 */
import { BpfMap } from "../src/bpf/map.ts";
import { SL_CT_F_INIT_A, SL_CT_LEG_ACK, SL_CT_LEG_SEEN, SL_CT_LEG_SYN } from "../src/datapath/abi/abi.ts";
import { mapPinPath } from "../src/datapath/datapath-maps.ts";
import { ConntrackMap, type CtEntry } from "../src/datapath/maps/index.ts";
import type { SyntheticService } from "./synthetic-services.ts";

const EST = SL_CT_LEG_SEEN | SL_CT_LEG_SYN | SL_CT_LEG_ACK;

/** writeServiceFlow writes a client → `s` flow DNATed to its first endpoint (a made-up backend without one). */
export function writeServiceFlow(pinDir: string, s: SyntheticService | undefined): void {
  const map = BpfMap.openPinned(mapPinPath(pinDir, "sl_ct"), "sl_ct");
  try {
    const ct = new ConntrackMap(map);
    // CLOCK_MONOTONIC, the datapath's bpf_ktime_get_ns: the flow is fresh for the whole window.
    const now = process.hrtime.bigint();
    const client = { addr: "198.18.250.1", port: 40_000 };
    const vip = { addr: s?.clusterIP ?? "198.18.128.0", port: s?.port ?? 80 };
    const backend = { addr: s?.endpoints[0] ?? "198.19.0.1", port: s?.targetPort ?? 8080 };
    const base: Omit<CtEntry, "a" | "b" | "type" | "nat"> = {
      proto: 6,
      flags: SL_CT_F_INIT_A,
      legA: EST,
      legB: EST,
      tunIp: "0.0.0.0",
      createdNs: now - 60_000_000_000n,
      lastSeenNs: now,
    };
    ct.put({ ...base, a: client, b: vip, type: "nat-fwd", nat: backend, legA: 0, legB: 0 });
    ct.put({ ...base, a: client, b: backend, type: "nat-rev", nat: vip });
  } finally {
    map.close();
  }
}
