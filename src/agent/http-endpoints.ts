/**
 * startHttpEndpoints serves the agent's HTTP endpoints on one port each: `/liveness`,
 * `/readiness` (JSON bodies saying why), `/flows` (flow logs, flows-endpoint.ts) and `/ui/` (the live
 * flow graph, src/flowlogs/web) on the health
 * port, `/metrics` on the metrics port. Port 0
 * disables a server. Binds all addresses of the node's namespace, like Felix.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AgentMetrics } from "./agent-metrics.ts";
import type { FlowSource } from "../flowlogs/recent-flows.ts";
import { handleFlowsRequest } from "./flows-endpoint.ts";
import { serveFlowWeb } from "../flowlogs/web/serve-flow-web.ts";

/** HealthStatus is what the health endpoints report. */
export interface HealthStatus {
  readonly live: boolean;
  readonly ready: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** HttpEndpoints are the running servers; close() stops them. */
export interface HttpEndpoints {
  close(): Promise<void>;
}

function listen(port: number, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}

/** startHttpEndpoints starts the health and metrics servers. */
export async function startHttpEndpoints(
  ports: { readonly health: number; readonly metrics: number },
  status: () => HealthStatus,
  metrics: AgentMetrics,
  flows: () => FlowSource | undefined = () => undefined,
  dns: () => unknown = () => [],
): Promise<HttpEndpoints> {
  const servers: Server[] = [];
  if (ports.health > 0) {
    servers.push(
      await listen(ports.health, (req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/dns") {
          // What DNS policy learned (`sluice dump dns`).
          res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(dns())}\n`);
          return;
        }
        if (path === "/flows") {
          handleFlowsRequest(req, res, flows());
          return;
        }
        // The live flow graph (/ui/), reading /flows beside it.
        if (serveFlowWeb(req, res)) return;
        const s = status();
        const ok = path === "/liveness" ? s.live : path === "/readiness" ? s.ready : undefined;
        if (ok === undefined) {
          res.writeHead(404).end("not found: try /liveness, /readiness, /flows, /dns or /ui/\n");
          return;
        }
        res
          .writeHead(ok ? 200 : 503, { "content-type": "application/json" })
          .end(`${JSON.stringify({ ok, ...s.detail })}\n`);
      }),
    );
  }
  if (ports.metrics > 0) {
    servers.push(
      await listen(ports.metrics, (req, res) => {
        if ((req.url ?? "/").split("?")[0] !== "/metrics") {
          res.writeHead(404).end("not found: try /metrics\n");
          return;
        }
        metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text))
          .catch((e: unknown) => res.writeHead(500).end(`collect metrics: ${(e as Error).message}\n`));
      }),
    );
  }
  return {
    async close(): Promise<void> {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
