/**
 * The CLI's config file, kubectl's way: named contexts, each a datastore location, and the
 * current one. `$SLUICE_CONFIG`, else `~/.config/sluice/config.yaml`. A missing file is an empty
 * config; a malformed one is an error naming the file and the field (never silently ignored: a
 * write would otherwise land somewhere the user did not mean).
 *
 *   apiVersion: sluice/v1
 *   kind: Config
 *   current-context: lab-sluice
 *   contexts:
 *     - name: lab-sluice
 *       datastore: { type: file, dir: /run/sluice/lab-sluice/datastore }
 *       lab: sluice                   # added by `sluice lab up --name sluice`
 *       previous-context: prod        # restored by `sluice lab down`
 *     - name: prod
 *       datastore: { type: kubernetes, kubeconfig: /root/.kube/config, context: prod }
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { atomicWriteFile } from "../datastore/atomic-write.ts";
import { DEFAULT_ETCD_PREFIX, type DatastoreLocation } from "../datastore/datastore-location.ts";

/** SluiceContext is one named datastore; `lab` and `previousContext` are set by `sluice lab up`. */
export interface SluiceContext {
  readonly name: string;
  readonly datastore: DatastoreLocation;
  readonly lab?: string;
  readonly previousContext?: string;
}

/** SluiceConfig is the whole file. */
export interface SluiceConfig {
  readonly currentContext?: string;
  readonly contexts: readonly SluiceContext[];
}

/** EMPTY_CONFIG is a config with no contexts (the missing file). */
export const EMPTY_CONFIG: SluiceConfig = { contexts: [] };

/** sluiceConfigPath is `$SLUICE_CONFIG`, else `~/.config/sluice/config.yaml`. */
export function sluiceConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["SLUICE_CONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const base =
    env["XDG_CONFIG_HOME"] !== undefined && env["XDG_CONFIG_HOME"] !== ""
      ? env["XDG_CONFIG_HOME"]
      : join(env["HOME"] ?? homedir(), ".config");
  return join(base, "sluice", "config.yaml");
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function parseLocation(raw: unknown, where: string): DatastoreLocation {
  const r = record(raw);
  const fail = (field: string, reason: string): never => {
    throw new Error(`${where}.datastore${field}: ${reason}`);
  };
  if (r === undefined) return fail("", "required (a mapping with type and location)");
  switch (r["type"]) {
    case "file": {
      const dir = str(r["dir"]) ?? fail(".dir", "required for type file");
      return { type: "file", dir };
    }
    case "kubernetes": {
      const kubeconfig = str(r["kubeconfig"]);
      const context = str(r["context"]);
      return {
        type: "kubernetes",
        ...(kubeconfig !== undefined ? { kubeconfig } : {}),
        ...(context !== undefined ? { context } : {}),
      };
    }
    case "etcd": {
      const endpoints = Array.isArray(r["endpoints"])
        ? r["endpoints"].filter((e): e is string => typeof e === "string" && e !== "")
        : [];
      if (endpoints.length === 0) fail(".endpoints", "at least one endpoint required for type etcd");
      return { type: "etcd", endpoints, prefix: str(r["prefix"]) ?? DEFAULT_ETCD_PREFIX };
    }
    default:
      return fail(".type", `${JSON.stringify(r["type"])} is not one of file, kubernetes, etcd`);
  }
}

/** parseSluiceConfig validates a parsed config document; throws "<field>: <reason>". */
export function parseSluiceConfig(doc: unknown): SluiceConfig {
  if (doc === null || doc === undefined) return EMPTY_CONFIG;
  const r = record(doc);
  if (r === undefined) throw new Error("expected a mapping");
  const list = r["contexts"] ?? [];
  if (!Array.isArray(list)) throw new Error("contexts: expected a list");
  const contexts: SluiceContext[] = [];
  list.forEach((item, i) => {
    const c = record(item);
    const where = `contexts[${i}]`;
    const name = str(c?.["name"]);
    if (c === undefined || name === undefined) throw new Error(`${where}.name: required`);
    if (contexts.some((x) => x.name === name))
      throw new Error(`${where}.name: ${JSON.stringify(name)} is defined twice`);
    const lab = str(c["lab"]);
    const previousContext = str(c["previous-context"]);
    contexts.push({
      name,
      datastore: parseLocation(c["datastore"], where),
      ...(lab !== undefined ? { lab } : {}),
      ...(previousContext !== undefined ? { previousContext } : {}),
    });
  });
  const currentContext = str(r["current-context"]);
  return { contexts, ...(currentContext !== undefined ? { currentContext } : {}) };
}

/** renderSluiceConfig is the YAML text of a config. */
export function renderSluiceConfig(config: SluiceConfig): string {
  return stringify({
    apiVersion: "sluice/v1",
    kind: "Config",
    "current-context": config.currentContext ?? "",
    contexts: config.contexts.map((c) => ({
      name: c.name,
      datastore: c.datastore,
      ...(c.lab !== undefined ? { lab: c.lab } : {}),
      ...(c.previousContext !== undefined ? { "previous-context": c.previousContext } : {}),
    })),
  });
}

/** loadSluiceConfig reads the config file; a missing file is EMPTY_CONFIG. */
export function loadSluiceConfig(path: string): SluiceConfig {
  if (!existsSync(path)) return EMPTY_CONFIG;
  try {
    return parseSluiceConfig(parse(readFileSync(path, "utf8")));
  } catch (err) {
    throw new Error(`read config ${JSON.stringify(path)}: ${(err as Error).message}`, { cause: err });
  }
}

/** saveSluiceConfig replaces the config file in one rename. */
export function saveSluiceConfig(path: string, config: SluiceConfig): void {
  atomicWriteFile(path, renderSluiceConfig(config));
}

/** findContext returns the named context or undefined. */
export function findContext(config: SluiceConfig, name: string): SluiceContext | undefined {
  return config.contexts.find((c) => c.name === name);
}

/** withContext adds or replaces one context (kept in the file's order). */
export function withContext(config: SluiceConfig, context: SluiceContext): SluiceConfig {
  const has = config.contexts.some((c) => c.name === context.name);
  const contexts = has
    ? config.contexts.map((c) => (c.name === context.name ? context : c))
    : [...config.contexts, context];
  return { ...config, contexts };
}

/** withCurrentContext makes `name` current; throws when no such context exists. */
export function withCurrentContext(config: SluiceConfig, name: string): SluiceConfig {
  if (findContext(config, name) === undefined) {
    const known = config.contexts.map((c) => c.name);
    throw new Error(
      `use context ${JSON.stringify(name)}: no such context${known.length > 0 ? `; known: ${known.join(", ")}` : " (the config has none)"}`,
    );
  }
  return { ...config, currentContext: name };
}

/**
 * withoutContext removes a context. When it was current, its `previous-context` becomes current
 * again if that still exists (what `lab down` restores), else there is no current context.
 */
export function withoutContext(config: SluiceConfig, name: string): SluiceConfig {
  const gone = findContext(config, name);
  const contexts = config.contexts.filter((c) => c.name !== name);
  if (config.currentContext !== name) return { ...config, contexts };
  const back = gone?.previousContext;
  return back !== undefined && contexts.some((c) => c.name === back)
    ? { contexts, currentContext: back }
    : { contexts };
}
