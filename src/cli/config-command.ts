/**
 * registerConfigCommand adds `sluice config get-contexts | current-context | use-context NAME |
 * set-context NAME --datastore LOCATION | delete-context NAME`, kubectl's verbs over the
 * config file (sluice-config.ts).
 */
import type { Command } from "commander";
import { formatDatastoreLocation, parseDatastoreLocation } from "../datastore/datastore-location.ts";
import { runCtl } from "./ctl-support.ts";
import {
  findContext,
  loadSluiceConfig,
  saveSluiceConfig,
  sluiceConfigPath,
  withContext,
  withCurrentContext,
  withoutContext,
} from "./sluice-config.ts";
import { textTable } from "./text-table.ts";

/** registerConfigCommand adds the `config` command group. */
export function registerConfigCommand(program: Command): void {
  const config = program
    .command("config")
    .description(
      `named datastore contexts, kubectl's way (file: $SLUICE_CONFIG, else ~/.config/sluice/config.yaml)`,
    );

  config
    .command("get-contexts")
    .description("list the contexts; * marks the current one")
    .option("-o, --output <format>", "name: context names only")
    .action((flags: { output?: string }) =>
      runCtl(async () => {
        const cfg = loadSluiceConfig(sluiceConfigPath());
        if (flags.output === "name") {
          for (const c of cfg.contexts) console.log(c.name);
          return;
        }
        const rows = cfg.contexts.map((c) => [
          c.name === cfg.currentContext ? "*" : "",
          c.name,
          c.datastore.type,
          formatDatastoreLocation(c.datastore),
          c.lab ?? "",
        ]);
        console.log(textTable(["current", "name", "type", "location", "lab"], rows));
      }),
    );

  config
    .command("current-context")
    .description("print the current context's name")
    .action(() =>
      runCtl(async () => {
        const cfg = loadSluiceConfig(sluiceConfigPath());
        if (cfg.currentContext === undefined)
          throw new Error("current-context is not set (sluice config use-context NAME)");
        console.log(cfg.currentContext);
      }),
    );

  config
    .command("use-context")
    .description("make NAME the current context")
    .argument("<name>")
    .action((name: string) =>
      runCtl(async () => {
        const path = sluiceConfigPath();
        saveSluiceConfig(path, withCurrentContext(loadSluiceConfig(path), name));
        console.log(`Switched to context "${name}".`);
      }),
    );

  config
    .command("set-context")
    .description(
      "add or change context NAME: sluice config set-context prod --datastore kubernetes:/root/.kube/config#prod",
    )
    .argument("<name>")
    .requiredOption(
      "--datastore <location>",
      "a directory, kubernetes[:KUBECONFIG[#CONTEXT]] or etcd:URL[,URL][#PREFIX]",
    )
    .option("--current", "also make it the current context")
    .action((name: string, flags: { datastore: string; current?: boolean }) =>
      runCtl(async () => {
        const path = sluiceConfigPath();
        const cfg = loadSluiceConfig(path);
        const old = findContext(cfg, name);
        let next = withContext(cfg, {
          ...(old ?? {}),
          name,
          datastore: parseDatastoreLocation(flags.datastore),
        });
        if (flags.current === true) next = withCurrentContext(next, name);
        saveSluiceConfig(path, next);
        console.log(`Context "${name}" ${old === undefined ? "created" : "modified"}.`);
      }),
    );

  config
    .command("delete-context")
    .description("remove context NAME (when it is current, its previous context becomes current again)")
    .argument("<name>")
    .action((name: string) =>
      runCtl(async () => {
        const path = sluiceConfigPath();
        const cfg = loadSluiceConfig(path);
        if (findContext(cfg, name) === undefined)
          throw new Error(`delete context ${JSON.stringify(name)}: no such context`);
        saveSluiceConfig(path, withoutContext(cfg, name));
        console.log(`deleted context ${name} from ${path}`);
      }),
    );
}
