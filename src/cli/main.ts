/**
 * The `sluice` command: one entry, one subcommand module per concern.
 */
import { Command } from "commander";
import { registerCheckCommand } from "./check-command.ts";
import { registerVersionCommand } from "./version-command.ts";
import { sluiceVersion } from "./version.ts";

const program = new Command();
program
  .name("sluice")
  .description("Sluice: an eBPF dataplane for Kubernetes (kube-proxy replacement and network policy)")
  .version(sluiceVersion(), "-V, --version")
  .showHelpAfterError();

registerVersionCommand(program);
registerCheckCommand(program);

await program.parseAsync(process.argv);
