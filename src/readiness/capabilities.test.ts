import { test } from "node:test";
import assert from "node:assert/strict";
import { effectiveCapabilities, missingDataplaneCapabilities } from "./capabilities.ts";

test("missingDataplaneCapabilities() is empty for root's full set", () => {
  assert.deepEqual(
    missingDataplaneCapabilities(effectiveCapabilities("Name:\tx\nCapEff:\t000001ffffffffff\n")),
    [],
  );
});

test("missingDataplaneCapabilities() names CAP_BPF and CAP_NET_ADMIN for an unprivileged process", () => {
  assert.deepEqual(missingDataplaneCapabilities(effectiveCapabilities("CapEff:\t0000000000000000\n")), [
    "CAP_BPF",
    "CAP_NET_ADMIN",
  ]);
});

test("missingDataplaneCapabilities() accepts CAP_BPF + CAP_NET_ADMIN without CAP_SYS_ADMIN", () => {
  const caps = (1n << 39n) | (1n << 12n);
  assert.deepEqual(
    missingDataplaneCapabilities(effectiveCapabilities(`CapEff:\t${caps.toString(16).padStart(16, "0")}\n`)),
    [],
  );
});
