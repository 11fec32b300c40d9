/**
 * HealthServer answers like kube-proxy, so load balancers and probes written for kube-proxy
 * work unchanged:
 *
 * - `/healthz` on port 10256: 200 while the proxy is healthy and the node eligible, else 503,
 *   body `{"lastUpdated": ..., "currentTime": ..., "nodeEligible": ...}`; `/livez` the same
 *   without node eligibility.
 * - one listener per Service `healthCheckNodePort` (LoadBalancer, externalTrafficPolicy Local):
 *   any path answers 200 when this node has ready local endpoints and the proxy is healthy, else
 *   503, with `{"service":{"namespace","name"},"localEndpoints":N,"serviceProxyHealthy":...}` and
 *   an `X-Load-Balancing-Endpoint-Weight: N` header. Listeners open and close as Services come
 *   and go (syncServices).
 *
 * Times are ISO 8601 (kube-proxy prints Go's time format; both are strings to a client).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthCheckService } from "../calc/index.ts";
import { ProxyHealth } from "./proxy-health.ts";
import { silentLogger } from "./proxy-logger.ts";
import type { ProxyLogger } from "./proxy-logger.ts";

/** HealthServerOptions: addresses, ports, timeout, clock and logger. */
export interface HealthServerOptions {
  /** Address of /healthz; default "0.0.0.0" (kube-proxy's healthzBindAddress). */
  readonly healthzAddress?: string;
  /** Port of /healthz; default 10256; 0 picks a free one (tests). */
  readonly healthzPort?: number;
  /** Address the healthCheckNodePort listeners bind; default "0.0.0.0". */
  readonly serviceAddress?: string;
  /** How long an update may wait unapplied before /healthz turns 503; default 60 s. */
  readonly healthTimeoutMs?: number;
  readonly now?: () => Date;
  readonly logger?: ProxyLogger;
}

interface ServiceListener {
  readonly server: Server;
  readonly requestedPort: number;
  check: HealthCheckService;
}

const JSON_HEADERS = { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" } as const;

/** HealthServer serves /healthz and the per-Service health check ports. */
export class HealthServer {
  readonly #health: ProxyHealth;
  readonly #options: HealthServerOptions;
  readonly #log: ProxyLogger;
  readonly #services = new Map<string, ServiceListener>();
  #healthz: Server | undefined;
  #nodeEligible = true;

  private constructor(options: HealthServerOptions) {
    this.#options = options;
    this.#health = new ProxyHealth(options.healthTimeoutMs, options.now);
    this.#log = options.logger ?? silentLogger;
  }

  /** HealthServer.start listens on /healthz; throws "listen healthz ..." when the port is taken. */
  static async start(options: HealthServerOptions = {}): Promise<HealthServer> {
    const hs = new HealthServer(options);
    const server = createServer((req, res) => hs.#serveHealthz(req, res));
    await listen(server, options.healthzPort ?? 10256, options.healthzAddress ?? "0.0.0.0", "healthz");
    hs.#healthz = server;
    return hs;
  }

  /** healthzPort is the port /healthz actually listens on. */
  get healthzPort(): number {
    return (this.#healthz?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** queuedUpdate: a change arrived (see ProxyHealth). */
  queuedUpdate(): void {
    this.#health.queuedUpdate();
  }

  /** updated: a sync completed. */
  updated(): void {
    this.#health.updated();
  }

  /** setNodeEligible: false while the node is being deleted, so load balancers drain it. */
  setNodeEligible(eligible: boolean): void {
    this.#nodeEligible = eligible;
  }

  /** servicePort is the port the listener of Service "namespace/name" is bound to, if any. */
  servicePort(service: string): number | undefined {
    const l = this.#services.get(service);
    return l === undefined ? undefined : (l.server.address() as AddressInfo | null)?.port;
  }

  /**
   * syncServices makes the listeners match `checks`: opens new ones, closes gone ones, reopens a
   * moved one, and updates endpoint counts in place. A port that cannot be bound is logged and
   * skipped (kube-proxy does the same) so one bad Service does not block the others.
   */
  async syncServices(checks: readonly HealthCheckService[]): Promise<void> {
    const want = new Map(checks.map((c) => [`${c.namespace}/${c.name}`, c]));
    const closing: Promise<void>[] = [];
    for (const [id, l] of this.#services) {
      const c = want.get(id);
      if (c !== undefined && c.port === l.requestedPort) continue;
      this.#services.delete(id);
      closing.push(closeServer(l.server));
    }
    await Promise.all(closing);
    for (const [id, check] of want) {
      const have = this.#services.get(id);
      if (have !== undefined) {
        have.check = check;
        continue;
      }
      const listener: ServiceListener = {
        server: createServer((req, res) => this.#serveService(listener, req, res)),
        requestedPort: check.port,
        check,
      };
      try {
        await listen(
          listener.server,
          check.port,
          this.#options.serviceAddress ?? "0.0.0.0",
          `health check of service "${id}"`,
        );
        this.#services.set(id, listener);
        this.#log.info({ op: "listen", service: id, port: check.port }, "opened health check port");
      } catch (err) {
        this.#log.error({ op: "listen", service: id, err }, err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** close stops every listener. */
  async close(): Promise<void> {
    const servers = [...this.#services.values()].map((l) => l.server);
    this.#services.clear();
    if (this.#healthz !== undefined) servers.push(this.#healthz);
    this.#healthz = undefined;
    await Promise.all(servers.map(closeServer));
  }

  #serveHealthz(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/healthz" && path !== "/livez") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
      return;
    }
    const s = this.#health.status();
    const ok = s.healthy && (path === "/livez" || this.#nodeEligible);
    const body = `{"lastUpdated": ${JSON.stringify(s.lastUpdated.toISOString())},"currentTime": ${JSON.stringify(s.currentTime.toISOString())}, "nodeEligible": ${this.#nodeEligible}}`;
    res.writeHead(ok ? 200 : 503, JSON_HEADERS).end(body);
  }

  #serveService(l: ServiceListener, _req: IncomingMessage, res: ServerResponse): void {
    const n = l.check.localEndpoints;
    const healthy = this.#health.status().healthy;
    const body = {
      service: { namespace: l.check.namespace, name: l.check.name },
      localEndpoints: n,
      serviceProxyHealthy: healthy,
    };
    res
      .writeHead(n > 0 && healthy ? 200 : 503, {
        ...JSON_HEADERS,
        "X-Load-Balancing-Endpoint-Weight": String(n),
      })
      .end(JSON.stringify(body));
  }
}

function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(new Error(`listen ${what} on "${host}:${port}": ${err.message}`, { cause: err }));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections from a load balancer would hold close() open indefinitely.
    server.closeAllConnections();
  });
}
