import { AttachType, ProgramType } from "./program-type.ts";

/** ProgramSection is what an ELF section name says about the programs in it. */
export interface ProgramSection {
  readonly type: number;
  readonly attachType?: number;
}

/**
 * Section names libbpf and cilium/ebpf agree on, exact match. tcx and xdp carry an expected
 * attach type because BPF_LINK_CREATE checks it; plain `tc`/`classifier` load without one so
 * they attach either by tcx link or by the cls_bpf fallback.
 */
const exact: ReadonlyMap<string, ProgramSection> = new Map<string, ProgramSection>([
  ["tc", { type: ProgramType.SchedCls }],
  ["classifier", { type: ProgramType.SchedCls }],
  ["tcx/ingress", { type: ProgramType.SchedCls, attachType: AttachType.TcxIngress }],
  ["tcx/egress", { type: ProgramType.SchedCls, attachType: AttachType.TcxEgress }],
  ["action", { type: ProgramType.SchedAct }],
  ["xdp", { type: ProgramType.Xdp, attachType: AttachType.Xdp }],
  ["socket", { type: ProgramType.SocketFilter }],
  ["cgroup/skb", { type: ProgramType.CgroupSkb }],
  ["cgroup_skb/ingress", { type: ProgramType.CgroupSkb, attachType: AttachType.CgroupInetIngress }],
  ["cgroup_skb/egress", { type: ProgramType.CgroupSkb, attachType: AttachType.CgroupInetEgress }],
  ["cgroup/connect4", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupInet4Connect }],
  ["cgroup/connect6", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupInet6Connect }],
  ["cgroup/sendmsg4", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupUdp4Sendmsg }],
  ["cgroup/sendmsg6", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupUdp6Sendmsg }],
  ["cgroup/recvmsg4", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupUdp4Recvmsg }],
  ["cgroup/recvmsg6", { type: ProgramType.CgroupSockAddr, attachType: AttachType.CgroupUdp6Recvmsg }],
]);

/**
 * programSection maps an ELF section name to a program type and expected attach type.
 * `tc/<anything>`, `xdp/<anything>` and `socket/<anything>` are accepted so several programs
 * can be told apart by section too. Unknown names throw: a typo must not load as the wrong type.
 */
export function programSection(name: string): ProgramSection {
  const hit = exact.get(name);
  if (hit !== undefined) return hit;
  const prefix = name.split("/")[0] ?? "";
  if (prefix === "tc" || prefix === "classifier") return { type: ProgramType.SchedCls };
  if (prefix === "xdp") return { type: ProgramType.Xdp, attachType: AttachType.Xdp };
  if (prefix === "socket") return { type: ProgramType.SocketFilter };
  throw new Error(`load collection spec: section "${name}": unknown program type`);
}
