import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SL_EVENT_FLOW,
  SL_EVENT_POLICY_LOG,
  SL_FLOW_HOOK_INGRESS,
  SlFlowEventLayout,
  SlPolVerdict,
  SlReason,
  encodeSlFlowEvent,
  type SlFlowEvent,
} from "../datapath/abi/abi.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";
import { decodeFlowEvent } from "./flow-event.ts";

const raw: SlFlowEvent = {
  hdr: { type: SL_EVENT_FLOW, len: SlFlowEventLayout.size, tsNs: 123n },
  srcAddr: ipv4ToNumber("198.19.1.10"),
  dstAddr: ipv4ToNumber("198.19.1.20"),
  origDstAddr: ipv4ToNumber("198.19.255.1"),
  srcPort: 40000,
  dstPort: 8080,
  origDstPort: 80,
  proto: 6,
  hook: SL_FLOW_HOOK_INGRESS,
  ifindex: 7,
  verdict: SlPolVerdict.SL_POL_DENY,
  ruleId: 31,
  tier: 1,
  reason: SlReason.SL_R_DROP_POLICY,
};

test("decodeFlowEvent reads a flow event", () => {
  const d = decodeFlowEvent(encodeSlFlowEvent(raw));
  assert.equal(d.kind, "flow");
  if (d.kind !== "flow") return;
  assert.deepEqual(d.event, {
    tsNs: 123n,
    srcIp: "198.19.1.10",
    dstIp: "198.19.1.20",
    origDstIp: "198.19.255.1",
    srcPort: 40000,
    dstPort: 8080,
    origDstPort: 80,
    proto: 6,
    hook: "ingress",
    ifindex: 7,
    action: "deny",
    ruleId: 31,
    tier: 1,
    reason: SlReason.SL_R_DROP_POLICY,
  });
});

test("decodeFlowEvent passes other event types by, and never throws on bad bytes", () => {
  const log = new Uint8Array(40);
  new DataView(log.buffer).setUint32(0, SL_EVENT_POLICY_LOG, true);
  assert.deepEqual(decodeFlowEvent(log), { kind: "other", type: SL_EVENT_POLICY_LOG });
  const full = encodeSlFlowEvent(raw);
  for (const n of [0, 3, 7, 16, 55]) {
    const d = decodeFlowEvent(full.subarray(0, n));
    assert.equal(d.kind, "malformed", `${n} bytes`);
  }
  const badLen = encodeSlFlowEvent({ ...raw, hdr: { ...raw.hdr, len: 12 } });
  assert.match((decodeFlowEvent(badLen) as { reason: string }).reason, /header length 12/);
  const badHook = encodeSlFlowEvent({ ...raw, hook: 99 });
  assert.match((decodeFlowEvent(badHook) as { reason: string }).reason, /hook 99/);
  const badVerdict = encodeSlFlowEvent({ ...raw, verdict: 0 });
  assert.match((decodeFlowEvent(badVerdict) as { reason: string }).reason, /verdict 0/);
  // random garbage: only ever one of the three kinds
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    const b = new Uint8Array((i % 70) + 1).map(() => (seed = (seed * 1103515245 + 12345) & 0xff));
    if (i % 2 === 0 && b.length >= 4) new DataView(b.buffer).setUint32(0, SL_EVENT_FLOW, true);
    assert.ok(["flow", "other", "malformed"].includes(decodeFlowEvent(b).kind));
  }
});
