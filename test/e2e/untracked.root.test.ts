/**
 * doNotTrack (untracked) host endpoint policy end to end (issue 9), with `sluice agent` in the lab
 * and real TCP from outside the cluster. node-1's eth0 is a HostEndpoint whose normal policy
 * allows TCP to TRACKED only; a GlobalNetworkPolicy with doNotTrack + applyOnForward denies every
 * packet from "bob" (the client namespace's second address), allows alice to UNTRACKED and the
 * host's answers back to her (untracked policy must allow the reply direction too: there is no
 * conntrack state):
 *   a. bob's packets are dropped in XDP (SL_R_DROP_UNTRACKED, even to TRACKED, which normal
 *      policy allows); alice reaches UNTRACKED (normal policy would refuse it) with no entry in
 *      Sluice's conntrack map (XDP marks it, from_hep and to_hep pass it untracked), and
 *      TRACKED through the normal path, which tracks it;
 *   b. `sluice dump policy eth0` shows both untracked directions and the XDP attachment, `sluice
 *      dump ifaces` the XDP link;
 *   c. the agent restarted adopts the pinned XDP link (same link id, never detached: bob stays
 *      dropped while no agent runs);
 *   d. removing the policy detaches xdp_hep and empties sl_pol_jump_xdp; bob reaches TRACKED;
 *   e. eBPF mode off (Installation Iptables) detaches xdp_hep and removes its pin.
 * Every denial is first shown open, so each assertion can fail. Lab "sl-t-dnt-<pid>", torn down
 * in `after`. Needs root.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { applyManifests } from "../../lab/demo/start-demo.ts";
import { createLab, type Lab } from "../../lab/lab.ts";
import type { NetnsProcess } from "../../lab/netns-process.ts";
import { SLUICE_BIN, startAgent, startAgents, waitAgentReady } from "../../lab/start-agents.ts";
import type { ClientReport } from "../../lab/traffic/client-report.ts";
import { runTrafficClient } from "../../lab/traffic/run-traffic-client.ts";
import { startTrafficServer } from "../../lab/traffic/start-traffic-server.ts";
import { Link } from "../../src/bpf/link/link.ts";
import { BpfMap } from "../../src/bpf/map.ts";
import { SL_POL_SLOT_FIRST } from "../../src/datapath/abi/abi.ts";
import { SL_MAP } from "../../src/datapath/abi/datapath-names.ts";
import { mapPinPath } from "../../src/datapath/datapath-maps.ts";
import { ConntrackMap, CountersMap } from "../../src/datapath/maps/index.ts";
import { xdpLinkPinPath } from "../../src/datapath/xdp-attacher.ts";
import { FileDatastore } from "../../src/datastore/file-datastore.ts";
import { pinExists } from "../../src/kernel/bpffs.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { until } from "../support/until.ts";

const run = promisify(execFile);
const LAB = `sl-t-dnt-${process.pid}`;
const NODE = "node-1";
const UNTRACKED = 7070;
const TRACKED = 7071;
/** bob: the client namespace's second address, next to the planned client's. */
const BOB_HOST = 202;

let lab: Lab;
let agents = new Map<string, NetnsProcess>();
let alice = "";
let bob = "";

const pinRoot = (): string => `${lab.node(NODE).bpffsDir}/sluice`;

function probe(from: string, port: number, count = 2, timeoutMs = 1000): Promise<ClientReport> {
  const host = lab.node(NODE).ip;
  return runTrafficClient(lab, "client", { host, port, count, timeoutMs, deadlineMs: 20_000, bind: from });
}
const reaches = async (from: string, port: number): Promise<boolean> =>
  (await probe(from, port)).failed === 0;
const refused = async (from: string, port: number): Promise<boolean> =>
  (await probe(from, port, 2, 600)).ok === 0;

function pinned<T>(map: string, fn: (m: BpfMap) => T): T {
  const m = BpfMap.openPinned(mapPinPath(pinRoot(), map), map);
  try {
    return fn(m);
  } finally {
    m.close();
  }
}

/** counter sums a reason's packets over the node's interfaces. */
const counter = (reason: string): bigint =>
  pinned(SL_MAP.counters, (m) =>
    [...new CountersMap(m).totals()]
      .filter((t) => t.reasonName === reason)
      .reduce((a, t) => a + t.packets, 0n),
  );

/** ctEntries counts the node's conntrack entries with `port` on either side. */
const ctEntries = (port: number): number =>
  pinned(
    SL_MAP.ct,
    (m) => [...new ConntrackMap(m).entries()].filter((e) => e.a.port === port || e.b.port === port).length,
  );

/** xdpSlots counts the programs in sl_pol_jump_xdp's policy range. */
const xdpSlots = (): number =>
  pinned(SL_MAP.pol_jump_xdp, (m) => {
    let n = 0;
    const k = new Uint8Array(4);
    for (let s = SL_POL_SLOT_FIRST; s < SL_POL_SLOT_FIRST + 256; s++) {
      new DataView(k.buffer).setUint32(0, s, true);
      if (m.get(k) !== undefined) n++;
    }
    return n;
  });

/** xdpOnEth0 is the id of the XDP program on the node's eth0 as the kernel reports it (undefined: none). */
async function xdpOnEth0(): Promise<number | undefined> {
  const r = await lab.exec(NODE, ["ip", "-j", "-d", "link", "show", "dev", "eth0"]);
  const link = (JSON.parse(r.stdout) as { xdp?: { prog?: { id: number } } }[])[0];
  return link?.xdp?.prog?.id;
}

const linkId = (): number => {
  const link = Link.openPinned(xdpLinkPinPath(pinRoot(), "eth0"));
  try {
    return link.info().id;
  } finally {
    link.close();
  }
};

const dnt = {
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name: "dnt-edge" },
  spec: {
    selector: "role == 'edge'",
    order: 10,
    doNotTrack: true,
    applyOnForward: true,
    ingress: [] as unknown[],
    egress: [] as unknown[],
  },
};

async function logTail(): Promise<string> {
  const file = agents.get(NODE)?.logFile;
  return file === undefined ? "(no log file)" : (await lab.exec(NODE, ["tail", "-n", "60", file])).stdout;
}

describe("doNotTrack host endpoint policy in the lab", { ...requireRoot, timeout: 240_000 }, () => {
  before(async () => {
    if (!isRoot) return;
    lab = await createLab({ name: LAB, nodes: 1, podsPerNode: 0 });
    alice = lab.client.ip;
    bob = alice.replace(/\.\d+$/, `.${BOB_HOST}`);
    const add = await lab.exec("client", [
      "ip",
      "addr",
      "add",
      `${bob}/${lab.plan.underlay.prefix}`,
      "dev",
      "eth0",
    ]);
    assert.equal(add.code, 0, `add bob's address: ${add.stderr}`);
    await startTrafficServer(lab, NODE, {
      listen: [
        { proto: "tcp", port: UNTRACKED },
        { proto: "tcp", port: TRACKED },
      ],
      lifetimeMs: 230_000,
    });
    agents = await startAgents(lab, { readyTimeoutMs: 60_000 });
    dnt.spec.ingress = [
      { action: "Deny", source: { nets: [`${bob}/32`] } },
      {
        action: "Allow",
        protocol: "TCP",
        source: { nets: [`${alice}/32`] },
        destination: { ports: [UNTRACKED] },
      },
    ];
    dnt.spec.egress = [
      {
        action: "Allow",
        protocol: "TCP",
        source: { ports: [UNTRACKED] },
        destination: { nets: [`${alice}/32`] },
      },
    ];
  });

  after(async () => {
    if (lab) await lab.down();
  });

  test("a doNotTrack deny drops one client in XDP; an untracked allow passes with no conntrack entry", async () => {
    for (const c of [alice, bob])
      for (const port of [UNTRACKED, TRACKED])
        assert.ok(await reaches(c, port), `${c}:${port} open before policy`);
    assert.equal(await xdpOnEth0(), undefined, "no XDP program before doNotTrack policy");
    const dropped0 = counter("DROP_UNTRACKED");
    const nodeIp = lab.node(NODE).ip;
    await applyManifests(lab.plan.datastoreDir, [
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: `${NODE}-eth0`, labels: { role: "edge" } },
        spec: { node: NODE, interfaceName: "eth0", expectedIPs: [nodeIp] },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "host-tracked" },
        spec: {
          selector: "role == 'edge'",
          order: 20,
          ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [TRACKED] } }],
          egress: [{ action: "Allow" }],
        },
      },
      dnt,
    ]);
    try {
      await until("bob refused at the port normal policy allows", () => refused(bob, TRACKED), 30_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nagent log:\n${await logTail()}`, { cause: e });
    }
    assert.ok(await refused(bob, UNTRACKED), "bob refused at the untracked port too");
    assert.ok(counter("DROP_UNTRACKED") > dropped0, "bob's packets counted as dropped by doNotTrack in XDP");
    assert.notEqual(await xdpOnEth0(), undefined, "the kernel shows an XDP program on eth0");

    const marked0 = counter("XDP_UNTRACKED_MARKED");
    const passed0 = counter("PASS_UNTRACKED");
    assert.ok(
      await reaches(alice, UNTRACKED),
      "alice reaches the untracked port (normal policy alone refuses it)",
    );
    const marked = counter("XDP_UNTRACKED_MARKED") - marked0;
    assert.ok(marked > 0n, "XDP marked alice's packets untracked");
    // from_hep passes exactly the marked packets untracked; the rest of PASS_UNTRACKED is the
    // host's answers, passed by to_hep's doNotTrack egress
    const passed = counter("PASS_UNTRACKED") - passed0;
    assert.ok(
      passed > marked,
      `to_hep passed the answers untracked too (${passed} passed, ${marked} marked)`,
    );
    assert.equal(ctEntries(UNTRACKED), 0, "no Sluice conntrack entry for the untracked flows");
    assert.ok(await reaches(alice, TRACKED), "alice reaches the tracked port through normal policy");
    assert.ok(ctEntries(TRACKED) > 0, "the normal path tracked her flows to the other port");
  });

  test("`sluice dump policy eth0` shows the untracked directions and the XDP attachment", async () => {
    const dump = await run(
      process.execPath,
      [
        SLUICE_BIN,
        "dump",
        "policy",
        "eth0",
        "--bpffs-root",
        lab.node(NODE).bpffsDir,
        "--netns",
        lab.node(NODE).netns,
        "--json",
      ],
      { timeout: 30_000 },
    );
    const sections = JSON.parse(dump.stdout) as Record<
      string,
      { policy: string; action: string; hits: string }[]
    >;
    const titles = Object.keys(sections);
    const ingress = titles.find((t) => t.includes(" untrackedIngress: "));
    const egress = titles.find((t) => t.includes(" untrackedEgress: "));
    assert.ok(ingress?.endsWith("; xdp_hep attached"), `untracked ingress, attached: ${titles.join(" | ")}`);
    assert.ok(egress !== undefined, `untracked egress: ${titles.join(" | ")}`);
    const deny = sections[ingress!]!.find((r) => r.action === "deny" && r.policy.includes("dnt-edge"));
    assert.ok(deny !== undefined && BigInt(deny.hits) > 0n, `the deny rule counted bob: ${dump.stdout}`);
    const ifaces = await run(
      process.execPath,
      [
        SLUICE_BIN,
        "dump",
        "ifaces",
        "--bpffs-root",
        lab.node(NODE).bpffsDir,
        "--netns",
        lab.node(NODE).netns,
        "--json",
      ],
      { timeout: 30_000 },
    );
    const xdp = (
      JSON.parse(ifaces.stdout) as { iface: string; mechanism?: string; program: string; attached: boolean }[]
    ).find((r) => r.mechanism === "xdp");
    assert.deepEqual(
      xdp && { iface: xdp.iface, program: xdp.program, attached: xdp.attached },
      { iface: "eth0", program: "xdp_hep", attached: true },
      `dump ifaces shows the XDP link: ${ifaces.stdout}`,
    );
  });

  test("a restarted agent adopts the XDP link: never detached, bob stays dropped", async () => {
    const id = linkId();
    const prog = await xdpOnEth0();
    const status = await agents.get(NODE)!.stop(20_000);
    assert.ok(status !== undefined, "the agent stopped");
    // No agent: the pinned link keeps judging.
    assert.ok(await refused(bob, TRACKED), "bob dropped while no agent runs");
    assert.ok(await reaches(alice, UNTRACKED), "alice passes untracked while no agent runs");
    agents.set(NODE, await startAgent(lab, NODE));
    await waitAgentReady(lab, NODE, 60_000);
    await until(
      "the new agent adopted xdp_hep",
      async () => (await logTail()).includes("xdp_hep adopted on eth0"),
      30_000,
    );
    assert.equal(linkId(), id, "the same XDP link (adopted, not re-attached)");
    assert.notEqual(await xdpOnEth0(), prog, "its program swapped in place (BPF_LINK_UPDATE)");
    assert.ok(await refused(bob, TRACKED), "bob still dropped");
    assert.ok(await reaches(alice, UNTRACKED), "alice still passes untracked");
    assert.equal(ctEntries(UNTRACKED), 0, "still untracked");
  });

  test("removing the doNotTrack policy detaches xdp_hep and empties its prog array", async () => {
    assert.ok(xdpSlots() > 0, "sl_pol_jump_xdp holds the untracked program");
    const ds = new FileDatastore(lab.plan.datastoreDir);
    try {
      await ds.delete({ group: "projectcalico.org", kind: "GlobalNetworkPolicy", name: "dnt-edge" });
    } finally {
      await ds.close();
    }
    await until("bob reaches the port normal policy allows", () => reaches(bob, TRACKED), 30_000);
    await until("xdp_hep detached", async () => (await xdpOnEth0()) === undefined, 10_000);
    assert.equal(pinExists(xdpLinkPinPath(pinRoot(), "eth0")), false, "its link pin is gone");
    assert.equal(xdpSlots(), 0, "sl_pol_jump_xdp emptied");
    assert.ok(
      await refused(alice, UNTRACKED),
      "without the untracked allow, normal policy refuses alice there",
    );
  });

  test("eBPF mode off detaches xdp_hep and removes its pin", async () => {
    await applyManifests(lab.plan.datastoreDir, [dnt]);
    await until("xdp_hep attached again", async () => (await xdpOnEth0()) !== undefined, 30_000);
    await applyManifests(lab.plan.datastoreDir, [
      {
        apiVersion: "operator.tigera.io/v1",
        kind: "Installation",
        metadata: { name: "default" },
        spec: { calicoNetwork: { linuxDataplane: "Iptables" } },
      },
    ]);
    await until(
      "xdp_hep detached in the standard dataplane",
      async () => (await xdpOnEth0()) === undefined,
      30_000,
    );
    assert.equal(pinExists(xdpLinkPinPath(pinRoot(), "eth0")), false, "its link pin is gone");
  });
});
