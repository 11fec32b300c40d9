/**
 * registerApplyCommand adds `sluice apply -f <file|dir|->`: create or replace resources in the
 * datastore. Every document is validated before any is written: one bad document fails the
 * whole apply and nothing changes, so a manifest set is never half-applied.
 */
import type { Command } from "commander";
import type { Datastore, WriteResult } from "../datastore/datastore.ts";
import { validateResource } from "../model/validate-resource.ts";
import {
  addDatastoreOption,
  openDatastore,
  resourceRef,
  runCtl,
  type DatastoreFlags,
} from "./ctl-support.ts";
import { readManifests } from "./read-manifests.ts";

interface ApplyFlags extends DatastoreFlags {
  readonly filename: string[];
  readonly namespace?: string;
}

function withNamespace(raw: unknown, namespace: string | undefined, source: string): unknown {
  if (namespace === undefined || typeof raw !== "object" || raw === null) return raw;
  const meta = (raw as { metadata?: Record<string, unknown> }).metadata ?? {};
  const own = meta["namespace"];
  if (typeof own === "string" && own !== namespace) {
    throw new Error(
      `apply ${source}: the manifest's namespace ${JSON.stringify(own)} does not match --namespace ${JSON.stringify(namespace)}`,
    );
  }
  return { ...raw, metadata: { ...meta, namespace } };
}

async function applyEach(datastore: Datastore, raws: readonly unknown[]): Promise<WriteResult[]> {
  const out: WriteResult[] = [];
  for (const raw of raws) out.push(await datastore.apply(raw));
  return out;
}

/** registerApplyCommand adds `apply` to the program. */
export function registerApplyCommand(program: Command): void {
  const command = program
    .command("apply")
    .description(
      "create or update resources in the datastore from manifests (validated first; all or nothing)",
    )
    .requiredOption(
      "-f, --filename <path>",
      "manifest file, directory, or - for stdin (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("-n, --namespace <ns>", "namespace for manifests that name none");
  addDatastoreOption(command).action((flags: ApplyFlags) =>
    runCtl(async () => {
      const inputs = flags.filename.flatMap((f) => readManifests(f));
      if (inputs.length === 0) throw new Error(`apply ${flags.filename.join(", ")}: no manifests found`);
      const manifests = inputs.map((i) => ({ ...i, raw: withNamespace(i.raw, flags.namespace, i.source) }));
      const problems = manifests.flatMap((m) => {
        const result = validateResource(m.raw);
        return result.ok ? [] : [`${m.source}: ${result.error.message}`];
      });
      if (problems.length > 0) {
        for (const p of problems.slice(0, -1)) console.error(`error: ${p}`);
        throw new Error(
          `${problems.at(-1)}${problems.length > 1 ? ` (${problems.length} invalid documents; nothing applied)` : " (nothing applied)"}`,
        );
      }
      const datastore = await openDatastore(flags, { write: true });
      const raws = manifests.map((m) => m.raw);
      // One pass for the whole set when the backend can (the file datastore: linear in objects).
      const results = datastore.applyBatch
        ? await datastore.applyBatch(raws)
        : await applyEach(datastore, raws);
      process.stdout.write(results.map((r) => `${resourceRef(r.key)} ${r.action}\n`).join(""));
      await datastore.close();
    }),
  );
}
