/**
 * resolveTarget: which datastore a ctl command talks to, in kubectl's precedence — an explicit
 * `--datastore` location (like kubectl's `--server`), else `--context NAME`, else the
 * SLUICE_DATASTORE environment variable, else the config's current context, else the built-in
 * default /etc/sluice/datastore. Pure: the config is passed in (lazily, so a flag works even when
 * the config file is broken).
 */
import { DEFAULT_DATASTORE_DIR } from "../datastore/datastore-dir.ts";
import {
  formatDatastoreLocation,
  parseDatastoreLocation,
  sameLocation,
  type DatastoreLocation,
} from "../datastore/datastore-location.ts";
import { findContext, type SluiceConfig } from "./sluice-config.ts";

/** TargetFlags are the ctl commands' datastore options. */
export interface TargetFlags {
  readonly datastore?: string;
  readonly context?: string;
}

/** TargetOrigin says which rule picked the datastore. */
export type TargetOrigin = "flag" | "context-flag" | "env" | "current-context" | "default";

/** Target is the chosen datastore, why it was chosen, and the current context (for the note on writes). */
export interface Target {
  readonly location: DatastoreLocation;
  readonly origin: TargetOrigin;
  /** The context that picked it (`--context` or the current one). */
  readonly context?: string;
  /** The config's current context and its location, when there is one. */
  readonly current?: { readonly name: string; readonly location: DatastoreLocation };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/** resolveTarget applies the precedence; `loadConfig` may throw (a broken file), which only matters when it is needed. */
export function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  loadConfig: () => SluiceConfig,
): Target {
  let config: SluiceConfig | undefined;
  let configError: unknown;
  try {
    config = loadConfig();
  } catch (err) {
    configError = err;
  }
  const need = (): SluiceConfig => {
    if (config === undefined) throw configError;
    return config;
  };
  const currentName = config?.currentContext;
  const currentCtx = currentName !== undefined ? config && findContext(config, currentName) : undefined;
  const current =
    currentCtx !== undefined ? { current: { name: currentCtx.name, location: currentCtx.datastore } } : {};

  const flag = nonEmpty(flags.datastore);
  if (flag !== undefined) return { location: parseDatastoreLocation(flag), origin: "flag", ...current };
  const contextFlag = nonEmpty(flags.context);
  if (contextFlag !== undefined) {
    const ctx = findContext(need(), contextFlag);
    if (ctx === undefined) {
      const known = need().contexts.map((c) => c.name);
      throw new Error(
        `resolve context ${JSON.stringify(contextFlag)}: no such context${known.length > 0 ? `; known: ${known.join(", ")}` : " (see sluice config set-context)"}`,
      );
    }
    return { location: ctx.datastore, origin: "context-flag", context: ctx.name, ...current };
  }
  const fromEnv = nonEmpty(env["SLUICE_DATASTORE"]);
  if (fromEnv !== undefined) return { location: parseDatastoreLocation(fromEnv), origin: "env", ...current };
  if (currentName !== undefined) {
    if (currentCtx === undefined)
      throw new Error(
        `resolve current context ${JSON.stringify(currentName)}: no such context in the config (sluice config use-context NAME)`,
      );
    return {
      location: currentCtx.datastore,
      origin: "current-context",
      context: currentCtx.name,
      ...current,
    };
  }
  if (config === undefined) throw configError;
  return { location: { type: "file", dir: DEFAULT_DATASTORE_DIR }, origin: "default" };
}

/**
 * targetNote is the line a write prints (on stderr) when it did not go to the current context's
 * datastore, so a write never lands somewhere unexpected in silence; undefined when it did.
 */
export function targetNote(target: Target): string | undefined {
  if (target.current !== undefined && sameLocation(target.location, target.current.location))
    return undefined;
  const where = `${target.location.type} datastore ${formatDatastoreLocation(target.location)}`;
  const why: Record<TargetOrigin, string> = {
    flag: "from --datastore",
    "context-flag": `context ${JSON.stringify(target.context ?? "")} from --context`,
    env: "from SLUICE_DATASTORE",
    "current-context": "current context",
    default: "the default; no current context, see sluice config get-contexts",
  };
  const cur =
    target.current !== undefined
      ? `; the current context ${JSON.stringify(target.current.name)} is ${formatDatastoreLocation(target.current.location)}`
      : "";
  return `note: writing to ${where} (${why[target.origin]}${cur})`;
}
