/**
 * kernelPolicySync builds the agent's PolicySync over the live pinned maps: programs verified by
 * the kernel and written to sl_pol_jump (KernelPolicySink, with the policy maps relocated by fd;
 * doNotTrack ingress ones to sl_pol_jump_xdp),
 * members in sl_ipsets, hit counters in sl_pol_hits, and the dump record under
 * /run/sluice/policy/<pin dir>/.
 */
import { programIdsNamed } from "../bpf/list-programs.ts";
import { ProgramType } from "../bpf/program-type.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import type { DatapathMaps } from "../datapath/datapath-maps.ts";
import { KernelPolicySink } from "../datapath/policy/kernel-policy-sink.ts";
import { POLICY_PROGRAM_PREFIX } from "../policy/compile-policy.ts";
import { PolicyMapName } from "../policy/policy-maps.ts";
import { PolicyRecordFiles, policyRecordDir } from "./policy-record.ts";
import { PolicySync, type PolicySyncFactory } from "./policy-sync.ts";

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** kernelPolicySync is the PolicySyncFactory of the agent whose pins are under `pinDir`. */
export function kernelPolicySync(pinDir: string, recordDir?: string): PolicySyncFactory<DatapathMaps> {
  return (maps, log, metrics) => {
    const mapFds = new Map(Object.values(PolicyMapName).map((n) => [n, maps.get(n).fd] as const));
    // A prog array this opening created (a cold start, or one rebuilt) is known empty: its
    // adoption need not probe every slot for programs an earlier agent left.
    // An adopted one is probed only until every policy program of its type the kernel holds was met.
    const slotsOf = (
      name: string,
      type: ProgramType,
    ): { createdEmpty: boolean; programs: () => ReadonlySet<number> } => ({
      createdEmpty: !maps.adopted.includes(name),
      programs: () => programIdsNamed(POLICY_PROGRAM_PREFIX, type),
    });
    const sink = new KernelPolicySink(
      maps.get(SL_MAP.pol_jump),
      maps.get(SL_MAP.pol_endpoints),
      mapFds,
      slotsOf(SL_MAP.pol_jump, ProgramType.SchedCls),
    );
    const hits = maps.get(SL_MAP.pol_hits);
    // The same sink over sl_pol_jump_xdp: doNotTrack ingress programs, run by xdp_hep.
    const xdp = new KernelPolicySink(
      maps.get(SL_MAP.pol_jump_xdp),
      maps.get(SL_MAP.pol_endpoints),
      mapFds,
      slotsOf(SL_MAP.pol_jump_xdp, ProgramType.Xdp),
    );
    return new PolicySync({
      xdp,
      sink,
      ipsets: maps.get(SL_MAP.ipsets),
      log,
      metrics,
      zeroHits: (id) => hits.updatePerCpu(u32(id), new Uint8Array(8)),
      record: new PolicyRecordFiles(policyRecordDir(pinDir, recordDir)),
    });
  };
}
