import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCpuList } from "./cpus.ts";

test("parseCpuList() counts ranges and single CPUs", () => {
  assert.equal(parseCpuList("0\n"), 1);
  assert.equal(parseCpuList("0-3"), 4);
  assert.equal(parseCpuList("0-3,8-11,16\n"), 9);
});
