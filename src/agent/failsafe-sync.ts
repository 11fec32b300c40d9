/**
 * syncFailsafe makes sl_failsafe hold FelixConfiguration's failsafeInboundHostPorts /
 * failsafeOutboundHostPorts (node.<name> over default over Calico's defaults) on every eBPF
 * pass: checked first, then planned (planFailsafe) and diffed against what the map holds, so an
 * unchanged configuration writes nothing and a bad one writes nothing either — the previous
 * entries stay, and the host endpoints keep the failsafe ports they had.
 */
import { ValidationError } from "../errors/validation-error.ts";
import { effectiveFelixConfiguration } from "../model/felix-configuration-values.ts";
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";
import type { FailsafeEntry } from "../datapath/maps/failsafe-map.ts";
import { applyDelta, type DeltaCounts, type DeltaStore } from "../datapath/maps/map-delta.ts";
import { planFailsafe, planFailsafeDelta, type FailsafePort } from "../datapath/plan-failsafe.ts";

/** FailsafeStore is what syncFailsafe reads and writes (FailsafeMap on a live or in-memory map). */
export interface FailsafeStore extends DeltaStore<string, FailsafeEntry> {
  entries(): Iterable<[string, FailsafeEntry]>;
}

/** FailsafeSyncResult counts the writes and names the ports sl_failsafe cannot hold (IPv6). */
export interface FailsafeSyncResult extends DeltaCounts {
  readonly skipped: readonly { readonly field: string; readonly reason: string }[];
}

const FIELDS = ["failsafeInboundHostPorts", "failsafeOutboundHostPorts"] as const;

/**
 * syncFailsafe writes the difference between the configured failsafe ports and `store`. Throws a
 * ValidationError naming the FelixConfiguration and field of a bad port before any write.
 */
export function syncFailsafe(
  store: FailsafeStore,
  felixDefault?: FelixConfiguration,
  felixNode?: FelixConfiguration,
): FailsafeSyncResult {
  const v = effectiveFelixConfiguration(felixDefault, felixNode);
  for (const field of FIELDS) {
    const from = felixNode?.spec[field] !== undefined ? felixNode : felixDefault;
    checkPorts(
      from === undefined ? "Felix defaults" : `FelixConfiguration "${from.metadata.name}"`,
      field,
      v[field],
    );
  }
  const plan = planFailsafe(v.failsafeInboundHostPorts, v.failsafeOutboundHostPorts);
  const counts = applyDelta(store, planFailsafeDelta(store.entries(), plan));
  return { ...counts, skipped: plan.skipped };
}

// The model validates stored resources; this guards what reaches the map (a resource written
// around the model, a default gone wrong), so sl_failsafe never gets a key it cannot mean.
function checkPorts(resource: string, field: string, ports: readonly FailsafePort[]): void {
  ports.forEach((p, i) => {
    const at = `${field}[${i}]`;
    if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535)
      throw new ValidationError(resource, `${at}.port`, `${JSON.stringify(p.port)} is not a port (0-65535)`);
    if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(p.protocol))
      throw new ValidationError(
        resource,
        `${at}.protocol`,
        `"${String(p.protocol)}" is not TCP, UDP or SCTP`,
      );
    if (p.net === undefined || p.net === "" || p.net.includes(":")) return; // any peer; IPv6 is skipped by the planner
    const [addr = "", len = "32", extra] = p.net.split("/");
    const bits = Number(len);
    let addrOk = true;
    try {
      ipv4ToNumber(addr);
    } catch {
      addrOk = false;
    }
    if (!addrOk || extra !== undefined || !/^\d{1,2}$/.test(len) || bits > 32)
      throw new ValidationError(resource, `${at}.net`, `"${p.net}" is not an IPv4 CIDR`);
  });
}
