/**
 * syncUntrackedXdp keeps bpf/obj/xdp.o's `xdp_hep` on exactly the host interfaces whose policy
 * entry has a doNotTrack ingress program (the untrackedIngress hook PolicySync installed, also an
 * adopted or failed-closed one), after each policy pass:
 *   - wanted and not attached: attached by a pinned XDP link; a pin an earlier agent left on the
 *     same ifindex is adopted and its program swapped with BPF_LINK_UPDATE (no gap);
 *   - attached (or pinned) and no longer wanted: detached and unpinned. PolicySync has already
 *     switched the entry (untracked slot 0, or no entry), so xdp_hep passes everything until then.
 * A program that cannot be attached is logged once per interface and retried next pass; the
 * endpoint's doNotTrack ingress is then not enforced, the rest of its policy is.
 */
import type { ConstantValue } from "../bpf/collection.ts";
import type { DatapathMapSet, UntrackedXdpAttacher } from "../datapath/datapath-backend.ts";
import type { AttachOutcome } from "../datapath/iface-attacher.ts";
import type { InstalledEndpoint } from "../datapath/policy/policy-programmer.ts";
import { XDP_HOOK } from "../datapath/policy/policy-programmer.ts";
import type { AgentLogger } from "./agent-logger.ts";

/** UntrackedXdpInput is one pass's view. */
export interface UntrackedXdpInput<M extends DatapathMapSet> {
  readonly xdp: UntrackedXdpAttacher<M>;
  /** The policed endpoints as installed now (PolicyProgrammer.installedEndpoints()). */
  readonly installed: Iterable<InstalledEndpoint>;
  /** The host interfaces the datapath attaches, by name. */
  readonly hostIfaces: readonly { readonly name: string; readonly index: number }[];
  /** The .rodata constants of an interface's programs (ifaceConstants). */
  readonly constants: (iface: {
    readonly name: string;
    readonly index: number;
  }) => Readonly<Record<string, ConstantValue>>;
  readonly log: AgentLogger;
  /** Messages already logged (a failure is logged once until it clears). */
  readonly logged: Set<string>;
}

/** UntrackedXdpReport says what one pass did, by interface name. */
export interface UntrackedXdpReport {
  readonly wanted: readonly string[];
  readonly changed: readonly { readonly iface: string; readonly outcome: AttachOutcome }[];
  readonly detached: readonly string[];
  readonly failed: readonly string[];
}

/** syncUntrackedXdp runs one pass (see the header). */
export async function syncUntrackedXdp<M extends DatapathMapSet>(
  input: UntrackedXdpInput<M>,
): Promise<UntrackedXdpReport> {
  const { xdp, log } = input;
  const byIndex = new Map(input.hostIfaces.map((i) => [i.index, i]));
  const want = new Map<string, { readonly name: string; readonly index: number }>();
  for (const ep of input.installed) {
    const iface = byIndex.get(ep.ifindex);
    if (iface !== undefined && ep.hooks.has(XDP_HOOK)) want.set(iface.name, iface);
  }
  const changed: { iface: string; outcome: AttachOutcome }[] = [];
  const failed: string[] = [];
  for (const iface of want.values()) {
    const key = `xdp attach ${iface.name}`;
    try {
      const outcome = await xdp.attach(iface, input.constants(iface));
      input.logged.delete(key);
      if (outcome === "unchanged") continue;
      changed.push({ iface: iface.name, outcome });
      log.info(
        { op: "attach", iface: iface.name },
        `doNotTrack ingress: xdp_hep ${outcome} on ${iface.name} (ifindex ${iface.index})`,
      );
    } catch (e) {
      failed.push(iface.name);
      if (input.logged.has(key)) continue;
      input.logged.add(key);
      log.error(
        { op: "attach", iface: iface.name, err: e },
        `doNotTrack ingress on ${iface.name} not enforced: ${(e as Error).message}`,
      );
    }
  }
  const detached: string[] = [];
  for (const name of new Set([...xdp.attached, ...xdp.pinnedIfaces()])) {
    if (want.has(name)) continue;
    try {
      xdp.detach(name);
      detached.push(name);
      log.info({ op: "detach", iface: name }, `doNotTrack ingress: xdp_hep detached from ${name}`);
    } catch (e) {
      log.error(
        { op: "detach", iface: name, err: e },
        `detach xdp_hep from ${name}: ${(e as Error).message}`,
      );
    }
  }
  return { wanted: [...want.keys()], changed, detached, failed };
}
