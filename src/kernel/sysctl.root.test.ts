import { test } from "node:test";
import assert from "node:assert/strict";
import { readSysctl, sysctlPath, writeSysctl } from "./sysctl.ts";
import { withNetns } from "./netns.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

test("sysctlPath() maps dotted keys and segment arrays, refusing escapes", () => {
  assert.equal(sysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  assert.equal(
    sysctlPath(["net", "ipv4", "conf", "eth0.100", "rp_filter"]),
    "/proc/sys/net/ipv4/conf/eth0.100/rp_filter",
  );
  assert.throws(() => sysctlPath(["net", "..", "x"]), /invalid key segment/);
});

test("writeSysctl() in a namespace changes only that namespace's /proc/sys/net", requireRoot, async () => {
  await withTempNetns(2, ([a, b]) => {
    const home = readSysctl("net.ipv4.ip_forward");
    writeSysctl("net.ipv4.ip_forward", 1, { netns: a! });
    assert.equal(readSysctl("net.ipv4.ip_forward", { netns: a! }), "1");
    assert.equal(readSysctl("net.ipv4.ip_forward", { netns: b! }), "0");
    assert.equal(readSysctl("net.ipv4.ip_forward"), home);
    // Plain sync fs inside withNetns sees the namespace too (the opener's view, not the leader's).
    assert.equal(
      withNetns(a!, () => readSysctl("net.ipv4.ip_forward")),
      "1",
    );
    writeSysctl(["net", "ipv4", "conf", "lo", "rp_filter"], 2, { netns: a! });
    assert.equal(readSysctl("net.ipv4.conf.lo.rp_filter", { netns: a! }), "2");
  });
});

test("readSysctl() of a missing key throws ENOENT naming the key", requireRoot, () => {
  assert.throws(() => readSysctl("net.ipv4.no_such_key"), /read sysctl "net.ipv4.no_such_key": ENOENT/);
});
