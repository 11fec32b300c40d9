import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { createNetns, deleteNetns, listNetns, netnsExists, openNetns, withNetns } from "./netns.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

const nsIno = (): number => statSync("/proc/thread-self/ns/net").ino;

test("createNetns() makes a namespace that iproute2 lists, and deleteNetns() removes it", requireRoot, () => {
  const name = `sl-t-nl-${process.pid}-life`;
  createNetns(name);
  try {
    assert.ok(netnsExists(name));
    assert.ok(listNetns().includes(name));
    assert.match(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }), new RegExp(name));
    assert.match(execFileSync("ip", ["-n", name, "link", "show", "lo"], { encoding: "utf8" }), /lo:/);
  } finally {
    deleteNetns(name);
  }
  assert.equal(netnsExists(name), false);
  assert.ok(!listNetns().includes(name));
});

test("createNetns() refuses an existing name with EEXIST and keeps the original", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    assert.throws(
      () => createNetns(ns!),
      (e: unknown) => e instanceof SyscallError && e.code === "EEXIST",
    );
    assert.ok(netnsExists(ns!));
  });
});

test("withNetns() runs fn in the namespace and switches back, also when fn throws", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const home = nsIno();
    const inside = withNetns(ns!, nsIno);
    assert.notEqual(inside, home);
    assert.equal(nsIno(), home);
    assert.throws(
      () =>
        withNetns(ns!, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(nsIno(), home);
    // By fd too, and nested.
    const fd = openNetns(ns!);
    try {
      assert.equal(
        withNetns(fd, () => withNetns(ns!, nsIno)),
        inside,
      );
    } finally {
      fd.close();
    }
    assert.equal(nsIno(), home);
  });
});

test("withNetns() rejects an async fn after switching back", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const home = nsIno();
    assert.throws(() => withNetns(ns!, async () => 1), /returned a promise/);
    assert.equal(nsIno(), home);
  });
});

test("deleteNetns() of a missing namespace throws ENOENT", requireRoot, () => {
  assert.throws(
    () => deleteNetns(`sl-t-nl-${process.pid}-missing`),
    (e: unknown) => e instanceof SyscallError && e.code === "ENOENT",
  );
});
