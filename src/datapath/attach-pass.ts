/**
 * runAttachPass makes the node's interfaces run exactly the programs they should: wanted ones
 * get (or keep) their programs with this node's constants, the rest are detached, and on the
 * first pass after start the pins and cls_bpf filters an earlier agent left on interfaces that
 * are no longer wanted are removed. Policy continuation slots freed by the pass are emptied at its
 * end (DatapathAttacher.settle).
 */
import type { Collection } from "../bpf/collection.ts";
import { VerifierError } from "../errors/verifier-error.ts";
import type { BpfFilter } from "../netlink/tc.ts";
import type { Logger } from "pino";
import type { DataplaneSettings } from "../calc/dataplane-settings.ts";
import type { DatapathAttacher, DatapathMapSet } from "./datapath-backend.ts";
import { ifaceConstants, tunnelMtu } from "./iface-constants.ts";
import type { IfaceRole } from "./iface-constants.ts";
import type { DetectedNodeIp } from "../host/node-ip.ts";

/** WantedIface is an interface the datapath should run on, by index and role. */
export interface WantedIface {
  readonly index: number;
  readonly role: IfaceRole;
}

/** AttachPassInput is what one pass needs; the attacher keeps the state between passes. */
export interface AttachPassInput {
  readonly attacher: DatapathAttacher<DatapathMapSet>;
  readonly node: DetectedNodeIp;
  readonly settings: DataplaneSettings;
  readonly wanted: ReadonlyMap<string, WantedIface>;
  readonly firstPass: boolean;
  /** The agent's logger (pino). */
  readonly log: Logger;
  /** removeFilters removes Sluice cls_bpf filters except on `keep` (DatapathBackend.removeFilters). */
  readonly removeFilters: (keep: ReadonlySet<number>) => BpfFilter[];
}

export async function runAttachPass(input: AttachPassInput): Promise<void> {
  try {
    await attachDetach(input);
  } finally {
    // Once, after every swap and detach: each retired policy continuation slot is emptied after one wait.
    try {
      input.attacher.settle?.();
    } catch (e) {
      input.log.error({ op: "detach", err: e }, "emptying retired policy continuation slots failed");
    }
  }
}

async function attachDetach(input: AttachPassInput): Promise<void> {
  const { attacher, node, settings: s, wanted, log } = input;
  const mtu = tunnelMtu(s.vxlanMtu, node.mtu);
  // Load every interface's programs first, then swap them back to back (see IfaceAttacher.prepare).
  const prepared = new Map<
    string,
    { constants: ReturnType<typeof ifaceConstants>; programs: Collection | undefined }
  >();
  try {
    for (const [name, w] of wanted) {
      const constants = ifaceConstants({
        ifindex: w.index,
        role: w.role,
        nodeIp: node.ip,
        vxlanPort: s.vxlanPort,
        vxlanVni: s.vxlanVni,
        tunnelMtu: mtu,
      });
      try {
        prepared.set(name, {
          constants,
          programs: await attacher.prepare({ name, index: w.index }, w.role, constants),
        });
      } catch (e) {
        if (e instanceof VerifierError) throw e;
        log.error({ op: "attach", iface: name, err: e }, `load programs for ${name} failed`);
      }
    }
    for (const [name, w] of wanted) {
      const p = prepared.get(name);
      if (p === undefined) continue;
      try {
        const outcome = await attacher.attach({ name, index: w.index }, w.role, p.constants, p.programs);
        if (outcome !== "unchanged")
          log.info({ op: outcome, iface: name, role: w.role }, `${outcome} ${w.role} programs on ${name}`);
      } catch (e) {
        log.error({ op: "attach", iface: name, err: e }, `attach programs to ${name} failed`);
      }
    }
  } finally {
    for (const p of prepared.values()) p.programs?.close(); // attached links hold their programs
  }
  for (const i of attacher.attached) {
    if (wanted.has(i.name)) continue;
    attacher.detach(i.name);
    log.info({ op: "detach", iface: i.name }, `detached programs from ${i.name}`);
  }
  if (!input.firstPass) return;
  // Pins of interfaces that went away while no agent ran (or are no longer wanted).
  for (const name of attacher.pinnedIfaces()) {
    if (wanted.has(name)) continue;
    attacher.detachPinned(name);
    log.info({ op: "detach", iface: name }, `removed stale pinned links of ${name}`);
  }
  // Filters of interfaces no longer wanted (an earlier agent's, on cls_bpf): they have no pins to find.
  const gone = input.removeFilters(new Set([...wanted.values()].map((w) => w.index)));
  if (gone.length > 0)
    log.info({ op: "detach" }, `removed stale Sluice cls_bpf filters: ${describeFilters(gone)}`);
}

/** describeFilters names filters for a log line. */
export function describeFilters(fs: readonly BpfFilter[]): string {
  return fs.map((f) => `ifindex ${f.index} ${f.direction} ${f.name ?? "?"}`).join(", ");
}
