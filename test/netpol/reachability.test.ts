import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertReachability,
  mismatches,
  renderTable,
  uniformReachability,
  withCells,
} from "./reachability.ts";

const pods = ["x/a", "x/b", "y/a"];

test("an equal matrix passes; a differing cell is named with both tables", () => {
  const all = uniformReachability(pods, true);
  assertReachability("same", all, uniformReachability(pods, true));
  const denied = withCells(all, false, [["x/b", "y/a"]]);
  assert.deepEqual(mismatches(all, denied), ["x/b -> y/a: expected ., got X"]);
  assert.throws(
    () => assertReachability("no policy", all, denied),
    (e: Error) =>
      /no policy: 1 cell\(s\) differ/.test(e.message) &&
      /x\/b\s+\.\s+\.\s+\[\.\/X\]/.test(e.message) &&
      e.message.includes("x/b -> y/a: expected ., got X"),
  );
});

test("renderTable shows rows and columns in pod order", () => {
  const t = renderTable(withCells(uniformReachability(pods, false), true, [["x/a", "x/a"]]));
  assert.deepEqual(
    t.split("\n").map((l) => l.trimEnd()),
    ["      x/a   x/b   y/a", "x/a   .     X     X", "x/b   X     X     X", "y/a   X     X     X"],
  );
});

test("withCells refuses a cell outside the matrix", () => {
  assert.throws(
    () => withCells(uniformReachability(pods, true), false, [["z/a", "x/a"]]),
    /no cell z\/a -> x\/a/,
  );
});
