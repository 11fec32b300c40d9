import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  SL_CT_LEG_ACK,
  SL_CT_LEG_FIN,
  SL_CT_LEG_RST,
  SL_CT_LEG_SEEN,
  SL_CT_LEG_SYN,
} from "../datapath/abi/abi.ts";
import { DEFAULT_CT_TIMEOUTS, ctLifetime, ctState, resolveCtTimeouts } from "./conntrack-lifetime.ts";

const S = 1_000_000_000n;
const SYN = SL_CT_LEG_SEEN | SL_CT_LEG_SYN;
const SYNACK = SYN | SL_CT_LEG_ACK;
const now = 100_000n * S;

function entry(proto: number, legA: number, legB: number, idleS: number, ageS = 1000) {
  return { proto, legA, legB, createdNs: now - BigInt(ageS) * S, lastSeenNs: now - BigInt(idleS) * S };
}

describe("ctState()", () => {
  test("follows the TCP legs as conntrack.h does", () => {
    assert.equal(ctState({ proto: 6, legA: SYN, legB: 0 }), "SYN_SENT", "a SYN nobody answered");
    assert.equal(ctState({ proto: 6, legA: SYN, legB: SYNACK }), "SYN_SENT", "SYN-ACK not yet acknowledged");
    assert.equal(ctState({ proto: 6, legA: SYNACK, legB: SYNACK }), "ESTABLISHED");
    assert.equal(
      ctState({ proto: 6, legA: SYNACK | SL_CT_LEG_FIN, legB: SYNACK }),
      "ESTABLISHED",
      "half-closed",
    );
    assert.equal(
      ctState({ proto: 6, legA: SYNACK | SL_CT_LEG_FIN, legB: SYNACK | SL_CT_LEG_FIN }),
      "FIN_WAIT",
    );
    assert.equal(ctState({ proto: 6, legA: SYNACK, legB: SYNACK | SL_CT_LEG_RST }), "CLOSED_RST");
    assert.equal(ctState({ proto: 17, legA: SL_CT_LEG_SEEN, legB: 0 }), "UDP");
    assert.equal(ctState({ proto: 1, legA: SL_CT_LEG_SEEN, legB: 0 }), "ICMP");
    assert.equal(ctState({ proto: 132, legA: SL_CT_LEG_SEEN, legB: 0 }), "GENERIC");
  });

  test("a one-sided entry (DSR ingress node) is established by the client's ACK and closing by its FIN", () => {
    assert.equal(ctState({ proto: 6, legA: 0, legB: SYNACK }), "ESTABLISHED");
    assert.equal(ctState({ proto: 6, legA: SYNACK | SL_CT_LEG_FIN, legB: 0 }), "FIN_WAIT");
  });
});

describe("ctLifetime()", () => {
  const t = DEFAULT_CT_TIMEOUTS;
  test("an established flow idle 59 min lives 1 min more; idle 61 min it has expired", () => {
    const live = ctLifetime(entry(6, SYNACK, SYNACK, 59 * 60), t, now);
    assert.equal(live.state, "ESTABLISHED");
    assert.equal(live.expired, false);
    assert.equal(live.remainingNs, 60n * S);
    const gone = ctLifetime(entry(6, SYNACK, SYNACK, 61 * 60), t, now);
    assert.equal(gone.expired, true);
    assert.equal(gone.remainingNs, 0n);
  });

  test("each state has its own timeout, judged strictly after it as the datapath does", () => {
    const cases: [number, number, number, number][] = [
      [6, SYN, 0, t.tcpSynSent],
      [6, SYNACK | SL_CT_LEG_FIN, SYNACK | SL_CT_LEG_FIN, t.tcpFinsSeen],
      [6, SYNACK | SL_CT_LEG_RST, SYNACK, t.tcpResetSeen],
      [17, SL_CT_LEG_SEEN, 0, t.udp],
      [132, SL_CT_LEG_SEEN, 0, t.generic],
    ];
    for (const [proto, a, b, timeout] of cases) {
      assert.equal(
        ctLifetime(entry(proto, a, b, timeout), t, now).expired,
        false,
        `${proto} at ${timeout} s`,
      );
      assert.equal(
        ctLifetime(entry(proto, a, b, timeout + 1), t, now).expired,
        true,
        `${proto} at ${timeout + 1} s`,
      );
    }
  });

  test("nothing expires within the creation grace period", () => {
    const young = ctLifetime(entry(1, SL_CT_LEG_SEEN, 0, 8, 9), t, now);
    assert.equal(young.expired, false, "ICMP idle 8 s but created 9 s ago");
    assert.equal(young.inGrace, true);
    assert.equal(young.remainingNs, 1n * S);
    assert.equal(ctLifetime(entry(1, SL_CT_LEG_SEEN, 0, 8, 11), t, now).expired, true);
  });

  test("resolveCtTimeouts keeps defaults for 0 and fractions, as sl_globals' whole seconds do", () => {
    const r = resolveCtTimeouts({ tcpEstablished: 120, udp: 0, icmp: 0.5 });
    assert.equal(r.tcpEstablished, 120);
    assert.equal(r.udp, 60);
    assert.equal(r.icmp, 5);
  });
});
