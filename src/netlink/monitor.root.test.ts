import { test } from "node:test";
import assert from "node:assert/strict";
import { LinkMonitor, type MonitorEvent } from "./monitor.ts";
import { addAddress } from "./addresses.ts";
import { createLink, deleteLink, setLinkUp } from "./links.ts";
import { Poller } from "../kernel/poller.ts";
import { requireRoot } from "../../test/support/root.ts";
import { withTempNetns } from "../../test/support/netns.ts";

// Resolves with the collected events once `done` holds, or rejects after a timeout.
function collect(until: (events: MonitorEvent[]) => boolean): {
  events: MonitorEvent[];
  listener: (e: MonitorEvent) => void;
  done: Promise<void>;
} {
  const events: MonitorEvent[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    setTimeout(() => rej(new Error(`timed out; saw ${events.map((e) => e.type).join(", ")}`)), 3000).unref();
  });
  return {
    events,
    done,
    listener: (e) => {
      events.push(e);
      if (until(events)) resolve();
    },
  };
}

const linkEvent = (events: MonitorEvent[], type: string, name: string) =>
  events.some((e) => e.type === type && "link" in e && e.link.name === name);

test("LinkMonitor reports a veth created and deleted in its namespace", requireRoot, async () => {
  await withTempNetns(1, async ([ns]) => {
    const poller = new Poller();
    const c = collect((ev) => linkEvent(ev, "link-deleted", "m0"));
    const monitor = LinkMonitor.open(c.listener, { netns: ns!, poller });
    try {
      createLink({ kind: "veth", name: "m0", peer: { name: "m1" } }, { netns: ns! });
      setLinkUp("m0", { netns: ns! });
      deleteLink("m0", { netns: ns! });
      await c.done;
      const added = c.events.find((e) => e.type === "link-added" && e.link.name === "m0");
      assert.ok(added && "link" in added);
      assert.equal(added.link.kind, "veth");
      assert.ok(linkEvent(c.events, "link-added", "m1"));
      assert.ok(linkEvent(c.events, "link-changed", "m0"), "bringing it up is a change");
      assert.ok(
        !c.events.some((e) => e.type === "link-added" && "link" in e && e.link.name === "lo"),
        "seeded links are not new",
      );
    } finally {
      monitor.close();
      poller.close();
    }
  });
});

test("LinkMonitor with addresses reports address changes, and stops after close()", requireRoot, async () => {
  await withTempNetns(1, async ([ns]) => {
    const poller = new Poller();
    const c = collect((ev) =>
      ev.some((e) => e.type === "address-added" && e.address.address === "198.18.9.1"),
    );
    const monitor = LinkMonitor.open(c.listener, { netns: ns!, poller, addresses: true });
    try {
      createLink({ kind: "veth", name: "m0", peer: { name: "m1" } }, { netns: ns! });
      addAddress("m0", "198.18.9.1/24", { netns: ns! });
      await c.done;
    } finally {
      monitor.close();
    }
    const seen = c.events.length;
    deleteLink("m0", { netns: ns! });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.events.length, seen, "no events after close()");
    monitor.close();
    poller.close();
  });
});

test("LinkMonitor does not see links in other namespaces", requireRoot, async () => {
  await withTempNetns(2, async ([a, b]) => {
    const poller = new Poller();
    const c = collect((ev) => linkEvent(ev, "link-added", "inside"));
    const monitor = LinkMonitor.open(c.listener, { netns: a!, poller });
    try {
      createLink({ kind: "bridge", name: "outside" }, { netns: b! });
      createLink({ kind: "bridge", name: "inside" }, { netns: a! });
      await c.done;
      assert.ok(!linkEvent(c.events, "link-added", "outside"));
    } finally {
      monitor.close();
      poller.close();
    }
  });
});
