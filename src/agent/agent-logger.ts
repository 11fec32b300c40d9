/**
 * createAgentLogger builds the agent's pino logger. Log records use a small fixed vocabulary of
 * keys so they can be filtered the same way everywhere: `iface` (interface name), `map` (BPF map
 * name), `service` (namespace/name), `op` (what was being done: attach, adopt, sync, ...).
 */
import { pino } from "pino";
import type { Logger } from "pino";

/** AgentLogFields are the fixed keys a log record may carry besides msg and err. */
export interface AgentLogFields {
  readonly iface?: string;
  readonly map?: string;
  readonly service?: string;
  readonly op?: string;
}

/** AgentLogger is the logger type every agent part takes (injected, never imported globally). */
export type AgentLogger = Logger;

/** LogLevel is what --log-level accepts. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "silent";

/** createAgentLogger writes JSON lines to stdout (or `destination`), tagged with the node name. */
export function createAgentLogger(
  node: string,
  level: LogLevel = "info",
  destination?: NodeJS.WritableStream,
): AgentLogger {
  const options = { level, base: { node }, timestamp: pino.stdTimeFunctions.isoTime } as const;
  return destination === undefined ? pino(options) : pino(options, destination);
}
