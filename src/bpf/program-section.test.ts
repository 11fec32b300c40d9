import assert from "node:assert/strict";
import { test } from "node:test";
import { programSection } from "./program-section.ts";
import { AttachType, ProgramType } from "./program-type.ts";

test("programSection() maps tc and tcx sections to sched_cls, tcx with its attach type", () => {
  assert.deepEqual(programSection("tc"), { type: ProgramType.SchedCls });
  assert.deepEqual(programSection("classifier"), { type: ProgramType.SchedCls });
  assert.deepEqual(programSection("tcx/ingress"), {
    type: ProgramType.SchedCls,
    attachType: AttachType.TcxIngress,
  });
  assert.deepEqual(programSection("tcx/egress"), {
    type: ProgramType.SchedCls,
    attachType: AttachType.TcxEgress,
  });
  assert.deepEqual(programSection("tc/from_wep"), { type: ProgramType.SchedCls });
});

test("programSection() maps xdp, socket and cgroup sections", () => {
  assert.deepEqual(programSection("xdp"), { type: ProgramType.Xdp, attachType: AttachType.Xdp });
  assert.deepEqual(programSection("socket"), { type: ProgramType.SocketFilter });
  assert.deepEqual(programSection("cgroup/connect4"), {
    type: ProgramType.CgroupSockAddr,
    attachType: AttachType.CgroupInet4Connect,
  });
  assert.deepEqual(programSection("cgroup/sendmsg6"), {
    type: ProgramType.CgroupSockAddr,
    attachType: AttachType.CgroupUdp6Sendmsg,
  });
  assert.deepEqual(programSection("cgroup_skb/egress"), {
    type: ProgramType.CgroupSkb,
    attachType: AttachType.CgroupInetEgress,
  });
});

test("programSection() rejects an unknown section instead of guessing a type", () => {
  assert.throws(
    () => programSection("kprobe/foo"),
    /^Error: load collection spec: section "kprobe\/foo": unknown program type$/,
  );
});
