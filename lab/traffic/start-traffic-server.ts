/**
 * startTrafficServer runs the traffic server (server.ts) in a lab namespace and resolves once it
 * listens. The handle collects every request the server reports (who it saw as the client).
 */
import { createInterface } from "node:readline";
import type { Lab } from "../lab.ts";
import type { NetnsProcess } from "../netns-process.ts";
import { nodeScriptArgv } from "./node-script.ts";
import type { ServerReply } from "./server-reply.ts";
import type { TrafficListener, TrafficProto } from "./traffic-args.ts";

/** TrafficServerOptions configures startTrafficServer; every field has a bounded default. */
export interface TrafficServerOptions {
  /** One listener (default tcp:8080)... */
  readonly proto?: TrafficProto;
  readonly port?: number;
  /** ...or several in one process (overrides proto/port). */
  readonly listen?: readonly TrafficListener[];
  /** Label the server puts in its replies; default the target name. */
  readonly name?: string;
  /** Exit after this many connections/datagrams. Default 1000. */
  readonly maxRequests?: number;
  /** Exit after this long. Default 120 s. */
  readonly lifetimeMs?: number;
  /** Address to listen on; default 0.0.0.0 ("::" also takes IPv6, for TCP). */
  readonly bind?: string;
  /** How long to wait for "listening". Default 15 s. */
  readonly startTimeoutMs?: number;
}

/** TrafficServer is a running traffic server. */
export interface TrafficServer {
  readonly process: NetnsProcess;
  readonly listeners: readonly TrafficListener[];
  /** Requests reported so far (at most maxRequests). */
  readonly requests: readonly ServerReply[];
  /** stop ends the server (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/** startTrafficServer starts a server in `target`'s namespace and waits until it listens. */
export async function startTrafficServer(
  lab: Pick<Lab, "spawn">,
  target: string,
  options: TrafficServerOptions = {},
): Promise<TrafficServer> {
  const listeners = options.listen ?? [{ proto: options.proto ?? "tcp", port: options.port ?? 8080 }];
  const what = listeners.map((l) => `${l.proto}:${l.port}`).join(",");
  const argv = nodeScriptArgv("server.ts", [
    "--listen",
    what,
    "--name",
    options.name ?? target,
    "--max-requests",
    String(options.maxRequests ?? 1000),
    "--lifetime-ms",
    String(options.lifetimeMs ?? 120_000),
    ...(options.bind !== undefined ? ["--bind", options.bind] : []),
  ]);
  const proc = await lab.spawn(target, argv);
  const requests: ServerReply[] = [];
  let stderr = "";
  proc.child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d;
  });
  const lines = createInterface({ input: proc.child.stdout! });
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void proc.stop();
      reject(
        new Error(
          `start ${what} server in "${target}": not listening after ${startTimeoutMs} ms: ${stderr.trim()}`,
        ),
      );
    }, startTimeoutMs);
    void proc.exited.then((s) => {
      clearTimeout(timer);
      reject(
        new Error(
          `start ${what} server in "${target}": exited (code ${s.code}, signal ${s.signal}): ${stderr.trim()}`,
        ),
      );
    });
    lines.on("line", (line) => {
      let event: { event?: string } & Partial<ServerReply>;
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === "listening") {
        clearTimeout(timer);
        resolve();
      } else if (event.event === "request") {
        const { event: _e, ...reply } = event;
        requests.push(reply as ServerReply);
      }
    });
  });
  return {
    process: proc,
    listeners,
    requests,
    stop: async () => {
      await proc.stop();
    },
  };
}
