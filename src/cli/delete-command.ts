/**
 * registerDeleteCommand adds `sluice delete <kind> <name...>` and `sluice delete -f <file>`.
 * A manifest file's resources are deleted by identity; the file itself is not touched.
 */
import type { Command } from "commander";
import { ResourceNotFoundError } from "../datastore/resource-not-found-error.ts";
import type { ResourceKey } from "../model/resource-key.ts";
import { manifestKey } from "../model/validate-resource.ts";
import {
  addDatastoreOption,
  keyFor,
  kindArgument,
  openDatastore,
  resourceRef,
  runCtl,
  type DatastoreFlags,
} from "./ctl-support.ts";
import { readManifests } from "./read-manifests.ts";

interface DeleteFlags extends DatastoreFlags {
  readonly filename?: string;
  readonly namespace: string;
  readonly ignoreNotFound?: boolean;
}

function keysToDelete(kind: string | undefined, names: string[], flags: DeleteFlags): ResourceKey[] {
  if (flags.filename !== undefined) {
    if (kind !== undefined) throw new Error("delete: give either -f or a kind and names, not both");
    return readManifests(flags.filename).map((m) => {
      const key = manifestKey(m.raw);
      if (key === undefined) throw new Error(`delete ${m.source}: the document names no known kind and name`);
      return key;
    });
  }
  if (kind === undefined || names.length === 0)
    throw new Error("delete: give a kind and at least one name, or -f <file>");
  const info = kindArgument(kind);
  return names.map((n) => keyFor(info, n, flags.namespace));
}

/** registerDeleteCommand adds `delete` to the program. */
export function registerDeleteCommand(program: Command): void {
  const command = program
    .command("delete [kind] [names...]")
    .description("delete resources by kind and name, or those named in a manifest (-f)")
    .option("-f, --filename <path>", "manifest file, directory, or - for stdin")
    .option("-n, --namespace <ns>", "namespace of namespaced resources", "default")
    .option("--ignore-not-found", "succeed when a resource does not exist");
  addDatastoreOption(command).action((kind: string | undefined, names: string[], flags: DeleteFlags) =>
    runCtl(async () => {
      const keys = keysToDelete(kind, names, flags);
      const datastore = await openDatastore(flags, { write: true });
      let missing: ResourceNotFoundError | undefined;
      for (const key of keys) {
        if (await datastore.delete(key)) console.log(`${resourceRef(key)} deleted`);
        else if (!flags.ignoreNotFound) {
          missing = new ResourceNotFoundError("delete", key);
          console.error(`error: ${missing.message}`);
        }
      }
      await datastore.close();
      if (missing !== undefined) process.exitCode = 1;
    }),
  );
}
