/**
 * useNode1 is the per-file fixture most datapath suites share: node 1's maps filled with the
 * dp-world, loaded inside a throwaway netns (bpf_fib_lookup uses the caller's netns), both freed
 * after the file. Root only: without root nothing is loaded and the tests skip themselves.
 * Also expectOut, the one way a suite checks an output packet.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { isRoot } from "../support/root.ts";
import { loadNode, makeNetns, type DpNode, type DpRun, type TestNetns } from "./dp-harness.ts";
import { fillNode1, W } from "./dp-world.ts";

/** Node1Fixture gives the loaded node and its netns once `before` has run. */
export interface Node1Fixture {
  readonly node: DpNode;
  readonly ns: TestNetns;
}

export function useNode1(): Node1Fixture {
  let node: DpNode | undefined;
  let ns: TestNetns | undefined;
  before(async () => {
    if (!isRoot) return;
    ns = makeNetns();
    node = await loadNode(W.node1);
    fillNode1(node);
  });
  after(() => {
    node?.close();
    ns?.remove();
  });
  return {
    get node(): DpNode {
      if (node === undefined) throw new Error("use node 1: not loaded (needs root)");
      return node;
    },
    get ns(): TestNetns {
      if (ns === undefined) throw new Error("use node 1: no netns (needs root)");
      return ns;
    },
  };
}

/** expectOut checks the verdict, every checksum (by the independent oracle) and the exact bytes. */
export function expectOut(r: DpRun, verdict: string, spec: PacketSpec): void {
  assert.equal(r.verdict, verdict);
  assertChecksumsValid(r.data, "output checksums");
  assertPacketEqual(r.data, spec, { message: "output packet" });
}
