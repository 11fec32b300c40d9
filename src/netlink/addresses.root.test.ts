import { test } from "node:test";
import assert from "node:assert/strict";
import { addAddress, deleteAddress, listAddresses } from "./addresses.ts";
import { createLink } from "./links.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

test("addAddress() adds IPv4 and IPv6 addresses that listAddresses() reports", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    const link = createLink({ kind: "veth", name: "a0", peer: { name: "a1" } }, o);
    addAddress("a0", "198.18.5.1/24", o);
    addAddress(link.index, "2001:db8:5::1/64", { ...o, noDad: true });
    addAddress("a0", "198.18.6.1/32", { ...o, peer: "198.18.6.254" });
    addAddress("a0", "198.18.7.1/32", { ...o, scope: "link" });
    const addrs = listAddresses({ ...o, link: "a0" });
    const v4 = addrs.find((a) => a.address === "198.18.5.1");
    assert.deepEqual([v4?.family, v4?.prefixLength, v4?.scope, v4?.index], [4, 24, 0, link.index]);
    const v6 = addrs.find((a) => a.address === "2001:db8:5::1");
    assert.equal(v6?.prefixLength, 64);
    assert.ok(((v6?.flags ?? 0) & 0x02) !== 0, "nodad flag is set");
    const p2p = addrs.find((a) => a.address === "198.18.6.1");
    assert.deepEqual([p2p?.peer, p2p?.prefixLength], ["198.18.6.254", 32]);
    assert.equal(addrs.find((a) => a.address === "198.18.7.1")?.scope, 253);
    assert.deepEqual(
      listAddresses({ ...o, family: 6, link: "a0" })
        .map((a) => a.address)
        .filter((a) => !a.startsWith("fe80")),
      ["2001:db8:5::1"],
    );
  });
});

test("addAddress() twice throws EEXIST with the kernel's extended-ACK text", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    createLink({ kind: "veth", name: "a0", peer: { name: "a1" } }, o);
    addAddress("a0", "198.18.5.1/24", o);
    assert.throws(
      () => addAddress("a0", "198.18.5.1/24", o),
      (e: unknown) => {
        assert.ok(e instanceof SyscallError);
        assert.equal(e.code, "EEXIST");
        assert.match(
          e.message,
          /^add address "198.18.5.1\/24" to link "a0": EEXIST \(file exists\): .*already assigned/i,
        );
        return true;
      },
    );
  });
});

test("deleteAddress() removes an address; deleting it again fails", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    createLink({ kind: "veth", name: "a0", peer: { name: "a1" } }, o);
    addAddress("a0", "198.18.5.1/24", o);
    addAddress("a0", "2001:db8:5::1/64", { ...o, noDad: true });
    deleteAddress("a0", "198.18.5.1/24", o);
    deleteAddress("a0", "2001:db8:5::1/64", o);
    const left = listAddresses({ ...o, link: "a0" }).map((a) => a.address);
    assert.ok(!left.includes("198.18.5.1") && !left.includes("2001:db8:5::1"));
    assert.throws(
      () => deleteAddress("a0", "198.18.5.1/24", o),
      /delete address "198.18.5.1\/24" from link "a0": EADDRNOTAVAIL/,
    );
  });
});
