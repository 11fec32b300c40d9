/**
 * registerPatchCommand adds `sluice patch <kind> <name> -p '<json>' [--type merge|strategic]`,
 * as the how-to's kubectl commands write it (`--patch='{...}'` and `-p '{...}'` both work). The
 * result is validated before it is written; on any error the file is left byte-identical.
 * FelixConfiguration `default` and Installation `default` are patched into existence when
 * absent, because a Calico cluster always has them (see datastore/implicit-defaults.ts).
 */
import type { Command } from "commander";
import { parse } from "yaml";
import type { PatchType } from "../datastore/datastore.ts";
import {
  addDatastoreOption,
  keyFor,
  kindArgument,
  openDatastore,
  resourceRef,
  runCtl,
  type DatastoreFlags,
} from "./ctl-support.ts";

interface PatchFlags extends DatastoreFlags {
  readonly patch: string;
  readonly type: string;
  readonly namespace?: string;
}

function patchType(text: string): PatchType {
  if (text === "merge" || text === "strategic") return text;
  throw new Error(`patch: --type ${JSON.stringify(text)} is not supported; use "merge" or "strategic"`);
}

/** registerPatchCommand adds `patch` to the program. */
export function registerPatchCommand(program: Command): void {
  const command = program
    .command("patch <kind> <name>")
    .description("merge a JSON (or YAML) patch into a resource, validate it, then write it")
    .requiredOption("-p, --patch <patch>", 'the patch, e.g. \'{"spec":{"bpfExternalServiceMode":"DSR"}}\'')
    .option(
      "--type <type>",
      "merge (RFC 7386) or strategic (kubectl's default; plain objects only)",
      "strategic",
    )
    .option("-n, --namespace <ns>", "namespace of a namespaced resource", "default");
  addDatastoreOption(command).action((kind: string, name: string, flags: PatchFlags) =>
    runCtl(async () => {
      const info = kindArgument(kind);
      const key = keyFor(info, name, flags.namespace);
      const type = patchType(flags.type);
      let patch: unknown;
      try {
        patch = parse(flags.patch);
      } catch (err) {
        throw new Error(
          `patch ${resourceRef(key)}: invalid patch: ${(err as Error).message.split("\n")[0]}`,
          { cause: err },
        );
      }
      const datastore = await openDatastore(flags, { write: true });
      const result = await datastore.patch(key, patch, type);
      await datastore.close();
      console.log(`${resourceRef(key)} patched${result.action === "unchanged" ? " (no change)" : ""}`);
    }),
  );
}
