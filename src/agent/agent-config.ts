/**
 * resolveAgentConfig turns `sluice agent` flags and the environment into the agent's settings.
 * Flags win over the environment (the lab sets SLUICE_NODE_NAME, SLUICE_NODE_IP,
 * SLUICE_BPFFS_ROOT, SLUICE_DATASTORE_DIR), which wins over defaults. Pure.
 */
import type { AttachMethod } from "../datapath/iface-attacher.ts";
import { parseDatastoreLocation, type DatastoreLocation } from "../datastore/datastore-location.ts";
import type { LogLevel } from "./agent-logger.ts";

/** AgentFlags are the command-line options, as commander hands them over. */
export interface AgentFlags {
  readonly datastore?: string;
  readonly node?: string;
  readonly bpffsRoot?: string;
  readonly nodeIp?: string;
  readonly metricsPort?: number;
  readonly healthPort?: number;
  readonly healthzPort?: number;
  readonly interfacePrefix?: string;
  readonly logLevel?: LogLevel;
  readonly object?: string;
  readonly attachMethod?: string;
  readonly stateDir?: string;
}

/** AgentConfig is everything the agent needs to start. */
export interface AgentConfig {
  /** The datastore as given (`/etc/sluice/datastore`, `kubernetes`, `etcd:http://...`). */
  readonly datastoreDir: string;
  /** The datastore, parsed (datastore-location.ts). */
  readonly datastore: DatastoreLocation;
  readonly nodeName: string;
  /** bpffs directory under which `sluice/` holds this agent's pins. */
  readonly bpffsRoot: string;
  /** `<bpffsRoot>/sluice`: maps and `links/`. */
  readonly pinDir: string;
  /** Configured node address; undefined = autodetect. */
  readonly nodeIp: string | undefined;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** kube-proxy's /healthz port (10256); 0 disables. */
  readonly healthzPort: number;
  /** Workload interface prefixes unless FelixConfiguration interfacePrefix says otherwise. */
  readonly interfacePrefixes: readonly string[];
  readonly logLevel: LogLevel;
  /** The datapath object (bpf/obj/tc.o). */
  readonly objectPath: string;
  /** How programs reach tc hooks: auto (tcx when the kernel has it, else cls_bpf) or forced. */
  readonly attachMethod: AttachMethod;
  /**
   * Where the agent keeps its restart snapshots (the datastore index, the NAT state); undefined
   * = none. Default `/run/sluice<bpffsRoot>`: one per pin root, and on tmpfs like the pins.
   */
  readonly stateDir?: string;
}

export type { AttachMethod };

/** ATTACH_METHODS are the values `--attach-method` and SLUICE_ATTACH_METHOD take. */
export const ATTACH_METHODS = ["auto", "tcx", "cls_bpf"] as const satisfies readonly AttachMethod[];

function attachMethod(flag: string | undefined, env: string | undefined): AttachMethod {
  const v = flag ?? nonEmpty(env) ?? "auto";
  const m = ATTACH_METHODS.find((x) => x === v);
  if (m === undefined)
    throw new RangeError(`resolve attach method: "${v}" is not one of ${ATTACH_METHODS.join(", ")}`);
  return m;
}

/** DEFAULT_PORTS are Felix's (Prometheus 9091, health 9099) and kube-proxy's /healthz (10256). */
export const DEFAULT_PORTS = { metrics: 9091, health: 9099, healthz: 10256 } as const;

/** DEFAULT_INTERFACE_PREFIX is Calico's workload prefix. */
export const DEFAULT_INTERFACE_PREFIX = "cali";

const DEFAULT_OBJECT = new URL("../../bpf/obj/tc.o", import.meta.url).pathname;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

function port(flag: number | undefined, env: string | undefined, def: number, what: string): number {
  const v = flag ?? (nonEmpty(env) !== undefined ? Number(env) : def);
  if (!Number.isInteger(v) || v < 0 || v > 65535)
    throw new RangeError(`resolve ${what}: "${flag ?? env}" is not a port (0 disables)`);
  return v;
}

/** stateDir: the flag or variable as given ("none" turns snapshots off), else one per pin root under /run/sluice. */
function stateDir(given: string | undefined, bpffsRoot: string): { stateDir?: string } {
  if (given === "none") return {};
  return { stateDir: given ?? `/run/sluice${bpffsRoot.startsWith("/") ? "" : "/"}${bpffsRoot}` };
}

/** resolveAgentConfig applies flags over the environment over defaults; `hostname` names the node by default. */
export function resolveAgentConfig(flags: AgentFlags, env: NodeJS.ProcessEnv, hostname: string): AgentConfig {
  const bpffsRoot = (flags.bpffsRoot ?? nonEmpty(env["SLUICE_BPFFS_ROOT"]) ?? "/sys/fs/bpf").replace(
    /\/+$/,
    "",
  );
  const datastore =
    flags.datastore ??
    nonEmpty(env["SLUICE_DATASTORE_DIR"]) ??
    nonEmpty(env["SLUICE_DATASTORE"]) ??
    "/etc/sluice/datastore";
  const prefix =
    flags.interfacePrefix ?? nonEmpty(env["SLUICE_INTERFACE_PREFIX"]) ?? DEFAULT_INTERFACE_PREFIX;
  return {
    datastoreDir: datastore,
    datastore: parseDatastoreLocation(datastore),
    nodeName: flags.node ?? nonEmpty(env["SLUICE_NODE_NAME"]) ?? hostname,
    bpffsRoot,
    pinDir: `${bpffsRoot}/sluice`,
    nodeIp: flags.nodeIp ?? nonEmpty(env["SLUICE_NODE_IP"]),
    metricsPort: port(flags.metricsPort, env["SLUICE_METRICS_PORT"], DEFAULT_PORTS.metrics, "metrics port"),
    healthPort: port(flags.healthPort, env["SLUICE_HEALTH_PORT"], DEFAULT_PORTS.health, "health port"),
    healthzPort: port(flags.healthzPort, env["SLUICE_HEALTHZ_PORT"], DEFAULT_PORTS.healthz, "healthz port"),
    interfacePrefixes: prefix
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
    logLevel: flags.logLevel ?? "info",
    objectPath: flags.object ?? DEFAULT_OBJECT,
    attachMethod: attachMethod(flags.attachMethod, env["SLUICE_ATTACH_METHOD"]),
    ...stateDir(flags.stateDir ?? nonEmpty(env["SLUICE_STATE_DIR"]), bpffsRoot),
  };
}
