/**
 * Calico's Log action end to end: a generated program with a Log rule runs under
 * BPF_PROG_TEST_RUN, its event lands on sl_pol_events, and the agent's reader of that ring
 * (FlowLogService, here with flow logs OFF) writes the rule and the packet to the agent's log.
 * With nobody reading, a full ring loses Log events, and each one lost is counted in
 * sl_pol_hits[LOG_LOST_HIT_ID] (read + lost = every Log match, exactly).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { AgentLogger } from "../../src/agent/agent-logger.ts";
import { FlowLogService } from "../../src/agent/flow-log-service.ts";
import { EndpointNames } from "../../src/flowlogs/endpoint-names.ts";
import { SL_POL_SLOT_FIRST } from "../../src/datapath/abi/abi.ts";
import type { DatapathMaps } from "../../src/datapath/datapath-maps.ts";
import { ipv4ToNumber } from "../../src/model/ipv4.ts";
import { RingBufReader } from "../../src/bpf/ringbuf.ts";
import { compilePolicy } from "../../src/policy/compile-policy.ts";
import { PolicyMapName } from "../../src/policy/policy-maps.ts";
import { LOG_LOST_HIT_ID } from "../../src/policy/rule-ids.ts";
import type { EndpointPolicy, PolicyPacket } from "../../src/policy/rule-ir.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";
import { PolicyHarness } from "./policy-harness.ts";

let h: PolicyHarness | undefined;
let service: FlowLogService | undefined;
before(() => {
  if (isRoot) h = new PolicyHarness();
});
after(() => {
  service?.close();
  h?.close();
});

const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
const capture = {
  info(fields: Record<string, unknown>, msg: string) {
    lines.push({ fields, msg });
  },
  warn() {},
  error() {},
  debug() {},
} as unknown as AgentLogger;

const policy: EndpointPolicy = {
  endpoint: "shop/web-0",
  direction: "ingress",
  defaultAction: "allow",
  defaultRuleId: 1,
  tiers: [
    {
      name: "security",
      endOfTierRuleId: 10,
      policies: [
        {
          name: "shop/audit-ssh",
          rules: [
            { id: 11, action: "log", match: { protocol: 6, dstPorts: [{ first: 22, last: 22 }] } },
            { id: 12, action: "allow", match: {} },
          ],
        },
      ],
    },
  ],
};
const tcp = (src: string, sport: number, dport: number): PolicyPacket => ({
  srcAddr: ipv4ToNumber(src),
  dstAddr: ipv4ToNumber("198.18.1.9"),
  proto: 6,
  ipVersion: 4,
  hasPorts: true,
  srcPort: sport,
  dstPort: dport,
  icmpType: 0,
  icmpCode: 0,
});

test(
  "a Log rule's event is written to the agent's log with the rule and the packet, flow logs off",
  requireRoot,
  async () => {
    service = new FlowLogService({
      log: capture,
      names: () => new EndpointNames({ nodeName: "node1", pods: [], services: [] }),
      ruleLabel: (id) => (id === 11 ? "security|shop/audit-ssh|log|0" : undefined),
    });
    service.configure(undefined, { byName: h!.maps } as unknown as DatapathMaps);
    assert.equal(service.source, undefined, "flow logs stay off");
    const loaded = h!.load(compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST }));
    try {
      assert.equal(h!.run(loaded, tcp("198.18.7.7", 40001, 80)).ruleId, 12, "no Log rule match on 80");
      const got = h!.run(loaded, tcp("198.18.7.7", 40002, 22));
      assert.equal(got.ruleId, 12, "Log goes on to the next rule");
      await until("the policy log line", () => lines.some((l) => l.fields["op"] === "policy-log"), 5000);
      const logged = lines.filter((l) => l.fields["op"] === "policy-log");
      assert.equal(logged.length, 1, "only the port-22 flow matched the Log rule");
      assert.equal(
        logged[0]!.msg,
        "policy log: security|shop/audit-ssh|log|0 TCP 198.18.7.7:40002 -> 198.18.1.9:22",
      );
      assert.deepEqual(
        { ...logged[0]!.fields },
        {
          op: "policy-log",
          rule: "security|shop/audit-ssh|log|0",
          src: "198.18.7.7",
          dst: "198.18.1.9",
          proto: 6,
          sport: 40002,
          dport: 22,
        },
      );
    } finally {
      h!.unload(loaded);
    }
  },
);

test("a Log event that finds the ring full is counted as lost: read + lost = matches", requireRoot, () => {
  service?.close(); // nobody reads while the ring fills
  service = undefined;
  const loaded = h!.load(compilePolicy(policy, { slotBase: SL_POL_SLOT_FIRST }));
  try {
    h!.resetHits([11, LOG_LOST_HIT_ID]);
    const ring = h!.map(PolicyMapName.events);
    // More matches than the ring holds: each record is the event plus an 8-byte header.
    const runs = Math.ceil(ring.maxEntries / 40) + 100;
    for (let i = 0; i < runs; i++) h!.run(loaded, tcp("198.18.7.8", 20000 + (i % 40000), 22));
    let read = 0;
    const reader = new RingBufReader(ring, { poller: { add() {}, remove() {} } as never });
    reader.onRecord(() => read++);
    reader.close();
    const lost = h!.hits(LOG_LOST_HIT_ID);
    assert.equal(h!.hits(11), BigInt(runs), "every run matched the Log rule");
    assert.ok(lost > 0n, `the ring (${ring.maxEntries} bytes) overflowed`);
    assert.equal(BigInt(read) + lost, BigInt(runs), `read ${read} + lost ${lost} = ${runs} matches`);
  } finally {
    h!.unload(loaded);
  }
});
