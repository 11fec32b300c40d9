/**
 * teardownLab removes what one lab made: its recorded processes, its namespaces (recorded ones
 * plus any leftover that matches the lab's own naming, for a crashed run), its pin directories
 * and its agents' records kept by pin directory, its datastore files, its run directory and its
 * state file. Best effort: every step runs even
 * when an earlier one failed, and the failures are returned together.
 */
import { existsSync, rmSync, rmdirSync } from "node:fs";
import { dirname } from "node:path";
import { mapFullStatusPath } from "../src/agent/map-full-status.ts";
import { policyRecordDir } from "../src/agent/policy-record.ts";
import { removePinDir } from "../src/kernel/bpffs.ts";
import { deleteNetns, listNetns } from "../src/kernel/netns.ts";
import { removeDatastoreFiles } from "./lab-datastore.ts";
import { isLabNetns } from "./lab-names.ts";
import { removeLabState } from "./lab-state.ts";
import type { LabState } from "./lab-state.ts";
import { netnsUsers } from "./netns-users.ts";
import type { LabPlan } from "./plan.ts";
import { stopRecordedProcesses } from "./stop-recorded-processes.ts";

/** TeardownReport says what was removed and what could not be. */
export interface TeardownReport {
  readonly namespaces: string[];
  readonly stoppedPids: number[];
  /** Processes the lab did not start that were still inside a deleted namespace (left running). */
  readonly strays: { readonly netns: string; readonly pids: number[] }[];
  readonly errors: Error[];
}

/** TeardownOptions reports progress, one line per step. */
export interface TeardownOptions {
  readonly onProgress?: (line: string) => void;
}

/** teardownLab removes the lab described by `plan` (and by `state`, when one was recorded). */
export async function teardownLab(
  plan: LabPlan,
  state: LabState | undefined,
  options: TeardownOptions = {},
): Promise<TeardownReport> {
  const progress = options.onProgress ?? (() => undefined);
  const report: TeardownReport = { namespaces: [], stoppedPids: [], strays: [], errors: [] };
  const attempt = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      report.errors.push(new Error(`${what}: ${(err as Error).message}`, { cause: err }));
    }
  };

  if (state && state.processes.length > 0) {
    progress(`stop ${state.processes.length} lab process(es)`);
    try {
      report.stoppedPids.push(...(await stopRecordedProcesses(state.processes)));
    } catch (err) {
      report.errors.push(new Error(`stop lab processes: ${(err as Error).message}`, { cause: err }));
    }
  }

  const recorded = state?.namespaces ?? [];
  let present: string[] = [];
  attempt("list netns", () => {
    present = listNetns();
  });
  const leftovers = present.filter((n) => isLabNetns(plan.name, n) && !recorded.includes(n));
  // Pods before nodes before client and underlay: the reverse of creation.
  const order = [...leftovers.sort(byDepth), ...[...recorded].reverse()];
  for (const netns of order) {
    if (!present.includes(netns)) continue;
    progress(`delete netns ${netns}`);
    const pids = netnsUsers(netns);
    if (pids.length > 0) report.strays.push({ netns, pids });
    attempt(`delete netns "${netns}"`, () => deleteNetns(netns));
    report.namespaces.push(netns);
  }

  const pinDirs = new Set(state?.pinDirs ?? []);
  // The default pin root carries the lab's name, so it is this lab's even without a record.
  if (plan.bpffsRoot === `/sys/fs/bpf/sluice-lab-${plan.name}`) pinDirs.add(plan.bpffsRoot);
  for (const dir of [...pinDirs].reverse()) {
    if (!existsSync(dir)) continue;
    progress(`remove pins ${dir}`);
    attempt(`remove pin dir "${dir}"`, () => removePinDir(dir));
  }

  // What the nodes' agents keep under /run/sluice by pin directory for `sluice dump`: their
  // policy records and map-full status (bpffs holds no regular files). Gone with the pins.
  for (const node of plan.nodes) {
    const pinDir = `${node.bpffsDir}/sluice`;
    attempt(`remove the agent records of "${pinDir}"`, () => {
      rmSync(policyRecordDir(pinDir), { recursive: true, force: true });
      rmSync(mapFullStatusPath(pinDir), { force: true });
    });
  }
  // Their parent directories too, once no other agent's records are left in them.
  for (const dir of [dirname(policyRecordDir("/x")), dirname(mapFullStatusPath("/x"))])
    try {
      rmdirSync(dir);
    } catch {
      // not empty (another agent's records), or already gone
    }

  if (state && state.datastoreFiles.length > 0) {
    progress(`remove ${state.datastoreFiles.length} datastore file(s) from ${plan.datastoreDir}`);
    attempt(`remove datastore files in "${plan.datastoreDir}"`, () =>
      removeDatastoreFiles(plan.datastoreDir, state.datastoreFiles),
    );
  }
  // The run directory is named after the lab (`<stateDir>/lab-<name>`): logs and the default datastore.
  attempt(`remove "${plan.runDir}"`, () => rmSync(plan.runDir, { recursive: true, force: true }));
  if (report.errors.length === 0)
    attempt(`remove state file "${plan.stateFile}"`, () => removeLabState(plan.stateFile));
  return report;
}

// Deeper names first: "x-node-1-pod-2" before "x-node-1".
function byDepth(a: string, b: string): number {
  return b.split("-").length - a.split("-").length || a.localeCompare(b);
}
