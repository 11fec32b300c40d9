/**
 * The `sluice` command: one entry, one subcommand module per concern.
 */
import { Command } from "commander";
import { registerAgentCommand } from "./agent-command.ts";
import { registerCheckCommand } from "./check-command.ts";
import { registerConfigCommand } from "./config-command.ts";
import { registerDumpCommand } from "./dump-command.ts";
import { registerLabCommand } from "./lab-command.ts";
import { registerVersionCommand } from "./version-command.ts";
import { registerApplyCommand } from "./apply-command.ts";
import { registerDeleteCommand } from "./delete-command.ts";
import { registerGetCommand } from "./get-command.ts";
import { registerLabelCommand } from "./label-command.ts";
import { registerPatchCommand } from "./patch-command.ts";
import { registerFlowsCommand } from "./flows-command.ts";
import { registerPolicyCommand } from "./policy-command.ts";
import { sluiceVersion } from "./version.ts";

const program = new Command();
program
  .name("sluice")
  .description("Sluice: an eBPF dataplane for Kubernetes (kube-proxy replacement and network policy)")
  .version(sluiceVersion(), "-V, --version")
  .showHelpAfterError();

registerVersionCommand(program);
registerCheckCommand(program);
registerAgentCommand(program);
registerDumpCommand(program);
registerLabCommand(program);
registerApplyCommand(program);
registerGetCommand(program);
registerDeleteCommand(program);
registerPatchCommand(program);
registerLabelCommand(program);
registerPolicyCommand(program);
registerConfigCommand(program);
registerFlowsCommand(program);

// Not a top-level await: bin/bundle.js makes this a CommonJS script (for V8's code cache). A
// rejection is unhandled, so Node prints it and exits with 1, as it did for the await.
void program.parseAsync(process.argv);
