/**
 * The maps a generated policy program references, by name (the loader resolves them to fds), and
 * their blueprints built from the generated abi.h layouts and sizes. bpf/test/policy_abi.c
 * declares the same maps in C; a test checks the two agree.
 */
import { MapType } from "../bpf/map-type.ts";
import type { MapSpec } from "../bpf/map-spec.ts";
import {
  SL_IPSETS_MAX_ENTRIES,
  SL_POL_EVENTS_SIZE,
  SL_POL_HITS_MAX_ENTRIES,
  SL_POL_JUMP_MAX_ENTRIES,
  SlIpsetKeyLayout,
  SlIpsetValueLayout,
  SlPolicyStateLayout,
} from "../datapath/abi/abi.ts";

/** PolicyMapName names the maps of the policy ABI (abi.h). */
export const PolicyMapName = {
  state: "sl_pol_state",
  jump: "sl_pol_jump",
  /** doNotTrack ingress programs, run in XDP (compilePolicy target "xdp"). */
  jumpXdp: "sl_pol_jump_xdp",
  ipsets: "sl_ipsets",
  hits: "sl_pol_hits",
  events: "sl_pol_events",
} as const;

/** BPF_F_NO_PREALLOC: LPM tries must be created with it. */
const NO_PREALLOC = 1;

const spec = (
  name: string,
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  flags = 0,
): MapSpec => ({ name, type, keySize, valueSize, maxEntries, flags, pinning: "none" });

/** policyMapSpecs returns the blueprints of the six policy maps. */
export function policyMapSpecs(): MapSpec[] {
  return [
    spec(PolicyMapName.state, MapType.PerCpuArray, 4, SlPolicyStateLayout.size, 1),
    spec(PolicyMapName.jump, MapType.ProgArray, 4, 4, SL_POL_JUMP_MAX_ENTRIES),
    spec(PolicyMapName.jumpXdp, MapType.ProgArray, 4, 4, SL_POL_JUMP_MAX_ENTRIES),
    spec(
      PolicyMapName.ipsets,
      MapType.LpmTrie,
      SlIpsetKeyLayout.size,
      SlIpsetValueLayout.size,
      SL_IPSETS_MAX_ENTRIES,
      NO_PREALLOC,
    ),
    spec(PolicyMapName.hits, MapType.PerCpuArray, 4, 8, SL_POL_HITS_MAX_ENTRIES),
    spec(PolicyMapName.events, MapType.RingBuf, 0, 0, SL_POL_EVENTS_SIZE),
  ];
}
