/**
 * ProxyLogger is the slice of a pino logger the proxy uses, injected at the reconciler boundary
 * (pure code never logs). Records carry the fixed keys `map`, `service` and `op`.
 */

/** ProxyLogFields are the fixed keys plus counts and the error. */
export interface ProxyLogFields {
  readonly map?: string | undefined;
  readonly service?: string | undefined;
  readonly op?: string | undefined;
  readonly err?: unknown;
  readonly [count: string]: unknown;
}

/** ProxyLogger is pino-compatible: `logger.info({ op: "sync" }, "synced nat maps")`. */
export interface ProxyLogger {
  debug(fields: ProxyLogFields, msg: string): void;
  info(fields: ProxyLogFields, msg: string): void;
  warn(fields: ProxyLogFields, msg: string): void;
  error(fields: ProxyLogFields, msg: string): void;
}

/** silentLogger drops everything (the default when none is injected). */
export const silentLogger: ProxyLogger = { debug() {}, info() {}, warn() {}, error() {} };
