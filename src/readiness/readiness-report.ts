/**
 * The readiness report `sluice check` prints: pure data plus its human rendering, so the
 * decision "ready or not" is testable without a kernel.
 */

/** CheckStatus: "fail" makes the node not ready; "warn" is reported but does not. */
export type CheckStatus = "pass" | "warn" | "fail";

/** CheckResult is one line of the report. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

/** ReadinessReport is everything `sluice check` found out. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly kernel: string;
  readonly arch: string;
  /** "tcx" (kernel >= 6.6) or "clsact" (cls_bpf via netlink), or "none" when neither works. */
  readonly attachMethod: "tcx" | "clsact" | "none";
  readonly checks: readonly CheckResult[];
}

/** buildReport decides readiness: ready only when no check failed. */
export function buildReport(parts: Omit<ReadinessReport, "ready">): ReadinessReport {
  return { ...parts, ready: parts.checks.every((c) => c.status !== "fail") };
}

const MARK: Record<CheckStatus, string> = { pass: "ok  ", warn: "warn", fail: "FAIL" };

/** formatReport renders the report for a terminal. */
export function formatReport(r: ReadinessReport): string {
  const width = Math.max(...r.checks.map((c) => c.name.length), 10);
  const lines = [`sluice check: kernel ${r.kernel}, ${r.arch}, attach method ${r.attachMethod}`, ""];
  for (const c of r.checks) lines.push(`  [${MARK[c.status]}] ${c.name.padEnd(width)}  ${c.detail}`);
  lines.push("");
  const failed = r.checks.filter((c) => c.status === "fail").map((c) => c.name);
  lines.push(
    r.ready
      ? "ready: this node can run the eBPF dataplane"
      : `not ready: ${failed.join(", ")} failed; the agent would warn and fall back to the standard dataplane`,
  );
  return lines.join("\n");
}
