import { test } from "node:test";
import assert from "node:assert/strict";
import { addRoute, deleteRoute, getRoute, listRoutes, replaceRoute } from "./routes.ts";
import { addAddress } from "./addresses.ts";
import { createLink, setLinkUp } from "./links.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

// One namespace with an up veth carrying 198.18.0.1/24 and 2001:db8::1/64.
function setup(ns: string): { index: number } {
  const o = { netns: ns };
  const link = createLink({ kind: "veth", name: "r0", peer: { name: "r1" }, up: true }, o);
  setLinkUp("r1", o);
  addAddress("r0", "198.18.0.1/24", o);
  addAddress("r0", "2001:db8::1/64", { ...o, noDad: true });
  return link;
}

test(
  "addRoute() adds v4/v6 routes with gateway, dev, src, metric, table and proto",
  requireRoot,
  async () => {
    await withTempNetns(1, ([ns]) => {
      const o = { netns: ns! };
      const { index } = setup(ns!);
      addRoute({ dst: "198.19.0.0/16", via: "198.18.0.254", metric: 50, protocol: "static" }, o);
      addRoute({ dst: "198.19.1.0/24", dev: "r0", src: "198.18.0.1" }, o);
      addRoute({ dst: "2001:db8:1::/48", via: "2001:db8::fe", dev: "r0" }, o);
      addRoute({ dst: "198.19.2.0/24", via: "198.18.0.254", table: 1000 }, o);
      const main = listRoutes({ ...o, family: 4 });
      const viaGw = main.find((r) => r.dst === "198.19.0.0/16");
      assert.deepEqual(
        [viaGw?.via, viaGw?.oif, viaGw?.metric, viaGw?.protocol, viaGw?.scope],
        ["198.18.0.254", index, 50, 4, 0],
      );
      const direct = main.find((r) => r.dst === "198.19.1.0/24");
      assert.deepEqual([direct?.src, direct?.scope, direct?.via], ["198.18.0.1", 253, undefined]);
      assert.equal(
        main.find((r) => r.dst === "198.19.2.0/24"),
        undefined,
        "other tables stay out of the main listing",
      );
      assert.equal(listRoutes({ ...o, table: 1000 }).find((r) => r.dst === "198.19.2.0/24")?.table, 1000);
      assert.equal(
        listRoutes({ ...o, family: 6 }).find((r) => r.dst === "2001:db8:1::/48")?.via,
        "2001:db8::fe",
      );
    });
  },
);

test("default routes, onlink gateways, replaceRoute() and deleteRoute()", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    setup(ns!);
    addRoute({ dst: "default", via: "198.18.0.254" }, o);
    addRoute({ dst: "default", via: "2001:db8::fe" }, o);
    // A gateway outside every connected prefix needs onlink.
    addRoute({ dst: "198.19.9.0/24", via: "198.20.0.1", dev: "r0", onlink: true }, o);
    const v4 = listRoutes({ ...o, family: 4 });
    assert.equal(v4.find((r) => r.dst === "default")?.via, "198.18.0.254");
    assert.equal(v4.find((r) => r.dst === "198.19.9.0/24")?.onlink, true);
    assert.equal(listRoutes({ ...o, family: 6 }).find((r) => r.dst === "default")?.via, "2001:db8::fe");
    replaceRoute({ dst: "default", via: "198.18.0.253" }, o);
    assert.deepEqual(
      listRoutes({ ...o, family: 4 })
        .filter((r) => r.dst === "default")
        .map((r) => r.via),
      ["198.18.0.253"],
    );
    deleteRoute({ dst: "default", family: 4 }, o);
    deleteRoute({ dst: "198.19.9.0/24" }, o);
    assert.equal(
      listRoutes({ ...o, family: 4 }).find((r) => r.dst === "default" || r.dst === "198.19.9.0/24"),
      undefined,
    );
    assert.throws(
      () => deleteRoute({ dst: "198.19.9.0/24" }, o),
      (e: unknown) => e instanceof SyscallError && e.code === "ESRCH",
    );
  });
});

test("addRoute() rejects invalid routes with the kernel's reason", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    setup(ns!);
    assert.throws(
      () => addRoute({ dst: "198.19.1.1/24", dev: "r0" }, o),
      /add route "198.19.1.1\/24": EINVAL \(invalid argument\): Invalid prefix/,
    );
    assert.throws(
      () => addRoute({ dst: "198.19.3.0/24", via: "198.20.0.1" }, o),
      /add route "198.19.3.0\/24": .*gateway/i,
    );
    addRoute({ dst: "198.19.4.0/24", dev: "r0" }, o);
    assert.throws(
      () => addRoute({ dst: "198.19.4.0/24", dev: "r0" }, o),
      (e: unknown) => e instanceof SyscallError && e.code === "EEXIST",
    );
  });
});

test("getRoute() finds the interface and source address toward a destination", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    const { index } = setup(ns!);
    addRoute({ dst: "default", via: "198.18.0.254" }, o);
    const r = getRoute("203.0.113.9", o);
    assert.deepEqual([r.oif, r.src, r.via], [index, "198.18.0.1", "198.18.0.254"]);
    const r6 = getRoute("2001:db8::99", o);
    assert.equal(r6.oif, index);
    assert.throws(() => getRoute("2001:db8:ffff::1", o), /get route to "2001:db8:ffff::1"/);
  });
});
