import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHeaderConstants } from "./parse-header-constants.ts";

test("parseHeaderConstants() reads enums with explicit, implicit and referenced values", () => {
  const h = parseHeaderConstants(`
    /* enum not_me { X = 1 }; */
    enum sl_drop { SL_DROP_NONE, SL_DROP_POLICY = 5, SL_DROP_NEXT, SL_DROP_ALIAS = SL_DROP_POLICY, SL_DROP_BIT = (1 << 4), };
    #define SL_MARK_SEEN 0x10u
    #define SL_NOT_A_NUMBER foo(1)
    struct sl_ct_key { __u32 a; };
  `);
  assert.deepEqual(h.enums, [
    {
      name: "sl_drop",
      values: [
        ["SL_DROP_NONE", 0],
        ["SL_DROP_POLICY", 5],
        ["SL_DROP_NEXT", 6],
        ["SL_DROP_ALIAS", 5],
        ["SL_DROP_BIT", 16],
      ],
    },
  ]);
  assert.deepEqual(h.defines, [["SL_MARK_SEEN", 16]]);
  assert.deepEqual(h.structs, ["sl_ct_key"]);
});

test("parseHeaderConstants() rejects an enum value it cannot evaluate", () => {
  assert.throws(
    () => parseHeaderConstants("enum e { A = sizeof(int) };"),
    /^Error: parse abi.h: enum e: cannot evaluate "sizeof\(int\)"$/,
  );
});
