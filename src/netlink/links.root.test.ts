import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createLink,
  deleteLink,
  findLink,
  getLink,
  listLinks,
  setLink,
  setLinkDown,
  setLinkUp,
} from "./links.ts";
import { addAddress } from "./addresses.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import { openNetns } from "../kernel/netns.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";
import { udpProbe } from "../../test/support/udp-probe.ts";

const isErrno = (code: string) => (e: unknown) => e instanceof SyscallError && e.code === code;

test("createLink() veth with its peer in another namespace passes traffic", requireRoot, async () => {
  await withTempNetns(2, async ([a, b]) => {
    const va = createLink({ kind: "veth", name: "va", peer: { name: "vb", netns: b! } }, { netns: a! });
    const vb = getLink("vb", { netns: b! });
    assert.equal(va.kind, "veth");
    assert.equal(vb.kind, "veth");
    assert.equal(va.peerIndex, vb.index);
    assert.equal(vb.peerIndex, va.index);
    assert.notEqual(va.linkNetnsId, undefined, "peer lives in another namespace");
    assert.equal(findLink("vb", { netns: a! }), undefined);
    addAddress("va", "198.18.0.1/30", { netns: a! });
    addAddress("vb", "198.18.0.2/30", { netns: b! });
    setLinkUp("va", { netns: a! });
    setLinkUp("vb", { netns: b! });
    assert.ok(await udpProbe(b!, a!, "198.18.0.2"));
    assert.equal(getLink("va", { netns: a! }).operState, "up");
  });
});

test(
  "createLink() of an existing name throws EEXIST, deleteLink() of a missing one ENODEV",
  requireRoot,
  async () => {
    await withTempNetns(1, ([ns]) => {
      createLink({ kind: "bridge", name: "br0" }, { netns: ns! });
      assert.throws(
        () => createLink({ kind: "bridge", name: "br0" }, { netns: ns! }),
        (e: unknown) => {
          return isErrno("EEXIST")(e) && /create link "br0": EEXIST/.test((e as Error).message);
        },
      );
      assert.throws(() => deleteLink("nope0", { netns: ns! }), /delete link "nope0": ENODEV/);
      assert.throws(() => getLink(999, { netns: ns! }), isErrno("ENODEV"));
    });
  },
);

test(
  "createLink() of a kind the kernel lacks throws NotSupportedError with the kernel's reason",
  requireRoot,
  async () => {
    await withTempNetns(1, ([ns]) => {
      assert.throws(
        () => createLink({ kind: "dummy", name: "d0" }, { netns: ns! }),
        (e: unknown) => {
          assert.ok(e instanceof NotSupportedError);
          assert.match(e.message, /link kind "dummy" not supported/);
          assert.ok(isErrno("EOPNOTSUPP")(e.cause));
          assert.match((e.cause as Error).message, /Unknown device type/);
          return true;
        },
      );
      assert.equal(findLink("d0", { netns: ns! }), undefined);
    });
  },
);

test(
  "createLink() vxlan in point-to-point and external modes reports its attributes",
  requireRoot,
  async () => {
    await withTempNetns(1, ([ns]) => {
      const o = { netns: ns! };
      createLink({ kind: "veth", name: "under0", peer: { name: "under1" } }, o);
      const p2p = createLink(
        {
          kind: "vxlan",
          name: "vx42",
          vni: 42,
          local: "198.18.0.1",
          remote: "198.18.0.2",
          port: 4789,
          dev: "under0",
          mtu: 1450,
        },
        o,
      );
      assert.equal(p2p.kind, "vxlan");
      assert.equal(p2p.mtu, 1450);
      assert.deepEqual(p2p.vxlan, {
        vni: 42,
        remote: "198.18.0.2",
        local: "198.18.0.1",
        port: 4789,
        learning: false,
        external: false,
        dev: getLink("under0", o).index,
        ttl: 0,
      });
      const ext = createLink({ kind: "vxlan", name: "vxext", external: true, port: 4789 }, o);
      assert.equal(ext.vxlan?.external, true);
      assert.equal(ext.vxlan?.learning, false);
      const v6 = createLink(
        { kind: "vxlan", name: "vx6", vni: 7, remote: "2001:db8::2", local: "2001:db8::1" },
        o,
      );
      assert.equal(v6.vxlan?.remote, "2001:db8::2");
    });
  },
);

test("setLink() enslaves two veths to a bridge and releases them", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    const br = createLink({ kind: "bridge", name: "br0", up: true }, o);
    createLink({ kind: "veth", name: "p1", peer: { name: "p1-peer" }, master: "br0" }, o);
    createLink({ kind: "veth", name: "p2", peer: { name: "p2-peer" } }, o);
    setLink("p2", { master: "br0", up: true }, o);
    const members = listLinks(o)
      .filter((l) => l.master === br.index)
      .map((l) => l.name)
      .sort();
    assert.deepEqual(members, ["p1", "p2"]);
    setLink("p1", { master: null }, o);
    assert.equal(getLink("p1", o).master, undefined);
    assert.equal(getLink("br0", o).kind, "bridge");
  });
});

test("setLink() changes mtu, mac, state and name; moves a link by name and by fd", requireRoot, async () => {
  await withTempNetns(3, ([a, b, c]) => {
    createLink({ kind: "veth", name: "x0", peer: { name: "x1" } }, { netns: a! });
    setLink("x0", { mtu: 1400, mac: "02:00:00:00:00:aa" }, { netns: a! });
    setLinkUp("x0", { netns: a! });
    let x = getLink("x0", { netns: a! });
    assert.deepEqual([x.mtu, x.mac, x.up], [1400, "02:00:00:00:00:aa", true]);
    setLinkDown("x0", { netns: a! });
    assert.equal(getLink("x0", { netns: a! }).up, false);
    setLink("x0", { name: "renamed0" }, { netns: a! });
    assert.equal(findLink("x0", { netns: a! }), undefined);
    x = getLink("renamed0", { netns: a! });
    setLink(x.index, { netns: b! }, { netns: a! });
    assert.equal(findLink("renamed0", { netns: a! }), undefined);
    assert.equal(getLink("renamed0", { netns: b! }).kind, "veth");
    const fd = openNetns(c!);
    try {
      setLink("renamed0", { netns: fd }, { netns: b! });
    } finally {
      fd.close();
    }
    assert.ok(findLink("renamed0", { netns: c! }));
    deleteLink("renamed0", { netns: c! });
    assert.equal(findLink("x1", { netns: a! }), undefined, "deleting one end removes its peer");
  });
});

test("createLink() macvlan on a parent link", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const o = { netns: ns! };
    const parent = createLink({ kind: "veth", name: "up0", peer: { name: "up1" } }, o);
    const mv = createLink({ kind: "macvlan", name: "mv0", parent: "up0", mode: "bridge" }, o);
    assert.equal(mv.kind, "macvlan");
    assert.equal(mv.parentIndex, parent.index);
  });
});

test("listLinks() includes loopback with its attributes", requireRoot, async () => {
  await withTempNetns(1, ([ns]) => {
    const [lo] = listLinks({ netns: ns! });
    assert.equal(lo?.name, "lo");
    assert.equal(lo?.index, 1);
    assert.equal(lo?.mtu, 65536);
    assert.equal(lo?.kind, undefined);
  });
});
