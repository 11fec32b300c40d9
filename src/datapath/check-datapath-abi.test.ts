import assert from "node:assert/strict";
import { test } from "node:test";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { AbiMismatchError } from "../errors/abi-mismatch-error.ts";
import { SL_ABI_LAYOUTS, SlCtKeyLayout } from "./abi/abi.ts";
import { checkDatapathAbi } from "./check-datapath-abi.ts";
import { kernelDatapathBackend } from "./kernel-datapath-backend.ts";

const obj = (name: string) => new URL(`../../bpf/obj/${name}`, import.meta.url).pathname;
// No map is created before the check, so a pin directory that cannot exist proves it ran first.
const NO_PINS = "/nonexistent/sluice-abi-test";

test("checkDatapathAbi accepts bpf/obj/tc.o with the generated layouts", async () => {
  const spec = await readCollectionSpecFile(obj("tc.o"));
  assert.ok(SL_ABI_LAYOUTS.length >= 10);
  checkDatapathAbi(spec);
});

test("the node's load path refuses an object without the datapath structs (AbiMismatchError, before any map)", async () => {
  const spec = await readCollectionSpecFile(obj("loader_test.o"));
  const backend = kernelDatapathBackend({ spec, pinDir: NO_PINS, attachMethod: "auto" });
  assert.throws(
    () => backend.openMaps({}),
    (e: unknown) => e instanceof AbiMismatchError && /struct not found in object btf/.test(e.message),
  );
});

test("the node's load path refuses tc.o when a codec's layout differs (a field moved)", async () => {
  const spec = await readCollectionSpecFile(obj("tc.o"));
  const moved = {
    ...SlCtKeyLayout,
    fields: SlCtKeyLayout.fields.map((f, i) => (i === 1 ? { ...f, offset: f.offset + 1 } : f)),
  };
  const abi = SL_ABI_LAYOUTS.map((a) =>
    a.typeName === "sl_ct_key" ? { typeName: a.typeName, layout: moved } : a,
  );
  const backend = kernelDatapathBackend({ spec, pinDir: NO_PINS, attachMethod: "auto", abi });
  assert.throws(
    () => backend.openMaps({}),
    (e: unknown) =>
      e instanceof AbiMismatchError &&
      /^check abi of "sl_ct_key\.\w+": offset is \d+ in btf, codec expects \d+$/.test(e.message),
  );
});

test("the agent's load path (openMapsAsync) refuses the same object before it creates any map", async () => {
  const spec = await readCollectionSpecFile(obj("loader_test.o"));
  const backend = kernelDatapathBackend({ spec, pinDir: NO_PINS, attachMethod: "auto" });
  await assert.rejects(
    backend.openMapsAsync!({}),
    (e: unknown) => e instanceof AbiMismatchError && /struct not found in object btf/.test(e.message),
  );
});
