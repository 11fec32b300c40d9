/** natWritesOf / natStartOf: a start's NAT writes and how it learned the state, from its log line. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { natStartOf, natWritesOf } from "../../bench/nat-start-line.ts";

const counts = (added: number, updated: number, deleted: number) => ({ added, updated, deleted });
const line = (backends: object, snapshot?: object) =>
  JSON.stringify({
    level: 30,
    op: "sync",
    frontends: counts(0, 0, 0),
    backends,
    sourceRanges: counts(0, 0, 1),
    ...(snapshot ? { snapshot } : {}),
    msg: "adopted and synced nat maps",
  });

test("natWritesOf sums the last start's adds, updates and deletes; natStartOf names its source", () => {
  const log = [
    line(counts(5, 0, 0), { services: 10, reused: 9, recomputed: 1 }),
    JSON.stringify({ level: 30, op: "sync", backends: counts(7, 7, 7), msg: "synced nat maps" }),
    line(counts(1, 2, 3)),
  ].join("\n");
  assert.equal(natWritesOf(log), 7, "the last start: 1 + 2 + 3 backends and 1 source range");
  assert.equal(natStartOf(log), "read the maps");
  assert.equal(natStartOf(log.split("\n")[0]!), "snapshot 9/10 unchanged");
  assert.equal(natWritesOf(log.split("\n")[0]!), 6);
});

test("a log without a start line has no figure", () => {
  assert.equal(natWritesOf('{"msg":"synced nat maps"}\n'), undefined);
  assert.equal(natStartOf(""), "?");
});
