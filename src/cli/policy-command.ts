/**
 * registerPolicyCommand adds `sluice policy explain --from <pod|ip> --to <pod|ip|service>
 * --port 80/TCP`: which tier, policy and rule decide a connection, and why each earlier rule did
 * not match — the reference evaluator over the same rule IR the policy programs are compiled
 * from, on a snapshot of the datastore (--datastore / --context, like the other ctl commands).
 */
import type { Command } from "commander";
import { addDatastoreOption, openDatastore, runCtl, type DatastoreFlags } from "./ctl-support.ts";
import { explainPolicy } from "./explain-policy.ts";
import { renderExplanation } from "./explain-report.ts";
import { parseExplainPort, parseExplainTarget } from "./explain-target.ts";

interface ExplainFlags extends DatastoreFlags {
  readonly from: string;
  readonly to: string;
  readonly port: string;
  readonly namespace: string;
  readonly sourcePort: string;
}

/** registerPolicyCommand adds `policy explain` to the program. */
export function registerPolicyCommand(program: Command): void {
  const policy = program.command("policy").description("explain network policy decisions");
  const explain = policy
    .command("explain")
    .description(
      "which tier, policy and rule decide a connection (source egress, destination ingress; a Service is followed to its backends)",
    )
    .requiredOption("--from <source>", "a pod (NAME, NS/NAME, pod/NS/NAME) or an IPv4 address")
    .requiredOption(
      "--to <destination>",
      "a pod, an IPv4 address (a ClusterIP means its Service) or svc/[NS/]NAME",
    )
    .requiredOption("--port <port>", "destination port and protocol, e.g. 80/TCP")
    .option("-n, --namespace <ns>", "namespace for names given without one", "default")
    .option("--source-port <port>", "the client's source port, for rules on source ports", "40000");
  addDatastoreOption(explain).action((flags: ExplainFlags) =>
    runCtl(async () => {
      const from = parseExplainTarget("--from", flags.from, flags.namespace);
      const to = parseExplainTarget("--to", flags.to, flags.namespace);
      const port = parseExplainPort(flags.port);
      const sourcePort = Number(flags.sourcePort);
      if (!/^\d{1,5}$/.test(flags.sourcePort) || sourcePort < 1 || sourcePort > 65535)
        throw new Error(
          `policy explain: --source-port ${JSON.stringify(flags.sourcePort)} is not a port (1-65535)`,
        );
      const datastore = await openDatastore(flags);
      let listed;
      try {
        listed = await datastore.list({});
      } finally {
        await datastore.close();
      }
      for (const r of listed.rejected) console.error(`warning: ${r.source}: ${r.error.message} (ignored)`);
      console.log(renderExplanation(explainPolicy(listed.resources, { from, to, port, sourcePort })));
    }),
  );
}
