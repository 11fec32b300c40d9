/**
 * Installs a fuzz Service table the way the agent does: NatReconciler (src/proxy) computing
 * through src/calc and writing node 1's sl_nat_fe / sl_nat_be / sl_nat_src through the kernel
 * map backend. The mutations break the installed maps on purpose, so the suite can show that the
 * checker notices a datapath that never NATs, rejects Services with backends, or picks a backend
 * outside the set — while the model keeps believing the table is installed.
 */
import { KernelNatMapBackend } from "../../src/proxy/kernel-nat-map-backend.ts";
import { NatReconciler } from "../../src/proxy/nat-reconciler.ts";
import type { BpfMap } from "../../src/bpf/map.ts";
import type { DpNode } from "./dp-harness.ts";
import type { ServiceTable } from "./fuzz-services.ts";
import { FW } from "./fuzz-world.ts";

/** Mutation names a deliberately broken installation (none: the honest one). */
export type Mutation = "none" | "empty-frontends" | "zero-count" | "foreign-backend";

/** FOREIGN_BACKEND is the address the "foreign-backend" mutation points every backend slot at. */
export const FOREIGN_BACKEND = "198.19.1.99";

function map(node: DpNode, name: string): BpfMap {
  const m = node.maps.get(name);
  if (m === undefined) throw new Error(`install services: map "${name}" missing`);
  return m;
}

/** installServices syncs `table` into node's NAT maps, then applies `mutation`; throws on problems calc reports. */
export function installServices(node: DpNode, table: ServiceTable, mutation: Mutation = "none"): void {
  const backend = new KernelNatMapBackend({
    frontends: map(node, "sl_nat_fe"),
    backends: map(node, "sl_nat_be"),
    conntrack: map(node, "sl_ct"),
    affinity: map(node, "sl_affinity"),
    sourceRanges: map(node, "sl_nat_src"),
  });
  const result = new NatReconciler(backend).sync({
    services: table.services,
    endpointSlices: table.slices,
    nodeName: FW.node,
    nodeAddresses: [FW.node1],
  });
  if (result.problems.length > 0) throw new Error(`install services: ${JSON.stringify(result.problems)}`);
  if (mutation === "empty-frontends") for (const [k] of [...node.fe.entries()]) node.fe.delete(k);
  if (mutation === "zero-count")
    for (const [k, v] of [...node.fe.entries()]) node.fe.set(k, { ...v, count: 0, localCount: 0 });
  if (mutation === "foreign-backend")
    for (const [k, v] of [...node.be.entries()])
      node.be.set(k.svcId, k.index, { ...v, addr: FOREIGN_BACKEND });
}

/** clearFlowState empties conntrack, affinity and fragment maps (between batches: the model forgets at the same time). */
export function clearFlowState(node: DpNode): void {
  for (const name of ["sl_ct", "sl_affinity", "sl_frags"]) {
    const m = map(node, name);
    for (const [k] of [...m.entries()]) m.delete(k);
  }
}
