/**
 * registerFlowsCommand adds `sluice flows [--follow] [--from POD|NS|IP] [--to ...] [--action
 * allow|deny] [-o json|wide] [--agent URL]`: the flow records of the agent on this node, from its
 * HTTP API (GET /flows on the health port; SLUICE_AGENT_URL or --agent for another address —
 * for a lab node, run it inside the node's namespace). --follow prints each interval as the
 * agent flushes it, until interrupted.
 */
import type { Command } from "commander";
import { get } from "node:http";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { flowsHeaders, flowsRequest, flowsRow, formatFlows, type FlowsOptions } from "./flows-query.ts";
import { textTable } from "./text-table.ts";
import { runCtl } from "./ctl-support.ts";

export function registerFlowsCommand(program: Command): void {
  program
    .command("flows")
    .description("show the flow logs of the agent on this node (needs flowLogsFileEnabled)")
    .option("--follow", "stream records as the agent flushes them")
    .option("--from <endpoint>", "source: pod (namespace/name), namespace or IP")
    .option("--to <endpoint>", "destination: pod (namespace/name), namespace or IP")
    .option("--action <action>", "allow or deny")
    .option("-o, --output <form>", "json or wide (default: a table)")
    .option("--agent <url>", "the agent's health server (default $SLUICE_AGENT_URL or http://127.0.0.1:9099)")
    .action((opts: FlowsOptions) => runCtl(() => showFlows(opts)));
}

async function showFlows(opts: FlowsOptions): Promise<void> {
  const { url, output } = flowsRequest(opts);
  await new Promise<void>((resolve, reject) => {
    const req = get(url, (res) => {
      res.setEncoding("utf8");
      let buf = "";
      if (res.statusCode !== 200) {
        res.on("data", (d: string) => (buf += d));
        res.on("end", () =>
          reject(new Error(`sluice flows: ${url.origin} answered ${res.statusCode}: ${errorOf(buf)}`)),
        );
        return;
      }
      if (opts.follow !== true) {
        res.on("data", (d: string) => (buf += d));
        res.on("end", () => {
          console.log(formatFlows(JSON.parse(buf) as FlowRecord[], output));
          resolve();
        });
        return;
      }
      const wide = output === "wide";
      let headed = false;
      res.on("data", (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line === "") continue;
          if (output === "json") {
            console.log(line);
            continue;
          }
          const row = flowsRow(JSON.parse(line) as FlowRecord, wide);
          // one header, then rows only: the table grows as intervals arrive
          const text = textTable(flowsHeaders(wide), [row]).split("\n");
          console.log(headed ? text[1] : text.join("\n"));
          headed = true;
        }
      });
      res.on("end", resolve);
    });
    req.on("error", (e) =>
      reject(new Error(`sluice flows: no agent at ${url.origin}: ${e.message}`, { cause: e })),
    );
  });
}

function errorOf(body: string): string {
  try {
    return (JSON.parse(body) as { error?: string }).error ?? body.trim();
  } catch {
    return body.trim();
  }
}
