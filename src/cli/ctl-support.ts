/**
 * What the ctl commands (apply, get, delete, patch) share: opening the datastore the flags,
 * environment and config contexts name (resolve-target.ts), resolving a kind the way kubectl does, kubectl-style resource
 * references (`service/web`, `felixconfiguration.projectcalico.org/default`), and turning any
 * failure into one stderr line and a non-zero exit.
 */
import type { Command } from "commander";
import type { Datastore } from "../datastore/datastore.ts";
import { openDatastore as openAt } from "../datastore/open-datastore.ts";
import type { ResourceKey } from "../model/resource-key.ts";
import { resolveTarget, targetNote, type TargetFlags } from "./resolve-target.ts";
import { loadSluiceConfig, sluiceConfigPath } from "./sluice-config.ts";
import { kindNames, resolveKind, RESOURCE_KINDS, type KindInfo } from "../model/resource-kinds.ts";

/** DatastoreFlags are the options every ctl command takes. */
export type DatastoreFlags = TargetFlags;

/** addDatastoreOption adds `--datastore <location>` and `--context <name>` to a ctl command. */
export function addDatastoreOption(command: Command): Command {
  return command
    .option(
      "--datastore <location>",
      "a directory, kubernetes[:KUBECONFIG[#CONTEXT]] or etcd:URL[,URL][#PREFIX] (overrides --context, $SLUICE_DATASTORE and the current context)",
    )
    .option("--context <name>", "the config context to use (sluice config get-contexts)");
}

/**
 * openDatastore opens the datastore the flags, SLUICE_DATASTORE and the config name. A write
 * (`write: true`) says on stderr where it goes when that is not the current context's datastore.
 */
export async function openDatastore(
  flags: DatastoreFlags,
  options: { readonly write?: boolean; readonly onlyKinds?: readonly string[] } = {},
): Promise<Datastore> {
  const target = resolveTarget(flags, process.env, () => loadSluiceConfig(sluiceConfigPath()));
  if (options.write === true) {
    const note = targetNote(target);
    if (note !== undefined) console.error(note);
  }
  return openAt(target.location, options.onlyKinds === undefined ? {} : { onlyKinds: options.onlyKinds });
}

/** kindArgument resolves a kind argument (`svc`, `felixconfiguration.p`); throws naming the known kinds. */
export function kindArgument(text: string): KindInfo {
  const info = resolveKind(text);
  if (info === undefined) {
    throw new Error(
      `resolve resource type ${JSON.stringify(text)}: unknown; known types: ${kindNames().join(", ")}`,
    );
  }
  return info;
}

/** keyFor is the key of `name` of kind `info`, in `namespace` when the kind is namespaced. */
export function keyFor(info: KindInfo, name: string, namespace: string | undefined): ResourceKey {
  return info.namespaced
    ? { group: info.group, kind: info.kind, namespace: namespace ?? "default", name }
    : { group: info.group, kind: info.kind, name };
}

/** resourceRef names a resource as kubectl prints it: `service/web`, `installation.operator.tigera.io/default`. */
export function resourceRef(key: ResourceKey): string {
  const info = RESOURCE_KINDS.find((k) => k.kind === key.kind && k.group === key.group);
  const type =
    info === undefined || info.group === "" ? key.kind.toLowerCase() : `${info.singular}.${info.group}`;
  return `${type}/${key.name}`;
}

/** runCtl runs a command body; any error becomes its message on stderr and exit code 1. */
export async function runCtl(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
