import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addClsact,
  attachBpfFilter,
  deleteBpfFilter,
  deleteClsact,
  hasClsact,
  listBpfFilters,
  replaceBpfFilter,
} from "./tc.ts";
import { createLink } from "./links.ts";
import { loadCollection, type Collection } from "../bpf/collection.ts";
import { readCollectionSpecFile } from "../bpf/read-collection-spec-file.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { withNetns } from "../kernel/netns.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

// Two loads of the same object give two programs with distinct ids, to see a swap happen.
async function loadTcPass(): Promise<Collection> {
  return loadCollection(
    await readCollectionSpecFile(new URL("../../bpf/obj/tc_pass.o", import.meta.url).pathname),
  );
}

test("addClsact() is idempotent and deleteClsact() removes it", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    createLink({ kind: "veth", name: "t0", peer: { name: "t1" } }, o);
    assert.equal(hasClsact("t0", o), false);
    addClsact("t0", o);
    addClsact("t0", o);
    assert.equal(hasClsact("t0", o), true);
    deleteClsact("t0", o);
    assert.equal(hasClsact("t0", o), false);
    assert.throws(() => deleteClsact("t0", o), /delete clsact qdisc from link "t0"/);
  });
});

test(
  "attachBpfFilter() attaches, lists id/tag/name, swaps atomically and detaches",
  requireRoot,
  async () => {
    const gen0 = await loadTcPass();
    const gen1 = await loadTcPass();
    try {
      const p0 = gen0.programs.get("tc_pass")!;
      const p1 = gen1.programs.get("tc_pass")!;
      await withTempNetns(1, ([ns]) => {
        const o = { netns: ns! };
        createLink({ kind: "veth", name: "t0", peer: { name: "t1" } }, o);
        addClsact("t0", o);
        attachBpfFilter("t0", { direction: "ingress", fd: p0.fd, name: "tc_pass.o:[tc]" }, o);
        attachBpfFilter("t0", { direction: "egress", fd: p0.fd, priority: 2, handle: 7 }, o);
        const [ing] = listBpfFilters("t0", "ingress", o);
        assert.deepEqual(
          { ...ing, index: 0 },
          {
            index: 0,
            direction: "ingress",
            priority: 1,
            protocol: 3,
            handle: 1,
            name: "tc_pass.o:[tc]",
            programId: p0.info().id,
            programTag: p0.info().tag,
            directAction: true,
          },
        );
        const [eg] = listBpfFilters("t0", "egress", o);
        assert.deepEqual([eg?.priority, eg?.handle, eg?.name], [2, 7, "sluice"]);
        assert.throws(
          () => attachBpfFilter("t0", { direction: "ingress", fd: p1.fd }, o),
          (e: unknown) => e instanceof SyscallError && e.code === "EEXIST",
        );
        replaceBpfFilter("t0", { direction: "ingress", fd: p1.fd, name: "tc_pass.o:[tc]" }, o);
        const after = listBpfFilters("t0", "ingress", o);
        assert.equal(after.length, 1, "replace keeps one filter");
        assert.equal(after[0]?.programId, p1.info().id);
        deleteBpfFilter("t0", { direction: "ingress" }, o);
        assert.deepEqual(listBpfFilters("t0", "ingress", o), []);
        assert.throws(
          () => deleteBpfFilter("t0", { direction: "ingress" }, o),
          /delete bpf filter from link "t0" ingress/,
        );
        // Inside withNetns without options: the socket is opened in the current namespace.
        withNetns(ns!, () => deleteBpfFilter("t0", { direction: "egress", priority: 2, handle: 7 }));
        assert.deepEqual(listBpfFilters("t0", "egress", o), []);
      });
    } finally {
      gen0.close();
      gen1.close();
    }
  },
);

test("attachBpfFilter() without clsact fails naming the link", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    createLink({ kind: "veth", name: "t0", peer: { name: "t1" } }, o);
    assert.throws(
      () => attachBpfFilter("t0", { direction: "ingress", fd: 0 }, o),
      /attach bpf filter on link "t0" ingress: E/,
    );
  });
});
