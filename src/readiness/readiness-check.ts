/**
 * checkReadiness gathers what `sluice check` reports: kernel, architecture, BPF filesystem,
 * privileges and the probed BPF features. Reading the host is done here; judging is done by the
 * pure helpers beside it.
 */
import { readFileSync } from "node:fs";
import { arch as osArch, release } from "node:os";
import { probeFeatures, type FeatureResult } from "../bpf/features.ts";
import { effectiveCapabilities, missingDataplaneCapabilities } from "./capabilities.ts";
import { findBpffs, parseMounts } from "./bpffs-mount.ts";
import { judgeKernel } from "./kernel-release.ts";
import { buildReport, type CheckResult, type ReadinessReport } from "./readiness-report.ts";

/** Features eBPF mode cannot run without; the rest are reported as warnings. */
const REQUIRED = new Set([
  "bpf-syscall",
  "btf",
  "lru-hash",
  "lpm-trie",
  "prog-array",
  "helper-fib-lookup",
  "helper-redirect-neigh",
]);

/** ReadinessOptions lets tests point the check at other files. */
export interface ReadinessOptions {
  readonly bpffsPath?: string;
  readonly mountsFile?: string;
  readonly statusFile?: string;
  /** Injected probe results (tests): the kernel release, machine architecture and BPF feature probes. */
  readonly kernelRelease?: string;
  readonly arch?: string;
  readonly features?: readonly FeatureResult[];
}

export function checkReadiness(options: ReadinessOptions = {}): ReadinessReport {
  const bpffsPath = options.bpffsPath ?? "/sys/fs/bpf";
  const kernel = options.kernelRelease ?? release();
  const machineArch = options.arch ?? osArch();
  const checks: CheckResult[] = [];

  const k = judgeKernel(kernel);
  checks.push({ name: "kernel", status: k.ok ? "pass" : "fail", detail: k.detail });

  const archOk = machineArch === "x64" || machineArch === "arm64";
  checks.push({
    name: "architecture",
    status: archOk ? "pass" : "fail",
    detail: archOk ? `${machineArch} is supported` : `${machineArch} is not supported (x86-64 or arm64 only)`,
  });

  const mount = findBpffs(parseMounts(readFileSync(options.mountsFile ?? "/proc/mounts", "utf8")), bpffsPath);
  checks.push(
    mount
      ? {
          name: "bpffs",
          status: "pass",
          detail: `bpf filesystem mounted at ${bpffsPath} (${mount.options.join(",")})`,
        }
      : {
          name: "bpffs",
          status: "fail",
          detail:
            `no bpf filesystem at ${bpffsPath}: the agent would mount one, but unless the host mounts it at boot ` +
            `(/etc/fstab: "bpffs ${bpffsPath} bpf defaults 0 0") pinned programs and maps die with the agent, so a ` +
            `restart cuts pod networking for seconds and leaves host endpoints unprotected`,
        },
  );

  const missing = missingDataplaneCapabilities(
    effectiveCapabilities(readFileSync(options.statusFile ?? "/proc/self/status", "utf8")),
  );
  checks.push(
    missing.length === 0
      ? { name: "privileges", status: "pass", detail: "CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN) held" }
      : {
          name: "privileges",
          status: "fail",
          detail: `missing ${missing.join(", ")}: run as root or grant them`,
        },
  );

  const features: readonly FeatureResult[] =
    missing.length === 0 ? (options.features ?? probeFeatures()) : [];
  for (const f of features) checks.push(featureCheck(f));
  const byName = new Map(features.map((f) => [f.name, f.supported]));
  const attachMethod = byName.get("tcx-link") ? "tcx" : byName.get("cls-bpf") ? "clsact" : "none";
  if (missing.length === 0) {
    checks.push({
      name: "attach-method",
      status: attachMethod === "none" ? "fail" : "pass",
      detail:
        attachMethod === "tcx"
          ? "tcx links (pinned, swapped atomically)"
          : attachMethod === "clsact"
            ? "clsact qdisc + cls_bpf filters (tcx links need kernel >= 6.6)"
            : "neither tcx links nor cls_bpf filters work",
    });
  }
  return buildReport({ kernel, arch: machineArch, attachMethod, checks });
}

function featureCheck(f: FeatureResult): CheckResult {
  if (f.supported) return { name: f.name, status: "pass", detail: f.detail };
  const need = f.minKernel ? ` (requires kernel >= ${f.minKernel})` : "";
  return { name: f.name, status: REQUIRED.has(f.name) ? "fail" : "warn", detail: `${f.detail}${need}` };
}
