/**
 * Attach acceptance between two namespaces joined by veth: a pinned tcx link whose program is
 * replaced under a live ping without losing a packet, link pin/reopen, XDP links, and the
 * clsact + cls_bpf fallback. Attach calls run with the main thread inside the namespace
 * (withNetns), because `ip netns exec` would hide /sys/fs/bpf.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { loadCollection, type Collection } from "../../src/bpf/collection.ts";
import { attachClsBpf } from "../../src/bpf/link/cls-bpf.ts";
import { Link } from "../../src/bpf/link/link.ts";
import { listLinks } from "../../src/bpf/link/list-links.ts";
import { attachTcx } from "../../src/bpf/link/tcx.ts";
import { attachXdp } from "../../src/bpf/link/xdp.ts";
import { LinkType } from "../../src/kernel/bpf-obj.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { hasCommand, isRoot, requireRoot } from "../support/root.ts";
import { makePinDir, objectSpec, readU64, u32, type PinDir } from "./bpf-fixtures.ts";
import { makeVethPair, ping, type VethPair } from "./veth-pair.ts";

let pair: VethPair | undefined;
let pins: PinDir | undefined;

before(() => {
  if (!isRoot) return;
  pair = makeVethPair("att");
  pins = makePinDir();
});

after(() => {
  pins?.remove();
  pair?.remove();
});

async function loadPass(generation: number, share?: Collection): Promise<Collection> {
  return loadCollection(await objectSpec("tc_pass"), {
    constants: { cfg_generation: generation },
    ...(share ? { replaceMaps: { sl_pass_count: share.maps.get("sl_pass_count")! } } : {}),
  });
}

function counts(c: Collection): bigint[] {
  const m = c.maps.get("sl_pass_count")!;
  return [0, 1, 2, 3].map((i) => readU64(m.lookup(u32(i))));
}

test(
  "a pinned tcx link swaps programs under a 300-packet ping without losing one",
  {
    ...requireRoot,
    skip: requireRoot.skip || (!hasCommand("/usr/bin/ping") && "needs /usr/bin/ping (iputils-ping)"),
  },
  async () => {
    const { nsA, ifA, ipB } = pair!;
    const gen0 = await loadPass(0);
    const gen1 = await loadPass(1, gen0);
    const linkPath = `${pins!.path}/tcx_veth0_egress`;
    try {
      const link = withNetns(nsA, () => attachTcx(gen0.programs.get("tc_pass")!, ifA, "egress"));
      const id = link.info().id;
      link.pin(linkPath);
      link.close(); // from here only the pin holds the attachment, as after an agent restart

      const flow = ping(nsA, ipB, 300, 0.01);
      await sleep(1200);
      const reopened = Link.openPinned(linkPath);
      try {
        const info = reopened.info();
        assert.equal(info.id, id, "the pin reopens the same link");
        assert.equal(info.type, LinkType.Tcx);
        assert.equal(info.ifindex, ifA);
        reopened.update(gen1.programs.get("tc_pass")!, { expected: gen0.programs.get("tc_pass")! });
        assert.equal(reopened.info().progId, gen1.programs.get("tc_pass")!.info().id);
        assert.ok(
          listLinks({ type: LinkType.Tcx }).some((l) => l.id === id),
          "listLinks() shows the tcx link",
        );
      } finally {
        reopened.close();
      }
      const r = await flow;
      assert.equal(r.transmitted, 300, r.output);
      assert.equal(r.received, 300, `0% loss expected: ${r.output}`);
      const [c0, c1] = counts(gen0);
      assert.ok(c0! > 0n && c1! > 0n, `both generations counted packets (gen0=${c0}, gen1=${c1})`);

      const last = Link.openPinned(linkPath);
      last.detach();
      last.unpin();
      last.close();
    } finally {
      gen1.close();
      gen0.close();
    }
  },
);

test("attachTcx() orders programs with before/after", requireRoot, async () => {
  const { nsB, ifB } = pair!;
  const a = await loadPass(2);
  const b = await loadPass(3, a);
  try {
    const first = withNetns(nsB, () => attachTcx(a.programs.get("tc_pass")!, ifB, "ingress"));
    const second = withNetns(nsB, () =>
      attachTcx(b.programs.get("tc_pass")!, ifB, "ingress", { before: first }),
    );
    assert.equal(second.info().type, LinkType.Tcx);
    second.close();
    first.close();
  } finally {
    b.close();
    a.close();
  }
});

test("attachXdp() attaches an XDP link that sees packets", requireRoot, async () => {
  const { nsA, nsB, ifB, ipB } = pair!;
  const c = await loadPass(2);
  try {
    const link = withNetns(nsB, () => attachXdp(c.programs.get("xdp_pass")!, ifB));
    try {
      assert.equal(link.info().type, LinkType.Xdp);
      assert.equal(link.info().ifindex, ifB);
      const r = await ping(nsA, ipB, 5, 0.05);
      assert.equal(r.received, 5, r.output);
      assert.ok(counts(c)[2]! >= 5n, "xdp_pass counted the pings");
    } finally {
      link.close();
    }
  } finally {
    c.close();
  }
});

test(
  "attachClsBpf() falls back to clsact + cls_bpf, counts packets, replaces and detaches",
  requireRoot,
  async () => {
    const { nsA, ifA, ipB } = pair!;
    const gen0 = await loadPass(0);
    const gen1 = await loadPass(1, gen0);
    try {
      const before0 = counts(gen0);
      const att = withNetns(nsA, () => attachClsBpf(gen0.programs.get("tc_pass")!, ifA, "egress"));
      try {
        let r = await ping(nsA, ipB, 5, 0.05);
        assert.equal(r.received, 5, r.output);
        const mid = counts(gen0);
        assert.ok(mid[0]! >= before0[0]! + 5n, "cls_bpf program counted egress pings");
        // The filter kept its netlink socket from the namespace it was attached in.
        att.update(gen1.programs.get("tc_pass")!);
        assert.equal(att.info()?.programId, gen1.programs.get("tc_pass")!.info().id);
        r = await ping(nsA, ipB, 5, 0.05);
        assert.equal(r.received, 5, r.output);
        assert.ok(counts(gen0)[1]! >= mid[1]! + 5n, "replacement program counted");
      } finally {
        att.detach();
        att.close();
      }
    } finally {
      gen1.close();
      gen0.close();
    }
  },
);
