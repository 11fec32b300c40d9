import assert from "node:assert/strict";
import { test } from "node:test";
import { durationSeconds } from "./duration-seconds.ts";

test("durationSeconds() reads Go durations and rounds sub-second ones up", () => {
  assert.equal(durationSeconds("60s"), 60);
  assert.equal(durationSeconds("1h30m"), 5400);
  assert.equal(durationSeconds("10m"), 600);
  assert.equal(durationSeconds("500ms"), 1);
  assert.equal(durationSeconds("1.5s"), 2);
});

test("durationSeconds() gives undefined for Auto and empty (datapath default)", () => {
  assert.equal(durationSeconds("Auto"), undefined);
  assert.equal(durationSeconds(""), undefined);
});

test("durationSeconds() rejects text that is not a duration", () => {
  assert.throws(() => durationSeconds("60"), /parse duration "60"/);
  assert.throws(() => durationSeconds("1hour"), RangeError);
});
