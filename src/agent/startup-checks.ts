/**
 * runStartupChecks runs `sluice check`'s readiness check for the agent and returns the names of
 * the checks that rule out eBPF mode. A missing bpffs is mounted here (warning that pins then die
 * with the machine's mount namespace and a restart is no longer seamless) rather than refused.
 */
import { ensureBpffs } from "../kernel/bpffs.ts";
import type { AgentLogger } from "./agent-logger.ts";
import { checkReadiness } from "../readiness/readiness-check.ts";
import type { ReadinessReport } from "../readiness/readiness-report.ts";

/** StartupCheckResult is the report and the failed check names (empty = eBPF mode can run). */
export interface StartupCheckResult {
  readonly report: ReadinessReport;
  readonly failed: readonly string[];
}

/** runStartupChecks logs every warning and failure with its detail. */
export function runStartupChecks(log: AgentLogger, bpffsPath = "/sys/fs/bpf"): StartupCheckResult {
  let report = checkReadiness({ bpffsPath });
  if (report.checks.some((c) => c.name === "bpffs" && c.status === "fail")) {
    try {
      ensureBpffs(bpffsPath);
      log.warn(
        { op: "startup" },
        `mounted bpffs at ${bpffsPath}: the host does not mount it at boot, so pinned state will not outlive this mount`,
      );
      report = checkReadiness({ bpffsPath });
    } catch (e) {
      log.error({ op: "startup", err: e }, `mount bpffs at ${bpffsPath} failed`);
    }
  }
  for (const c of report.checks) {
    if (c.status === "warn") log.warn({ op: "startup", check: c.name }, c.detail);
    if (c.status === "fail") log.error({ op: "startup", check: c.name }, c.detail);
  }
  const failed = report.checks.filter((c) => c.status === "fail").map((c) => c.name);
  log.info(
    { op: "startup", kernel: report.kernel, attachMethod: report.attachMethod },
    failed.length === 0 ? "startup checks passed" : `startup checks failed: ${failed.join(", ")}`,
  );
  return { report, failed };
}
