/**
 * `sluice dump policy [<pod|iface>] [hook] [--asm]`: the policy programs as installed. The rules
 * come from the agent's record (src/agent/policy-record.ts: the IR each program was compiled from,
 * with the agent's rule ids — only the running agent knows which rule an id is, so recomputing
 * the IR from the datastore here would number them differently); the slots are checked against
 * sl_pol_endpoints, and each rule's hits are read from sl_pol_hits (the generated program counts
 * the deciding rule there, summed over CPUs). `--asm` recompiles the recorded IR for its recorded
 * slot — compilePolicy is deterministic, so this is the bytecode that was loaded — and prints the
 * disassembly. Reading only. Needs CAP_BPF (root).
 */
import { decodeSlPolEndpoint, SL_POL_EP_F_HOST } from "../datapath/abi/abi.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { POLICY_SLOT_FIELD, XDP_HOOK } from "../datapath/policy/policy-programmer.ts";
import { xdpLinkPinPath } from "../datapath/xdp-attacher.ts";
import { pinExists } from "../kernel/bpffs.ts";
import { readPolicyRecords, type PolicyRecord } from "../agent/policy-record.ts";
import { compilePolicy } from "../policy/compile-policy.ts";
import { policyListing } from "../policy/policy-listing.ts";
import type { PolicyHook, RuleInfo } from "../policy/rule-ids.ts";
import type { BpfMap } from "../bpf/map.ts";
import { ifaceNames, withMap, type DumpOptions, type DumpSection } from "./dump-sections.ts";

/** DumpPolicyOptions: which endpoint and hook, and whether to list the instructions. */
export interface DumpPolicyOptions extends DumpOptions {
  /** A pod ("ns/name" or "name"), an interface name, or an ifindex; all endpoints when absent. */
  readonly target?: string;
  readonly hook?: string;
  readonly asm?: boolean;
  /** Where the agent keeps its records (tests). */
  readonly recordDir?: string;
}

/** PolicyDump is the tables and, with --asm, one listing per program. */
export interface PolicyDump {
  readonly sections: DumpSection[];
  readonly listings: { readonly title: string; readonly text: string }[];
}

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

function hits(m: BpfMap, id: number): bigint {
  return m
    .lookupPerCpu(u32(id))
    .reduce((acc, v) => acc + new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 0n);
}

function matches(r: PolicyRecord, target: string, iface: string | undefined): boolean {
  return (
    r.name === target ||
    r.key === `pod/${target}` ||
    r.key === `hep/${target}` ||
    (r.key.startsWith("pod/") && r.key.endsWith(`/${target}`)) ||
    iface === target ||
    String(r.ifindex) === target
  );
}

function ruleText(info: RuleInfo | undefined): [string, string, string] {
  if (info === undefined) return ["?", "?", "?"];
  const policy = info.namespace === undefined ? info.policy : `${info.namespace}/${info.policy}`;
  if (info.kind === "rule") return [info.tier, policy, String(info.ruleIndex)];
  if (info.kind === "endOfTier") return [info.tier, "(end of tier)", "-"];
  return ["-", "(endpoint default)", "-"];
}

/** dumpPolicy reads the records of the agent of `pinDir` and the live policy maps. */
export function dumpPolicy(pinDir: string, o: DumpPolicyOptions = {}): PolicyDump {
  const validHooks = Object.keys(POLICY_SLOT_FIELD);
  if (o.hook !== undefined && !validHooks.includes(o.hook))
    throw new Error(`dump policy: hook "${o.hook}" unknown; choose one of ${validHooks.join(", ")}`);
  const names = ifaceNames(o);
  const all = readPolicyRecords(pinDir, o.recordDir);
  const records =
    o.target === undefined ? all : all.filter((r) => matches(r, o.target!, names.get(r.ifindex)));
  if (o.target !== undefined && records.length === 0)
    throw new Error(
      `dump policy: no policed endpoint "${o.target}" (a pod with no policy has none: it is allowed); policed: ${
        all.map((r) => r.name).join(", ") || "none"
      }`,
    );
  const entries = withMap(pinDir, SL_MAP.pol_endpoints, (m) => {
    const out = new Map<number, ReturnType<typeof decodeSlPolEndpoint>>();
    for (const r of records) {
      const v = m.get(u32(r.ifindex));
      if (v !== undefined) out.set(r.ifindex, decodeSlPolEndpoint(v));
    }
    return out;
  });
  if (o.target === undefined) return { sections: [summary(records, entries, names)], listings: [] };
  return withMap(pinDir, SL_MAP.pol_hits, (hitsMap) => {
    const sections: DumpSection[] = [];
    const listings: PolicyDump["listings"] = [];
    for (const r of records) {
      const iface = names.get(r.ifindex) ?? "?";
      const entry = entries.get(r.ifindex);
      for (const h of r.hooks) {
        if (o.hook !== undefined && h.hook !== o.hook) continue;
        const live = entry?.[POLICY_SLOT_FIELD[h.hook as PolicyHook]];
        const state =
          entry === undefined
            ? "not installed (no sl_pol_endpoints entry)"
            : live !== h.slot
              ? `record stale: the entry points at slot ${live}`
              : r.origin === "failedClosed"
                ? "failed closed: new flows dropped"
                : `slot ${h.slot}, ${h.chunks} chunk(s)`;
        // doNotTrack ingress runs only where xdp_hep is attached (its link pin says so)
        const xdp =
          h.hook === XDP_HOOK && iface !== "?"
            ? pinExists(xdpLinkPinPath(pinDir, iface))
              ? "; xdp_hep attached"
              : "; xdp_hep NOT attached"
            : "";
        const title = `policy ${r.name} (${iface}, ifindex ${r.ifindex}) ${h.hook}: ${state}${xdp}`;
        const rows: (string | number | bigint)[][] = [];
        const recs: Record<string, unknown>[] = [];
        const seen = new Set<number>();
        const add = (id: number, action: string): void => {
          // A Pass tier's end is a catch-all pass rule that carries the end-of-tier id: list it once.
          if (seen.has(id)) return;
          seen.add(id);
          const [tier, policy, rule] = ruleText(r.rules[String(id)]);
          const n = hits(hitsMap, id);
          rows.push([tier, policy, rule, action, id, n]);
          recs.push({ tier, policy, rule, action, ruleId: id, hits: String(n) });
        };
        const ir = h.ir;
        if (ir !== undefined) {
          for (const t of ir.tiers) {
            for (const p of t.policies) for (const rule of p.rules) add(rule.id, rule.action);
            add(t.endOfTierRuleId, r.rules[String(t.endOfTierRuleId)]?.action ?? "deny");
          }
          add(ir.defaultRuleId, ir.defaultAction);
          const target = h.hook === XDP_HOOK ? { target: "xdp" as const } : {};
          if (o.asm)
            listings.push({ title, text: policyListing(compilePolicy(ir, { slotBase: h.slot, ...target })) });
        }
        sections.push({
          title,
          headers: ["tier", "policy", "rule", "action", "rule id", "hits"],
          rows,
          records: recs,
        });
      }
    }
    return { sections, listings };
  });
}

function summary(
  records: readonly PolicyRecord[],
  entries: ReadonlyMap<number, ReturnType<typeof decodeSlPolEndpoint>>,
  names: ReadonlyMap<number, string>,
): DumpSection {
  const rows = records.map((r) => [
    `${names.get(r.ifindex) ?? "?"} (${r.ifindex})`,
    r.name,
    r.flags & SL_POL_EP_F_HOST ? "host" : "pod",
    r.hooks.map((h) => `${h.hook}@${h.slot}`).join(" "),
    entries.has(r.ifindex) ? (r.origin === "failedClosed" ? "failed closed" : "installed") : "no entry",
  ]);
  return {
    title: "policed endpoints (sl_pol_endpoints)",
    headers: ["iface", "endpoint", "kind", "hooks@slot", "state"],
    rows,
    records: records.map((r) => ({
      ifindex: r.ifindex,
      iface: names.get(r.ifindex) ?? null,
      endpoint: r.name,
      key: r.key,
      flags: r.flags,
      hooks: r.hooks.map((h) => ({ hook: h.hook, slot: h.slot, chunks: h.chunks })),
      installed: entries.has(r.ifindex),
    })),
  };
}
