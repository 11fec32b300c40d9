/** ProgramType and AttachType hold the kernel numbers Sluice uses (uapi linux/bpf.h). */
export const ProgramType = {
  SocketFilter: 1,
  SchedCls: 3,
  SchedAct: 4,
  Xdp: 6,
  CgroupSkb: 8,
  CgroupSockAddr: 18,
} as const;
export type ProgramType = (typeof ProgramType)[keyof typeof ProgramType];

/** AttachType holds the bpf_attach_type numbers Sluice uses (expected_attach_type, link attach). */
export const AttachType = {
  CgroupInetIngress: 0,
  CgroupInetEgress: 1,
  CgroupInet4Connect: 10,
  CgroupInet6Connect: 11,
  CgroupUdp4Sendmsg: 14,
  CgroupUdp6Sendmsg: 15,
  CgroupUdp4Recvmsg: 19,
  CgroupUdp6Recvmsg: 20,
  Xdp: 37,
  TcxIngress: 46,
  TcxEgress: 47,
} as const;
export type AttachType = (typeof AttachType)[keyof typeof AttachType];
