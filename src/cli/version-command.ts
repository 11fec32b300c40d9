/** registerVersionCommand adds `sluice version [--json]`. */
import type { Command } from "commander";
import { sluiceVersion } from "./version.ts";

export function registerVersionCommand(program: Command): void {
  program
    .command("version")
    .description("print the Sluice version, the Node.js runtime and the platform")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      const info = {
        sluice: sluiceVersion(),
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
      };
      console.log(
        opts.json ? JSON.stringify(info) : `sluice ${info.sluice} (node ${info.node}, ${info.platform})`,
      );
    });
}
