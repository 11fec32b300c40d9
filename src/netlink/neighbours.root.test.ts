import { test } from "node:test";
import assert from "node:assert/strict";
import { addNeighbour, deleteNeighbour, listNeighbours, replaceNeighbour } from "./neighbours.ts";
import { createLink } from "./links.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

test(
  "addNeighbour() adds permanent and reachable v4/v6 entries; replace and delete them",
  requireRoot,
  async () => {
    await withTempNetns(1, ([ns]) => {
      const o = { netns: ns! };
      const link = createLink({ kind: "veth", name: "n0", peer: { name: "n1" }, up: true }, o);
      addNeighbour("n0", "198.18.0.9", { ...o, lladdr: "02:00:00:00:00:09" });
      addNeighbour("n0", "2001:db8::9", { ...o, lladdr: "02:00:00:00:00:19", state: "reachable" });
      let all = listNeighbours({ ...o, link: "n0" });
      const v4 = all.find((n) => n.address === "198.18.0.9");
      assert.deepEqual(
        [v4?.index, v4?.lladdr, v4?.states, v4?.family],
        [link.index, "02:00:00:00:00:09", ["permanent"], 4],
      );
      const v6 = all.find((n) => n.address === "2001:db8::9");
      assert.equal(v6?.lladdr, "02:00:00:00:00:19");
      assert.ok(
        v6?.states.includes("reachable") || v6?.states.includes("stale"),
        `state ${v6?.states.join(",")}`,
      );
      assert.throws(
        () => addNeighbour("n0", "198.18.0.9", { ...o, lladdr: "02:00:00:00:00:0a" }),
        (e: unknown) => e instanceof SyscallError && e.code === "EEXIST",
      );
      replaceNeighbour("n0", "198.18.0.9", { ...o, lladdr: "02:00:00:00:00:0a" });
      all = listNeighbours({ ...o, family: 4 });
      assert.equal(all.find((n) => n.address === "198.18.0.9")?.lladdr, "02:00:00:00:00:0a");
      deleteNeighbour("n0", "198.18.0.9", o);
      assert.equal(
        listNeighbours({ ...o, link: "n0" }).find((n) => n.address === "198.18.0.9"),
        undefined,
      );
      assert.throws(
        () => deleteNeighbour("n0", "198.18.0.9", o),
        /delete neighbour "198.18.0.9" on link "n0": ENOENT/,
      );
    });
  },
);

test("addNeighbour() with proxy adds an NTF_PROXY entry listed only among proxies", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    const link = createLink({ kind: "veth", name: "n0", peer: { name: "n1" } }, o);
    addNeighbour("n0", "198.18.0.10", { ...o, proxy: true });
    addNeighbour("n0", "2001:db8::10", { ...o, proxy: true });
    const proxies = listNeighbours({ ...o, proxy: true });
    assert.deepEqual(proxies.map((p) => p.address).sort(), ["198.18.0.10", "2001:db8::10"]);
    assert.ok(proxies.every((p) => p.proxy && p.index === link.index));
    assert.equal(
      listNeighbours(o).find((n) => n.address === "198.18.0.10"),
      undefined,
    );
    deleteNeighbour("n0", "198.18.0.10", { ...o, proxy: true });
    assert.deepEqual(listNeighbours({ ...o, proxy: true, family: 4 }), []);
  });
});
