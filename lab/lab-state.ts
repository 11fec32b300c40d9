/**
 * The lab's state file (/run/sluice/lab-<name>.json): what one lab created, written before each
 * step so that `down`, or the next `up` after a crash, removes exactly that and nothing else.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { LabPlan, PlannedPod } from "./plan.ts";

/** LabProcessRecord identifies a process the lab started: pid plus kernel start time, so a reused pid is never signalled. */
export interface LabProcessRecord {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat when the lab started it. */
  readonly startTime: string;
  readonly target: string;
  readonly netns: string;
  readonly argv: readonly string[];
  readonly logFile?: string;
}

/** LabState is the JSON content of the state file. */
export interface LabState {
  readonly version: 1;
  readonly name: string;
  readonly createdAt: string;
  readonly plan: LabPlan;
  /** Namespaces in creation order; recorded before creation, so a crash mid-create is still cleaned. */
  namespaces: string[];
  pods: PlannedPod[];
  /** Datastore files (names inside plan.datastoreDir) the lab wrote. */
  datastoreFiles: string[];
  /** Pin root directories the lab created. */
  pinDirs: string[];
  processes: LabProcessRecord[];
  /** True once every step of `up` finished. */
  ready: boolean;
}

/** newLabState starts an empty record for a plan. */
export function newLabState(plan: LabPlan, now: Date): LabState {
  return {
    version: 1,
    name: plan.name,
    createdAt: now.toISOString(),
    plan,
    namespaces: [],
    pods: [],
    datastoreFiles: [],
    pinDirs: [],
    processes: [],
    ready: false,
  };
}

/** readLabState returns the state in `file`, or undefined when there is none. A corrupt file throws. */
export function readLabState(file: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`read lab state "${file}": ${(err as Error).message}`, { cause: err });
  }
  let state: LabState;
  try {
    state = JSON.parse(text) as LabState;
  } catch (err) {
    throw new Error(`read lab state "${file}": not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (state.version !== 1 || !Array.isArray(state.namespaces)) {
    throw new Error(`read lab state "${file}": unknown format (version ${String(state.version)})`);
  }
  return state;
}

/** writeLabState replaces the state file atomically (write, then rename). */
export function writeLabState(file: string, state: LabState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/** removeLabState deletes the state file; a missing file is fine. */
export function removeLabState(file: string): void {
  rmSync(file, { force: true });
}
