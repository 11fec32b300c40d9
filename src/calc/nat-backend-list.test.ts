import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NatBackendList } from "./nat-backend-list.ts";
import type { NatBackendEntry } from "./nat-state.ts";

const be = (svcId: number, index: number, addr: string, port: number): NatBackendEntry => ({
  key: { svcId, index },
  value: { addr, port },
});

describe("NatBackendList", () => {
  test("from() keeps every entry and their order, with any svc_ids and indexes", () => {
    const entries = [
      be(7, 0, "198.18.1.1", 80),
      be(7, 1, "198.18.1.2", 80),
      be(9, 0, "198.18.2.1", 8080),
      be(7, 5, "198.18.1.9", 81), // a gap: a run of its own
      be(7, 6, "198.18.1.10", 81),
      be(3, 2, "198.18.3.1", 53),
    ];
    const list = NatBackendList.from(entries);
    assert.equal(list.length, 6);
    assert.deepEqual([...list], entries);
    assert.deepEqual(list.svcIds(), [7, 9, 3]);
  });

  test("ofViews() gives each list slots [0, n) of its svc_id, as one entry per backend would", () => {
    const list = NatBackendList.ofViews(
      [4, 5, 6],
      [
        [
          { addr: "198.18.1.1", port: 80 },
          { addr: "198.18.1.2", port: 80 },
        ],
        [],
        [{ addr: "198.18.9.9", port: 443 }],
      ],
    );
    assert.deepEqual(
      [...list],
      [be(4, 0, "198.18.1.1", 80), be(4, 1, "198.18.1.2", 80), be(6, 0, "198.18.9.9", 443)],
    );
    assert.deepEqual(list, NatBackendList.from(list), "the same packing either way");
  });

  test("get() and entriesOf() find a slot by svc_id and index, and nothing outside the runs", () => {
    const list = NatBackendList.from([
      be(7, 0, "198.18.1.1", 80),
      be(7, 1, "198.18.1.2", 80),
      be(9, 3, "198.18.2.1", 8080),
    ]);
    assert.deepEqual(list.get(7, 1), be(7, 1, "198.18.1.2", 80));
    assert.deepEqual(list.get(9, 3), be(9, 3, "198.18.2.1", 8080));
    assert.equal(list.get(7, 2), undefined);
    assert.equal(list.get(9, 0), undefined);
    assert.equal(list.get(8, 0), undefined);
    assert.deepEqual([...list.entriesOf(7)], [be(7, 0, "198.18.1.1", 80), be(7, 1, "198.18.1.2", 80)]);
    assert.deepEqual([...list.entriesOf(8)], []);
  });

  test("its JSON is the list of entries (what the NAT snapshot recorded before it was packed)", () => {
    const entries = [be(7, 0, "198.18.1.1", 80), be(7, 1, "198.18.1.2", 80)];
    const list = NatBackendList.from(entries);
    assert.equal(JSON.stringify({ backends: list }), JSON.stringify({ backends: entries }));
    const back = NatBackendList.from(JSON.parse(JSON.stringify(list)) as NatBackendEntry[]);
    assert.deepEqual(back, list);
  });

  test("packed lists (what the NAT snapshot records) come back as the same list; lists that do not make one are refused", () => {
    const entries = [
      be(7, 0, "198.18.1.1", 80),
      be(7, 1, "198.18.1.2", 80),
      be(9, 3, "198.18.2.1", 8080),
      be(7, 5, "198.18.1.9", 80),
    ];
    const list = NatBackendList.from(entries);
    const [runs, slots] = JSON.parse(JSON.stringify(list.packed())) as [unknown, unknown];
    assert.deepEqual(runs, [7, 0, 2, 9, 3, 1, 7, 5, 1]);
    const back = NatBackendList.fromPacked(runs, slots);
    assert.deepEqual(back, list);
    assert.deepEqual([...back!], entries);
    assert.equal(NatBackendList.fromPacked([], []), NatBackendList.EMPTY);
    const bad: [unknown, unknown, string][] = [
      [{}, slots, "runs not a list"],
      [runs, "x", "slots not a list"],
      [[7, 0], [], "runs not in threes"],
      [[7, 0, 0], [], "a run of length 0"],
      [[7, -1, 1], ["198.18.1.1", 80], "a negative index"],
      [[7, 0, 1.5], ["198.18.1.1", 80], "a fractional length"],
      [[7, 0, 2], ["198.18.1.1", 80], "fewer slots than the runs count"],
      [[7, 0, 1], ["198.18.1.1", 80, "198.18.1.2", 80], "more slots than the runs count"],
      [[7, 0, 1], [80, "198.18.1.1"], "port and address swapped"],
      [[7, 0, 1], ["198.18.1.1", "80"], "a port that is not a number"],
    ];
    for (const [r, sl, why] of bad) assert.equal(NatBackendList.fromPacked(r, sl), undefined, why);
  });

  test("an empty list is the shared EMPTY, and lists that differ compare unequal", () => {
    assert.equal(NatBackendList.from([]), NatBackendList.EMPTY);
    assert.equal(NatBackendList.ofViews([1], [[]]), NatBackendList.EMPTY);
    assert.equal(NatBackendList.EMPTY.length, 0);
    assert.deepEqual([...NatBackendList.EMPTY], []);
    assert.notDeepEqual(
      NatBackendList.from([be(7, 0, "198.18.1.1", 80)]),
      NatBackendList.from([be(7, 0, "198.18.1.1", 81)]),
    );
  });
});
