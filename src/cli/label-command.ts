/**
 * registerLabelCommand adds `sluice label <kind> <name> k=v [k2=v2] [k-] [--overwrite] [-n ns]`,
 * kubectl-style: `k-` removes a label; changing an existing value needs --overwrite. Labels are
 * what policy selectors match, so this is how a pod is moved in or out of a policy.
 */
import type { Command } from "commander";
import { ResourceNotFoundError } from "../datastore/resource-not-found-error.ts";
import {
  addDatastoreOption,
  keyFor,
  kindArgument,
  openDatastore,
  resourceRef,
  runCtl,
  type DatastoreFlags,
} from "./ctl-support.ts";
import { planLabelChanges } from "./label-changes.ts";

interface LabelFlags extends DatastoreFlags {
  readonly namespace: string;
  readonly overwrite?: boolean;
}

/** registerLabelCommand adds `label` to the program. */
export function registerLabelCommand(program: Command): void {
  const command = program
    .command("label <kind> <name> <labels...>")
    .description("add (k=v), change (k=v --overwrite) or remove (k-) labels of a resource, as kubectl label")
    .option("-n, --namespace <ns>", "namespace of a namespaced resource", "default")
    .option("--overwrite", "allow changing the value of an existing label");
  addDatastoreOption(command).action((kind: string, name: string, labels: string[], flags: LabelFlags) =>
    runCtl(async () => {
      const info = kindArgument(kind);
      const key = keyFor(info, name, flags.namespace);
      const datastore = await openDatastore(flags, { write: true });
      try {
        const current = await datastore.get(key);
        if (current === undefined) throw new ResourceNotFoundError("label", key);
        const plan = planLabelChanges(current.metadata.labels ?? {}, labels, flags.overwrite === true);
        for (const note of plan.notes) console.log(note);
        if (plan.verdict !== "not labeled") await datastore.patch(key, plan.patch, "merge");
        console.log(`${resourceRef(key)} ${plan.verdict}`);
      } finally {
        await datastore.close();
      }
    }),
  );
}
