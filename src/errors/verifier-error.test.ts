import { test } from "node:test";
import assert from "node:assert/strict";
import { summarizeVerifierLog, VerifierError } from "./verifier-error.ts";

test("summarizeVerifierLog() keeps the last reason lines and drops the totals", () => {
  const log =
    "0: R1=ctx()\n1: r2 = *(u16 *)(r1 +12)\ninvalid access to packet, off=12 size=2\nprocessed 3 insns (limit 1000000)\n";
  assert.equal(
    summarizeVerifierLog(log),
    "0: R1=ctx() | 1: r2 = *(u16 *)(r1 +12) | invalid access to packet, off=12 size=2",
  );
});

test("VerifierError carries the whole log and names the program", () => {
  const e = new VerifierError("from_wep", 13, "a\nb\nR0 !read_ok\n");
  assert.match(e.message, /load program "from_wep": verifier rejected it/);
  assert.equal(e.log, "a\nb\nR0 !read_ok\n");
});
