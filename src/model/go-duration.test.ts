import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGoDuration } from "./go-duration.ts";

test("parseGoDuration reads Go durations into milliseconds", () => {
  assert.equal(parseGoDuration("60s"), 60_000);
  assert.equal(parseGoDuration("1h30m"), 5_400_000);
  assert.equal(parseGoDuration("1.5m"), 90_000);
  assert.equal(parseGoDuration("500ms"), 500);
  assert.equal(parseGoDuration(".5s"), 500);
  assert.equal(parseGoDuration("1500us"), 1.5);
  // Go takes both micro signs: U+00B5 and the Greek U+03BC.
  assert.equal(parseGoDuration("1500\u00b5s"), 1.5);
  assert.equal(parseGoDuration("2m1500\u03bcs"), 120_001.5);
  assert.equal(parseGoDuration("0"), 0);
});

test("parseGoDuration refuses what Go refuses", () => {
  for (const bad of ["", "60", "1x", "s", ".s", "1h 30m", "-1s", "Auto", "1hh"])
    assert.equal(parseGoDuration(bad), undefined, bad);
});
