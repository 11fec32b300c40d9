import { test } from "node:test";
import assert from "node:assert/strict";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { policyMapSpecs } from "./policy-maps.ts";

test("policyMapSpecs() agree with the maps bpf/test/policy_abi.c declares with the abi.h types", async () => {
  const spec = await readCollectionSpecFile(new URL("../../bpf/obj/policy_abi.o", import.meta.url).pathname);
  for (const m of policyMapSpecs()) {
    const c = spec.maps.get(m.name);
    assert.ok(c, `map ${m.name} in policy_abi.o`);
    assert.deepEqual(
      [m.type, m.keySize, m.valueSize, m.maxEntries, m.flags],
      [c.type, c.keySize, c.valueSize, c.maxEntries, c.flags],
      m.name,
    );
  }
});
