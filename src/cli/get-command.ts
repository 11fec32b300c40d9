/**
 * registerGetCommand adds `sluice get <kind> [name] [-n ns | -A] [-o yaml|json|wide|name]`.
 * Shows what the dataplane sees: validated resources with their defaults filled in. Manifests
 * of that kind that were rejected are listed on stderr, so a typo does not go unnoticed.
 */
import type { Command } from "commander";
import { dump } from "js-yaml";
import { ResourceNotFoundError } from "../datastore/resource-not-found-error.ts";
import type { Resource } from "../model/resource.ts";
import { plainResource } from "../model/packed-endpoint.ts";
import {
  addDatastoreOption,
  keyFor,
  kindArgument,
  openDatastore,
  resourceRef,
  runCtl,
  type DatastoreFlags,
} from "./ctl-support.ts";
import { limitOption } from "./dump-command.ts";
import { resourceTable } from "./resource-table.ts";

interface GetFlags extends DatastoreFlags {
  readonly namespace: string;
  readonly allNamespaces?: boolean;
  readonly output?: string;
  readonly limit?: number;
}

function render(
  resources: readonly Resource[],
  single: boolean,
  flags: GetFlags,
  namespaced: boolean,
): string {
  const output = flags.output ?? "table";
  const doc = single ? resources[0] : { apiVersion: "v1", kind: "List", items: resources };
  switch (output) {
    case "yaml":
      // js-yaml's dumper: ~3x faster than the `yaml` package's document model on a 10k-item List.
      // skipInvalid drops undefined fields, as JSON.stringify and the `yaml` package do. It does
      // not call toJSON: packed endpoints are given as their plain objects.
      return dump(plainResource(doc), { lineWidth: -1, noRefs: true, skipInvalid: true }).trimEnd();
    case "json":
      return JSON.stringify(doc, null, 2);
    case "name":
      return resources
        .map((r) => resourceRef({ ...refGroup(r), kind: r.kind, name: r.metadata.name }))
        .join("\n");
    case "table":
    case "wide":
      return resourceTable(resources, {
        wide: output === "wide",
        withNamespace: namespaced && flags.allNamespaces === true,
      });
    default:
      throw new Error(
        `get: output format ${JSON.stringify(output)} is not supported; use yaml, json, wide or name`,
      );
  }
}

function refGroup(r: Resource): { group: string } {
  const slash = r.apiVersion.indexOf("/");
  return { group: slash < 0 ? "" : r.apiVersion.slice(0, slash) };
}

/** registerGetCommand adds `get` to the program. */
export function registerGetCommand(program: Command): void {
  const command = program
    .command("get <kind> [name]")
    .description("show resources from the datastore (table, or -o yaml|json|wide|name)")
    .option("-n, --namespace <ns>", "namespace of namespaced resources", "default")
    .option("-A, --all-namespaces", "list across all namespaces")
    .option("-o, --output <format>", "yaml, json, wide or name")
    .option(
      "--limit <n>",
      "show at most n resources (in name order); the total is printed on stderr",
      limitOption,
    );
  addDatastoreOption(command).action((kind: string, name: string | undefined, flags: GetFlags) =>
    runCtl(async () => {
      const info = kindArgument(kind);
      // Only this kind is read: at 10k Services the other kinds' validation was most of the load.
      const datastore = await openDatastore(flags, { onlyKinds: [info.kind] });
      const namespace = info.namespaced && !flags.allNamespaces ? flags.namespace : undefined;
      const listed = await datastore.list({
        kind: info.kind,
        ...(namespace !== undefined ? { namespace } : {}),
      });
      await datastore.close();
      for (const r of listed.rejected) {
        if (r.key !== undefined && r.key.group !== info.group) continue;
        if (namespace === undefined || r.key?.namespace === undefined || r.key.namespace === namespace) {
          console.error(`warning: ${r.source}: ${r.error.message}`);
        }
      }
      // Both NetworkPolicy kinds share a kind name; keep the group asked for.
      let resources = listed.resources.filter((r) => refGroup(r).group === info.group);
      if (name !== undefined) {
        resources = resources.filter((r) => r.metadata.name === name);
        if (resources.length === 0)
          throw new ResourceNotFoundError("get", keyFor(info, name, flags.namespace));
      } else if (resources.length === 0) {
        console.error(
          namespace === undefined ? "No resources found" : `No resources found in ${namespace} namespace.`,
        );
        return;
      }
      if (flags.limit !== undefined && resources.length > flags.limit) {
        console.error(`showing ${flags.limit} of ${resources.length}`);
        resources = resources.slice(0, flags.limit);
      }
      console.log(render(resources, name !== undefined, flags, info.namespaced));
    }),
  );
}
