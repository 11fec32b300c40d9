import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { LoaderKeyLayout, LoaderValueLayout, LpmV4KeyLayout } from "../../test/abi/loader-test.ts";
import { AbiMismatchError } from "../errors/abi-mismatch-error.ts";
import { parseBtf } from "./btf/parse-btf.ts";
import { checkAbi } from "./check-abi.ts";
import { loadCollectionSpec } from "./load-collection-spec.ts";
import type { StructLayout } from "./struct-layout.ts";

const btf = parseBtf(
  loadCollectionSpec(readFileSync(new URL("../../bpf/obj/loader_test.o", import.meta.url))).btf!,
);

function mismatch(layout: StructLayout, detail: RegExp): void {
  assert.throws(
    () => checkAbi(layout, btf),
    (err: unknown) => {
      assert.ok(err instanceof AbiMismatchError);
      assert.match(err.message, detail);
      return true;
    },
  );
}

test("checkAbi() accepts the generated layouts for the object they came from", () => {
  checkAbi(LoaderKeyLayout, btf);
  checkAbi(LoaderValueLayout, btf);
  checkAbi(LpmV4KeyLayout, btf);
});

test("checkAbi() rejects a struct size that differs from BTF", () => {
  mismatch(
    { ...LoaderKeyLayout, size: 12 },
    /^check abi of "loader_key": size is 8 in btf, codec expects 12$/,
  );
});

test("checkAbi() rejects a field offset or size that differs from BTF", () => {
  const moved = LoaderValueLayout.fields.map((f) => (f.name === "flags" ? { ...f, offset: 20 } : f));
  mismatch(
    { ...LoaderValueLayout, fields: moved },
    /"loader_value\.flags": offset is 16 in btf, codec expects 20/,
  );
  const resized = LoaderKeyLayout.fields.map((f) => (f.name === "port" ? { ...f, size: 4 } : f));
  mismatch({ ...LoaderKeyLayout, fields: resized }, /"loader_key\.port": size is 2 in btf, codec expects 4/);
});

test("checkAbi() rejects a byte-order change (__be16 read as host order)", () => {
  const hostOrder = LoaderKeyLayout.fields.map((f) =>
    f.name === "port" ? { ...f, kind: "u16" as const } : f,
  );
  mismatch({ ...LoaderKeyLayout, fields: hostOrder }, /kind is "be16" in btf, codec expects "u16"/);
});

test("checkAbi() rejects BTF fields the codec does not know and codec fields BTF lacks", () => {
  mismatch(
    { ...LoaderKeyLayout, fields: LoaderKeyLayout.fields.slice(0, 3) },
    /btf has fields the codec lacks: "pad"/,
  );
  mismatch(
    {
      ...LoaderKeyLayout,
      fields: [...LoaderKeyLayout.fields, { name: "vni", offset: 8, size: 4, kind: "u32" }],
    },
    /"loader_key\.vni": field missing from btf/,
  );
});

test("checkAbi() rejects a struct the object does not define", () => {
  mismatch(
    { ...LoaderKeyLayout, name: "sl_nat_key" },
    /^check abi of "sl_nat_key": struct not found in object btf$/,
  );
});
