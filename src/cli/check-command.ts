/** registerCheckCommand adds `sluice check [--json]`: the node readiness check; exit 0 only when ready. */
import type { Command } from "commander";
import { checkReadiness } from "../readiness/readiness-check.ts";
import { formatReport } from "../readiness/readiness-report.ts";

export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description(
      "check whether this node can run the eBPF dataplane (kernel, bpffs, privileges, BPF features)",
    )
    .option("--json", "machine-readable output")
    .option("--bpffs <path>", "where the BPF filesystem should be mounted", "/sys/fs/bpf")
    .action((opts: { json?: boolean; bpffs: string }) => {
      const report = checkReadiness({ bpffsPath: opts.bpffs });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.ready ? 0 : 1;
    });
}
