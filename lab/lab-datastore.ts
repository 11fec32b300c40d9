/**
 * LabDatastore writes and removes the lab's Namespace, Node and Pod YAML files in the datastore directory.
 * It only ever deletes files it wrote itself (tracked by the caller in the state file), so a
 * datastore directory that also holds user manifests keeps them.
 */
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  namespaceFileName,
  namespaceResource,
  nodeFelixConfiguration,
  nodeFelixConfigurationFileName,
  nodeFileName,
  nodeResource,
  podFileName,
  podResource,
} from "./cluster-resources.ts";
import type { LabPlan, PlannedNode, PlannedPod } from "./plan.ts";

/** writeNodeResource writes `node-<name>.yaml` and returns the file name. */
export function writeNodeResource(plan: LabPlan, node: PlannedNode): string {
  return writeResource(plan.datastoreDir, nodeFileName(node.name), nodeResource(plan, node));
}

/** writeNodeFelixConfiguration writes the node's `node.<name>` FelixConfiguration (the lab's map sizes) and returns the file name. */
export function writeNodeFelixConfiguration(plan: LabPlan, node: PlannedNode): string {
  return writeResource(
    plan.datastoreDir,
    nodeFelixConfigurationFileName(node.name),
    nodeFelixConfiguration(node),
  );
}

/** writeNamespaceResource writes `namespace-<name>.yaml` and returns the file name. */
export function writeNamespaceResource(plan: LabPlan, name: string): string {
  return writeResource(plan.datastoreDir, namespaceFileName(name), namespaceResource(plan, name));
}

/** writePodResource writes `pod-<namespace>-<name>.yaml` and returns the file name. */
export function writePodResource(plan: LabPlan, pod: PlannedPod): string {
  return writeResource(plan.datastoreDir, podFileName(pod), podResource(plan, pod));
}

/** removeDatastoreFiles removes the named files, then the directory if that left it empty. */
export function removeDatastoreFiles(dir: string, files: readonly string[]): void {
  for (const f of files) rmSync(join(dir, f), { force: true });
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

function writeResource(dir: string, file: string, resource: object): string {
  mkdirSync(dir, { recursive: true });
  // Write then rename so a watching datastore never reads half a file; the temp name does not
  // end in .yaml so a watcher ignores it.
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, stringify(resource));
  renameSync(tmp, join(dir, file));
  return file;
}
