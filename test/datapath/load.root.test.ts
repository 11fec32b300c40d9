/**
 * tc.o loads on this kernel for every interface role (the verifier sees different .rodata and
 * prunes differently), every generated codec matches the object's BTF, and each program's size
 * is reported.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadCollection } from "../../src/bpf/collection.ts";
import { SL_ABI_LAYOUTS } from "../../src/datapath/abi/abi.ts";
import { programSizes } from "../../src/datapath/program-sizes.ts";
import { requireRoot } from "../support/root.ts";
import { ip4Const, tcSpec } from "./dp-harness.ts";

// Every abi.h struct tc.o carries (the generator lists them; the policy structs live in their own programs).
const layouts = SL_ABI_LAYOUTS.map((a) => a.layout);

for (const role of [1, 2]) {
  test(
    `tc.o loads as role ${role === 1 ? "wep" : "hep"} with every abi.h codec it carries checked against its BTF`,
    requireRoot,
    async () => {
      const spec = await tcSpec();
      const c = loadCollection(spec, {
        constants: { cfg_role: role, cfg_ifindex: 7, cfg_host_ip: ip4Const("198.18.0.1") },
        abi: layouts.map((layout) => ({ typeName: layout.name, layout })),
      });
      try {
        assert.deepEqual([...c.programs.keys()].sort(), [
          "from_hep",
          "from_wep",
          "pol_done",
          "to_hep",
          "to_wep",
        ]);
        assert.deepEqual([...c.maps.keys()].filter((m) => m.startsWith("sl_")).sort(), [
          "sl_affinity",
          "sl_counters",
          "sl_ct",
          "sl_dns_events",
          "sl_dns_hold",
          "sl_failsafe",
          "sl_frags",
          "sl_globals",
          "sl_ipsets",
          "sl_nat_be",
          "sl_nat_fe",
          "sl_nat_src",
          "sl_pol_endpoints",
          "sl_pol_events",
          "sl_pol_hits",
          "sl_pol_jump",
          "sl_pol_jump_xdp",
          "sl_pol_resume",
          "sl_pol_state",
          "sl_routes",
        ]);
      } finally {
        c.close();
      }
      for (const p of programSizes(spec)) console.log(`program size: ${p.name} ${p.instructions} insns`);
    },
  );
}
