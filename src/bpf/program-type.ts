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

export const AttachType = {
  CgroupInetIngress: 0,
  CgroupInetEgress: 1,
  CgroupInet4Connect: 10,
  CgroupUdp4Sendmsg: 14,
  Xdp: 37,
  TcxIngress: 46,
  TcxEgress: 47,
} as const;
export type AttachType = (typeof AttachType)[keyof typeof AttachType];
