/**
 * A veth pair between two throwaway namespaces (`sl-t-bpf-<tag>-a/b`, 10.231.0.1/24 ↔ .2) for the
 * attach suites, built with src/kernel/netns.ts and src/netlink. remove() deletes both namespaces
 * (which deletes the veth pair and every tcx/xdp/cls_bpf attachment on it).
 */
import { spawn } from "node:child_process";
import { addAddress } from "../../src/netlink/addresses.ts";
import { createLink, getLink, setLinkUp } from "../../src/netlink/links.ts";
import { createNetns, deleteNetns, netnsExists } from "../../src/kernel/netns.ts";

/** VethPair names both ends and their ifindexes inside their namespaces. */
export interface VethPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: number;
  readonly ifB: number;
  readonly ipA: string;
  readonly ipB: string;
  remove(): void;
}

/** makeVethPair creates both namespaces and the link; on failure it removes what it made. */
export function makeVethPair(tag: string): VethPair {
  const nsA = `sl-t-bpf-${tag}-a`;
  const nsB = `sl-t-bpf-${tag}-b`;
  const remove = (): void => {
    for (const ns of [nsA, nsB]) if (netnsExists(ns)) deleteNetns(ns);
  };
  remove(); // leftovers of a crashed earlier run
  try {
    createNetns(nsA);
    createNetns(nsB);
    createLink({ kind: "veth", name: "veth0", peer: { name: "veth0", netns: nsB } }, { netns: nsA });
    addAddress("veth0", "10.231.0.1/24", { netns: nsA });
    addAddress("veth0", "10.231.0.2/24", { netns: nsB });
    setLinkUp("veth0", { netns: nsA });
    setLinkUp("veth0", { netns: nsB });
    setLinkUp("lo", { netns: nsA });
    setLinkUp("lo", { netns: nsB });
    const ifA = getLink("veth0", { netns: nsA }).index;
    const ifB = getLink("veth0", { netns: nsB }).index;
    return { nsA, nsB, ifA, ifB, ipA: "10.231.0.1", ipB: "10.231.0.2", remove };
  } catch (e) {
    remove();
    throw e;
  }
}

/** PingResult is what ping reported. */
export interface PingResult {
  readonly transmitted: number;
  readonly received: number;
  readonly output: string;
}

/** ping runs `ping -i interval -c count` from namespace `ns` (bounded by -w) without blocking the event loop. */
export function ping(ns: string, target: string, count: number, interval = 0.01): Promise<PingResult> {
  return new Promise((resolve, reject) => {
    const deadline = String(Math.ceil(count * interval) + 10);
    const child = spawn("ip", [
      "netns",
      "exec",
      ns,
      "ping",
      "-n",
      "-q",
      "-i",
      String(interval),
      "-c",
      String(count),
      "-w",
      deadline,
      target,
    ]);
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", () => {
      const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
      if (!m) reject(new Error(`run ping: no summary in output "${output.trim()}"`));
      else resolve({ transmitted: Number(m[1]), received: Number(m[2]), output });
    });
  });
}
