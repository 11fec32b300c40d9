/**
 * destroyLab is `sluice lab down` by name, from any process: read the lab's state file (if
 * any) and remove what it records, plus any namespace matching the lab's own naming.
 */
import { readLabState } from "./lab-state.ts";
import { resolveLabSpec } from "./lab-spec.ts";
import { planLab } from "./plan.ts";
import { teardownLab } from "./teardown-lab.ts";
import type { TeardownReport } from "./teardown-lab.ts";

/** DestroyLabOptions locates the lab and reports progress. */
export interface DestroyLabOptions {
  readonly stateDir?: string;
  readonly onProgress?: (line: string) => void;
}

/** destroyLab tears down the lab `name`; throws AggregateError when something could not be removed. */
export async function destroyLab(name: string, options: DestroyLabOptions = {}): Promise<TeardownReport> {
  const stateDir = options.stateDir ?? resolveLabSpec().stateDir;
  // A plan for the name alone gives the state file path, default pin root and run dir.
  const byName = planLab({ name, stateDir, nodes: 1, podsPerNode: 0 });
  const state = readLabState(byName.stateFile);
  const report = await teardownLab(
    state?.plan ?? byName,
    state,
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  if (report.errors.length > 0) {
    throw new AggregateError(
      report.errors,
      `lab "${name}" down: ${report.errors.map((e) => e.message).join("; ")}`,
    );
  }
  return report;
}
