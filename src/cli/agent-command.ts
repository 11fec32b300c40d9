/**
 * registerAgentCommand adds `sluice agent`: the node agent (see src/agent/agent.ts). It runs until
 * SIGTERM/SIGINT; stopping leaves programs and maps pinned so traffic keeps flowing. Needs root.
 */
import { hostname } from "node:os";
import type { Command } from "commander";
import { Agent } from "../agent/agent.ts";
import { resolveAgentConfig } from "../agent/agent-config.ts";
import type { AgentFlags } from "../agent/agent-config.ts";
import { createAgentLogger } from "../agent/agent-logger.ts";
import type { LogLevel } from "../agent/agent-logger.ts";
import { serviceSyncFactory } from "../agent/proxy-service-sync.ts";

const LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const satisfies readonly LogLevel[];

function port(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new Error(`${flag}: "${value}" is not a port (0 disables)`);
    return n;
  };
}

function logLevel(value: string): LogLevel {
  const l = LEVELS.find((x) => x === value);
  if (l === undefined) throw new Error(`--log-level: "${value}" is not one of ${LEVELS.join(", ")}`);
  return l;
}

/** registerAgentCommand adds `sluice agent [--datastore] [--node] [--bpffs-root] [--node-ip] [--metrics-port] [--health-port] ...`. */
export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("run the node agent: keep the eBPF datapath in sync with the datastore (needs root)")
    .option(
      "--datastore <location>",
      "a directory, kubernetes[:KUBECONFIG[#CONTEXT]] or etcd:URL[,URL][#PREFIX] (default: $SLUICE_DATASTORE_DIR, $SLUICE_DATASTORE, else /etc/sluice/datastore)",
    )
    .option("--node <name>", "this node's name (default: $SLUICE_NODE_NAME, else the hostname)")
    .option(
      "--bpffs-root <dir>",
      "bpffs directory holding sluice/ pins (default: $SLUICE_BPFFS_ROOT, else /sys/fs/bpf)",
    )
    .option(
      "--node-ip <ip>",
      "this node's address (default: $SLUICE_NODE_IP, else autodetected toward the default route)",
    )
    .option(
      "--metrics-port <n>",
      "Prometheus /metrics port, 0 disables (default 9091)",
      port("--metrics-port"),
    )
    .option(
      "--health-port <n>",
      "/liveness and /readiness port, 0 disables (default 9099)",
      port("--health-port"),
    )
    .option(
      "--healthz-port <n>",
      "kube-proxy-compatible /healthz port, 0 disables (default 10256)",
      port("--healthz-port"),
    )
    .option(
      "--interface-prefix <list>",
      "workload interface prefixes, comma-separated (default: $SLUICE_INTERFACE_PREFIX, else cali); FelixConfiguration interfacePrefix wins",
    )
    .option("--log-level <level>", `log level: ${LEVELS.join(", ")}`, logLevel)
    .option("--object <path>", "datapath object (default bpf/obj/tc.o)")
    .option(
      "--attach-method <method>",
      "tc attach: auto (tcx when the kernel has it, else cls_bpf), tcx or cls_bpf (default: $SLUICE_ATTACH_METHOD, else auto)",
    )
    .option(
      "--state-dir <dir>",
      'restart snapshots (datastore index, NAT state); "none" for none (default: $SLUICE_STATE_DIR, else /run/sluice<bpffs root>)',
    )
    .action(async (flags: AgentFlags) => {
      let config;
      try {
        config = resolveAgentConfig(flags, process.env, hostname());
      } catch (e) {
        console.error(`error: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const log = createAgentLogger(config.nodeName, config.logLevel);
      let agent: Agent;
      try {
        const services = serviceSyncFactory(config);
        agent = await Agent.start(config, { log, ...(services ? { services } : {}) });
      } catch (e) {
        log.fatal({ op: "start", err: e }, "sluice agent could not start");
        process.exitCode = 1;
        return;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ op: "stop" }, `received ${signal}`);
          resolve();
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
      await agent.stop();
    });
}
