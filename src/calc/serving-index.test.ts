import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { slice } from "../../test/support/service-fixtures.ts";
import { ServingIndex } from "./serving-index.ts";
import { servingEndpointId } from "./serving-endpoints.ts";
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
});
