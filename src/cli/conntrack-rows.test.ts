import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_CT_TIMEOUTS } from "../calc/conntrack-lifetime.ts";
import { SL_CT_F_INIT_A } from "../datapath/abi/abi.ts";
import type { CtEntry } from "../datapath/maps/conntrack-map.ts";
import { conntrackRecords, formatRemaining } from "./conntrack-rows.ts";

const S = 1_000_000_000n;
const now = 10_000n * S;
const client = { addr: "198.19.1.10", port: 40000 };
const vip = { addr: "198.19.255.1", port: 80 };
const be = { addr: "198.19.1.11", port: 8080 };
const base = { proto: 6, flags: SL_CT_F_INIT_A, tunIp: "0.0.0.0", createdNs: now - 100n * S };

test("conntrackRecords() gives a NAT_FWD its NAT_REV's state and lifetime; a lone NAT_FWD is an orphan", () => {
  const fwd: CtEntry = {
    ...base,
    a: client,
    b: vip,
    type: "nat-fwd",
    nat: be,
    legA: 0,
    legB: 0,
    lastSeenNs: now - 2n * S,
  };
  const rev: CtEntry = {
    ...base,
    a: client,
    b: be,
    type: "nat-rev",
    nat: vip,
    legA: 0x13,
    legB: 0x13,
    lastSeenNs: now - 2n * S,
  };
  const [f, r] = conntrackRecords([fwd, rev], DEFAULT_CT_TIMEOUTS, now, "169.254.42.1");
  assert.equal(r!.state, "ESTABLISHED");
  assert.equal(f!.state, "ESTABLISHED");
  assert.equal(formatRemaining(f!), "59m58s");
  const [lone] = conntrackRecords([fwd], DEFAULT_CT_TIMEOUTS, now, "169.254.42.1");
  assert.equal(lone!.state, undefined);
  assert.equal(formatRemaining(lone!), "expired");
});
