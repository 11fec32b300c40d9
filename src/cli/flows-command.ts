/**
 * registerFlowsCommand adds `sluice flows [--follow] [--from POD|NS|IP] [--to ...] [--action
 * allow|deny] [-o json|wide] [--agent URL]`: the flow records of the agent on this node, from its
 * HTTP API (GET /flows on the health port; SLUICE_AGENT_URL or --agent for another address —
 * for a lab node, run it inside the node's namespace). --follow prints each interval as the
 * agent flushes it, until interrupted. --web serves the flow graph page instead (flows-web.ts),
 * from one agent or every node of a lab.
 */
import type { Command } from "commander";
import { get } from "node:http";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { flowsHeaders, flowsRequest, flowsRow, formatFlows, type FlowsOptions } from "./flows-query.ts";
import { textTable } from "./text-table.ts";
import { runCtl } from "./ctl-support.ts";
import { openLab } from "../../lab/index.ts";
import {
  DEFAULT_FLOWS_WEB_LISTEN,
  flowsWebTarget,
  netnsUpstream,
  parseListen,
  startFlowsWeb,
  urlUpstream,
  type FlowUpstream,
} from "./flows-web.ts";
import { findContext, loadSluiceConfig, sluiceConfigPath } from "./sluice-config.ts";

interface WebOptions {
  readonly web?: boolean;
  readonly listen?: string;
  readonly lab?: string;
}

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
    .option("--web", "serve the live flow graph page (from --agent, --lab, or the current lab context)")
    .option("--listen <addr:port>", `where --web listens (default ${DEFAULT_FLOWS_WEB_LISTEN})`)
    .option("--lab <name>", "with --web: read the flows of every node of this lab")
    .action((opts: FlowsOptions & WebOptions) =>
      runCtl(() => (opts.web === true ? serveWeb(opts) : showFlows(opts))),
    );
}

async function serveWeb(opts: FlowsOptions & WebOptions): Promise<void> {
  const given = (["from", "to", "action", "output", "follow"] as const).filter((k) => opts[k] !== undefined);
  if (given.length > 0)
    throw new Error(`sluice flows --web: --${given[0]} is for the table; the page has its own filter box`);
  const listen = parseListen(opts.listen ?? DEFAULT_FLOWS_WEB_LISTEN);
  const config = loadSluiceConfig(sluiceConfigPath());
  const current = findContext(config, config.currentContext ?? "")?.lab;
  const target = flowsWebTarget(opts, current);
  let upstreams: FlowUpstream[];
  if ("lab" in target) {
    const lab = openLab(target.lab);
    if (lab === undefined)
      throw new Error(`sluice flows --web: lab "${target.lab}" is not up (no state file)`);
    upstreams = lab.nodes.map((n) => netnsUpstream(n.name, n.netns));
  } else upstreams = [urlUpstream(target.agent)];
  const web = await startFlowsWeb(upstreams, listen, (line) => console.error(line));
  console.log(`flow graph of ${upstreams.map((u) => u.name).join(", ")} at ${web.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void web.close().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
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
