/**
 * ConntrackSweeper against real sl_ct / sl_nat_be maps (created from bpf/obj/tc.o's specs, not
 * pinned): expired pairs go together, live and young entries stay, orphan NAT_FWD entries go,
 * stale NAT entries are acted on at the second sweep (UDP deleted, TCP flagged SL_CT_F_RESET),
 * a draining endpoint still listed in an EndpointSlice is kept, a 4096-entry table is swept in
 * chunks, and a table over 90 % full on two sweeps asks to double. Needs root (CAP_BPF).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BpfMap } from "../bpf/map.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { SL_CT_F_INIT_A, SL_CT_F_RESET, SL_CT_LEG_ACK, SL_CT_LEG_SEEN, SL_CT_LEG_SYN } from "./abi/abi.ts";
import { ConntrackMap, NatBackendMap, type CtEntry } from "./maps/index.ts";
import { ConntrackSweeper } from "./conntrack-sweeper.ts";
import { isRoot, requireRoot } from "../../test/support/root.ts";

const OBJ = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;
const S = 1_000_000_000n;
const NOW = 100_000n * S;
const EST = SL_CT_LEG_SEEN | SL_CT_LEG_SYN | SL_CT_LEG_ACK;
const vip = { addr: "198.19.255.1", port: 80 };
const quiet = { info() {}, warn() {}, debug() {} };

let ctMap: BpfMap;
let beMap: BpfMap;
before(async () => {
  if (!isRoot) return;
  const spec = await readCollectionSpecFile(OBJ);
  ctMap = BpfMap.create({ ...spec.maps.get("sl_ct")!, maxEntries: 8192, pinning: "none" });
  beMap = BpfMap.create({ ...spec.maps.get("sl_nat_be")!, pinning: "none" });
  new NatBackendMap(beMap).set(1, 0, { addr: "198.19.1.11", port: 8080 });
});
after(() => {
  ctMap?.close();
  beMap?.close();
});

/** pair writes a ClusterIP flow's NAT_FWD + NAT_REV, idle `idleS`, created `ageS` before NOW. */
function pair(
  ct: ConntrackMap,
  cport: number,
  backend: string,
  proto: number,
  idleS: number,
  ageS = 5000,
): void {
  const client = { addr: "198.19.1.10", port: cport };
  const times = { createdNs: NOW - BigInt(ageS) * S, lastSeenNs: NOW - BigInt(idleS) * S };
  const be = { addr: backend, port: 8080 };
  const base: Omit<CtEntry, "a" | "b" | "type" | "nat"> = {
    proto,
    flags: SL_CT_F_INIT_A,
    legA: EST,
    legB: EST,
    tunIp: "0.0.0.0",
    ...times,
  };
  ct.put({ ...base, a: client, b: vip, type: "nat-fwd", nat: be, legA: 0, legB: 0 });
  ct.put({ ...base, a: client, b: be, type: "nat-rev", nat: vip });
}

function sweeper(opts: { endpoints?: string[]; grown?: number[]; chunk?: number } = {}): ConntrackSweeper {
  return new ConntrackSweeper({
    maps: () => ({ ct: ctMap, natBe: beMap }),
    timeouts: () => ({}),
    endpoints: () => new Set(opts.endpoints ?? []),
    doubleIfFull: () => true,
    grow: (n) => opts.grown?.push(n),
    log: quiet,
    now: () => NOW,
    ...(opts.chunk ? { chunk: opts.chunk } : {}),
  });
}

function clear(): void {
  for (const k of [...ctMap.keys()]) ctMap.delete(k);
}

test(
  "expired pairs go together; established, young and in-grace flows stay; an orphan NAT_FWD goes",
  requireRoot,
  async () => {
    clear();
    const ct = new ConntrackMap(ctMap);
    pair(ct, 40001, "198.19.1.11", 6, 3601); // established, idle past 1 h
    pair(ct, 40002, "198.19.1.11", 6, 3599); // established, idle 59:59
    pair(ct, 40003, "198.19.1.11", 17, 61); // UDP past 60 s
    pair(ct, 40004, "198.19.1.11", 17, 61, 9); // UDP past 60 s but created 9 s ago: grace
    ct.put({
      a: { addr: "198.19.1.10", port: 40005 },
      b: vip,
      proto: 6,
      type: "nat-fwd",
      flags: SL_CT_F_INIT_A,
      legA: 0,
      legB: 0,
      createdNs: NOW - 100n * S,
      lastSeenNs: NOW,
      nat: { addr: "198.19.1.11", port: 8080 },
      tunIp: "0.0.0.0",
    });
    const s = await sweeper().sweep();
    assert.ok(s);
    assert.equal(s.scanned, 9);
    assert.equal(s.expired, 4);
    assert.equal(s.orphans, 1);
    const left = [...ct.entries()].map((e) => `${e.a.port}/${e.type}`).sort();
    assert.deepEqual(left, ["40002/nat-fwd", "40002/nat-rev", "40004/nat-fwd", "40004/nat-rev"]);
    assert.equal(s.live, 4);
  },
);

test(
  "a NAT entry whose backend left every Service: acted on at the second sweep — UDP deleted, TCP flagged for a RST; a draining endpoint is kept",
  requireRoot,
  async () => {
    clear();
    const ct = new ConntrackMap(ctMap);
    pair(ct, 41001, "198.19.1.99", 6, 1); // TCP to a removed backend
    pair(ct, 41002, "198.19.1.99", 17, 1); // UDP to a removed backend
    pair(ct, 41003, "198.19.1.77", 6, 1); // TCP to a terminating endpoint still in its EndpointSlice
    const sw = sweeper({ endpoints: ["198.19.1.77:8080"] });
    const first = await sw.sweep();
    assert.equal(first?.resetFlagged, 0, "not on the first sighting: a NAT sync may be mid-write");
    assert.equal(
      ct.get({ src: "198.19.1.10", dst: "198.19.1.99", sport: 41002, dport: 8080, proto: 17 })?.type,
      "nat-rev",
    );
    const second = await sw.sweep();
    assert.equal(second?.resetFlagged, 1);
    assert.equal(second?.staleDeleted, 2);
    for (const t of [
      { dst: "198.19.1.99", dport: 8080 },
      { dst: vip.addr, dport: 80 },
    ]) {
      assert.equal(
        (ct.get({ src: "198.19.1.10", sport: 41001, proto: 6, ...t })!.flags & SL_CT_F_RESET) !== 0,
        true,
        `TCP ${t.dst} flagged`,
      );
      assert.equal(
        ct.get({ src: "198.19.1.10", sport: 41002, proto: 17, ...t }),
        undefined,
        `UDP ${t.dst} deleted`,
      );
    }
    for (const t of [
      { dst: "198.19.1.77", dport: 8080 },
      { dst: vip.addr, dport: 80 },
    ]) {
      assert.equal(
        ct.get({ src: "198.19.1.10", sport: 41003, proto: 6, ...t })!.flags & SL_CT_F_RESET,
        0,
        `draining ${t.dst} kept`,
      );
    }
  },
);

test(
  "a table over 90 % full on two sweeps asks to double (DoubleIfFull); it is read in chunks",
  requireRoot,
  async () => {
    clear();
    const ct = new ConntrackMap(ctMap);
    for (let i = 0; i < 3700; i++) pair(ct, 20000 + i, "198.19.1.11", 6, 10); // 7400 of 8192 live
    const grown: number[] = [];
    const sw = sweeper({ grown, chunk: 512 });
    const first = await sw.sweep();
    assert.equal(first?.scanned, 7400);
    assert.deepEqual(grown, [], "one full sweep is not enough");
    await sw.sweep();
    assert.deepEqual(grown, [16384]);
  },
);

test(
  "with natGeneration, sl_nat_be is indexed once per generation: a backend removed without a NAT write counts until the generation moves",
  requireRoot,
  async () => {
    clear();
    const ct = new ConntrackMap(ctMap);
    pair(ct, 43001, "198.19.1.11", 6, 1); // TCP to the backend sl_nat_be holds
    let generation = 7;
    const sw = new ConntrackSweeper({
      maps: () => ({ ct: ctMap, natBe: beMap }),
      timeouts: () => ({}),
      endpoints: () => new Set(),
      doubleIfFull: () => true,
      grow: () => {},
      log: quiet,
      now: () => NOW,
      natGeneration: () => generation,
    });
    const be = new NatBackendMap(beMap);
    try {
      assert.equal((await sw.sweep())?.resetFlagged, 0);
      be.delete(1, 0); // not through the agent: the generation stays
      await sw.sweep();
      assert.equal((await sw.sweep())?.resetFlagged, 0, "the index of generation 7 still has the backend");
      generation++;
      await sw.sweep();
      assert.equal((await sw.sweep())?.resetFlagged, 1, "generation 8 re-read sl_nat_be: the flow is stale");
    } finally {
      be.set(1, 0, { addr: "198.19.1.11", port: 8080 });
    }
  },
);
