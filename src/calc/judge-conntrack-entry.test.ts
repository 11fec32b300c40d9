import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  SL_CT_F_DSR,
  SL_CT_F_HAIRPIN,
  SL_CT_F_INIT_A,
  SL_CT_F_RESET,
  SL_CT_LEG_ACK,
  SL_CT_LEG_SEEN,
  SL_CT_LEG_SYN,
} from "../datapath/abi/abi.ts";
import { DEFAULT_CT_TIMEOUTS } from "./conntrack-lifetime.ts";
import {
  fwdKeyOf,
  judgeConntrackEntry,
  revKeyOf,
  type SweepContext,
  type SweepEntry,
} from "./judge-conntrack-entry.ts";

const S = 1_000_000_000n;
const now = 50_000n * S;
const EST = SL_CT_LEG_SEEN | SL_CT_LEG_SYN | SL_CT_LEG_ACK;
const client = { addr: "198.19.1.10", port: 40000 };
const vip = { addr: "198.19.255.1", port: 80 };
const backend = { addr: "198.19.1.11", port: 8080 };
const ctx = (backends: string[] = ["198.19.1.11:8080"]): SweepContext => ({
  timeouts: DEFAULT_CT_TIMEOUTS,
  nowNs: now,
  hairpinIp: "169.254.42.1",
  isBackend: (b) => backends.includes(`${b.addr}:${b.port}`),
});

function entry(over: Partial<SweepEntry>, idleS = 0, ageS = 100): SweepEntry {
  return {
    a: client,
    b: backend,
    proto: 6,
    type: "nat-rev",
    flags: SL_CT_F_INIT_A,
    legA: EST,
    legB: EST,
    nat: vip,
    createdNs: now - BigInt(ageS) * S,
    lastSeenNs: now - BigInt(idleS) * S,
    ...over,
  };
}

describe("judgeConntrackEntry()", () => {
  test("an expired NAT_REV goes with its NAT_FWD; a fresh one stays", () => {
    const v = judgeConntrackEntry(entry({}, 3601, 4000), undefined, ctx());
    assert.deepEqual(v, { action: "delete", reason: "expired", pair: { a: client, b: vip, proto: 6 } });
    assert.deepEqual(judgeConntrackEntry(entry({}, 3599, 4000), undefined, ctx()), { action: "keep" });
  });

  test("a NAT_FWD follows its NAT_REV, and goes alone when the NAT_REV is missing", () => {
    const fwd = entry({ type: "nat-fwd", b: vip, nat: backend, legA: 0, legB: 0 }, 30, 100);
    assert.deepEqual(
      judgeConntrackEntry(fwd, entry({}), ctx()),
      { action: "keep" },
      "legs empty, but its NAT_REV is established",
    );
    assert.deepEqual(judgeConntrackEntry(fwd, undefined, ctx()), { action: "delete", reason: "orphan" });
    assert.deepEqual(revKeyOf(fwd, "169.254.42.1"), { a: client, b: backend, proto: 6 });
  });

  test("nothing within the creation grace is touched, stale or not", () => {
    assert.deepEqual(judgeConntrackEntry(entry({}, 0, 5), undefined, ctx([])), { action: "keep" });
  });

  test("a backend that is no Service's backend any more: TCP flagged for a RST, UDP deleted, a flagged one left alone", () => {
    assert.deepEqual(judgeConntrackEntry(entry({}), undefined, ctx([])), {
      action: "reset",
      pair: { a: client, b: vip, proto: 6 },
    });
    assert.deepEqual(judgeConntrackEntry(entry({ proto: 17 }), undefined, ctx([])), {
      action: "delete",
      reason: "stale",
      pair: { a: client, b: vip, proto: 17 },
    });
    assert.deepEqual(
      judgeConntrackEntry(entry({ flags: SL_CT_F_INIT_A | SL_CT_F_RESET }), undefined, ctx([])),
      { action: "keep" },
    );
    assert.deepEqual(judgeConntrackEntry(entry({}), undefined, ctx()), { action: "keep" });
  });

  test("pair keys: a DSR backend node's NAT_REV has none; a hairpin pair goes through the loopback address", () => {
    assert.equal(fwdKeyOf(entry({ flags: SL_CT_F_INIT_A | SL_CT_F_DSR })), undefined);
    const lo = { addr: "169.254.42.1", port: 40000 };
    const hairRev = entry({
      a: lo,
      b: { addr: client.addr, port: 8080 },
      flags: SL_CT_F_HAIRPIN | SL_CT_F_INIT_A,
    });
    assert.deepEqual(fwdKeyOf(hairRev), { a: client, b: vip, proto: 6 });
    const hairFwd = entry({
      type: "nat-fwd",
      b: vip,
      nat: { addr: client.addr, port: 8080 },
      flags: SL_CT_F_HAIRPIN | SL_CT_F_INIT_A,
    });
    assert.deepEqual(revKeyOf(hairFwd, "169.254.42.1"), {
      a: lo,
      b: { addr: client.addr, port: 8080 },
      proto: 6,
    });
  });
});
