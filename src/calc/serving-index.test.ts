import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { slice } from "../../test/support/service-fixtures.ts";
import { ServingCounts, ServingIndex } from "./serving-index.ts";
import { servingEndpointId } from "./serving-endpoints.ts";
import { prng } from "../../test/support/random-services.ts";
import type { ServingEndpointId } from "./serving-endpoints.ts";

const id = (addr: string): ServingEndpointId => servingEndpointId(addr, 8080, 6);

describe("ServingIndex", () => {
  test("has() builds the counts once after a whole-cluster replaceAll", () => {
    const index = new ServingIndex();
    index.replaceAll(new Map([["default/a", [slice("a", [{ addr: "198.18.1.1" }])]]]));
    assert.equal(index.builds, 0);
    assert.equal(index.has(id("198.18.1.1")), true);
    assert.equal(index.has(id("198.18.1.2")), false);
    assert.equal(index.builds, 1);
  });

  test("build() ahead of the first question: the question then builds nothing", () => {
    const index = new ServingIndex();
    index.replaceAll(new Map([["default/a", [slice("a", [{ addr: "198.18.1.1" }])]]]));
    index.build();
    assert.equal(index.builds, 1);
    assert.equal(index.has(id("198.18.1.1")), true);
    assert.equal(index.builds, 1);
  });

  test("a replaceAll after the build moves only the changed groups and never rebuilds", () => {
    const a = [slice("a", [{ addr: "198.18.1.1" }])];
    const b = [slice("b", [{ addr: "198.18.2.1" }])];
    const c = [slice("c", [{ addr: "198.18.3.1" }, { addr: "198.18.1.1" }])];
    const index = new ServingIndex();
    index.replaceAll(
      new Map([
        ["default/a", a],
        ["default/b", b],
        ["default/c", c],
      ]),
    );
    index.build();
    // b changed, c gone, d new, a the same objects.
    const b2 = [slice("b", [{ addr: "198.18.2.2" }])];
    const d = [slice("d", [{ addr: "198.18.4.1", ready: false, serving: false }])];
    index.replaceAll(
      new Map([
        ["default/a", a],
        ["default/b", b2],
        ["default/d", d],
      ]),
    );
    assert.deepEqual(
      ["198.18.1.1", "198.18.2.1", "198.18.2.2", "198.18.3.1", "198.18.4.1"].map((x) => index.has(id(x))),
      [true, false, true, false, false],
    );
    assert.equal(index.builds, 1);
    index.replace("default/a", []);
    assert.equal(index.has(id("198.18.1.1")), false, "a's endpoint was counted once (c's went with c)");
  });

  test("ServingCounts counts ids as a Map keyed by each id would: shared and high addresses, text ids, big counts", () => {
    const random = prng(20261207);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    // Addresses above 127.255.255.255 turn negative as small integers; several ports and
    // protocols share an address; "::1" and "a.b" have text ids.
    const ids = [
      ...["198.18.0.1", "198.18.0.2", "10.0.0.1", "255.255.255.255", "0.0.0.0"].flatMap((addr) =>
        [80, 8080, 65535, 0].flatMap((port) =>
          [6, 17, 132].map((proto) => servingEndpointId(addr, port, proto)),
        ),
      ),
      servingEndpointId("::1", 80, 6),
      servingEndpointId("a.b", 80, 6),
    ];
    const model = new Map<ServingEndpointId, number>();
    const counts = new ServingCounts();
    let packedPast = 0;
    for (let round = 0; round < 4000; round++) {
      const x = pick(ids);
      // Mostly ones, sometimes a burst past what packs into one small integer (2^12).
      const by = (random() < 0.55 ? 1 : -1) * (random() < 0.02 ? 5000 : 1);
      const n = (model.get(x) ?? 0) + by;
      if (n > 0) model.set(x, n);
      else model.delete(x);
      if (n >= 4096) packedPast++;
      counts.add(x, by);
      assert.equal(counts.size, model.size, `round ${round}: size`);
      for (const y of ids) assert.equal(counts.has(y), model.has(y), `round ${round}: ${String(y)}`);
    }
    assert.ok(packedPast > 10, `${packedPast} rounds counted an id past 4096`);
    counts.clear();
    assert.equal(counts.size, 0);
    assert.equal(counts.has(ids[0]!), false);
  });
});
