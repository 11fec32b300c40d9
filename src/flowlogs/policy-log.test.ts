import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SL_EVENT_FLOW,
  SL_EVENT_POLICY_LOG,
  SlPolLogEventLayout,
  writeSlPolLogEvent,
  type SlPolLogEvent,
} from "../datapath/abi/abi.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";
import { decodePolicyLogEvent, describePolicyLog } from "./policy-log-event.ts";
import { PolicyLogLimiter } from "./policy-log-limiter.ts";

function record(over: { type?: number; len?: number; ipVersion?: number; proto?: number } = {}): Uint8Array {
  const bytes = new Uint8Array(SlPolLogEventLayout.size);
  writeSlPolLogEvent(new DataView(bytes.buffer), 0, {
    hdr: { type: over.type ?? SL_EVENT_POLICY_LOG, len: over.len ?? SlPolLogEventLayout.size, tsNs: 5n },
    srcAddr: ipv4ToNumber("198.18.7.7"),
    dstAddr: ipv4ToNumber("198.18.1.9"),
    srcPort: 40002,
    dstPort: 22,
    proto: over.proto ?? 6,
    ipVersion: over.ipVersion ?? 4,
    icmpType: 8,
    icmpCode: 0,
    ruleId: 11,
    tier: 0,
  } satisfies SlPolLogEvent);
  return bytes;
}

test("decodePolicyLogEvent reads a Log rule's event and refuses what is not one, without throwing", () => {
  const d = decodePolicyLogEvent(record());
  assert.equal(d.kind, "log");
  if (d.kind !== "log") return;
  assert.deepEqual(
    {
      src: d.event.srcIp,
      dst: d.event.dstIp,
      sport: d.event.srcPort,
      dport: d.event.dstPort,
      rule: d.event.ruleId,
    },
    { src: "198.18.7.7", dst: "198.18.1.9", sport: 40002, dport: 22, rule: 11 },
  );
  assert.deepEqual(decodePolicyLogEvent(record({ type: SL_EVENT_FLOW })), {
    kind: "other",
    type: SL_EVENT_FLOW,
  });
  assert.equal(decodePolicyLogEvent(record().subarray(0, 20)).kind, "malformed");
  assert.equal(decodePolicyLogEvent(new Uint8Array(3)).kind, "malformed");
  assert.equal(decodePolicyLogEvent(record({ len: 12 })).kind, "malformed");
  assert.equal(decodePolicyLogEvent(record({ ipVersion: 6 })).kind, "malformed");
});

test("describePolicyLog names the rule (or its id) and the packet; ICMP by type and code", () => {
  const tcp = decodePolicyLogEvent(record());
  const icmp = decodePolicyLogEvent(record({ proto: 1 }));
  assert.ok(tcp.kind === "log" && icmp.kind === "log");
  assert.equal(
    describePolicyLog(tcp.event, "t|ns/p|log|0"),
    "policy log: t|ns/p|log|0 TCP 198.18.7.7:40002 -> 198.18.1.9:22",
  );
  assert.equal(
    describePolicyLog(icmp.event, undefined),
    "policy log: rule 11 ICMP 198.18.7.7 -> 198.18.1.9 type 8 code 0",
  );
});

test("PolicyLogLimiter admits perSecond lines a second and reports the suppressed count with the next one", () => {
  const l = new PolicyLogLimiter(2);
  assert.deepEqual(
    [l.admit(1000), l.admit(1100), l.admit(1200), l.admit(1900)],
    [
      { ok: true, suppressed: 0 },
      { ok: true, suppressed: 0 },
      { ok: false, suppressed: 0 },
      { ok: false, suppressed: 0 },
    ],
  );
  assert.deepEqual(l.admit(2000), { ok: true, suppressed: 2 }, "a new second: the two suppressed are told");
  assert.deepEqual(l.admit(2001), { ok: true, suppressed: 0 });
});
