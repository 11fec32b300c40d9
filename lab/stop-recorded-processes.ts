/**
 * Stopping processes a lab started, from any later process (e.g. `sluice lab down` after the
 * creating process died). Only records whose pid still has the recorded start time are
 * signalled, so a pid the kernel has since reused is never touched.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LabProcessRecord } from "./lab-state.ts";
import { isSameProcess } from "./process-identity.ts";

/** stopRecordedProcesses sends SIGTERM, waits up to `graceMs`, then SIGKILLs what is left. Returns the pids signalled. */
export async function stopRecordedProcesses(
  records: readonly LabProcessRecord[],
  graceMs = 3000,
): Promise<number[]> {
  const alive = (): LabProcessRecord[] => records.filter((r) => isSameProcess(r.pid, r.startTime));
  const signalled = alive();
  for (const r of signalled) signal(r.pid, "SIGTERM");
  // Poll with a fixed bound: at most graceMs for SIGTERM and 1 s for SIGKILL.
  for (let waited = 0; waited < graceMs && alive().length > 0; waited += 50) await sleep(50);
  for (const r of alive()) signal(r.pid, "SIGKILL");
  for (let waited = 0; waited < 1000 && alive().length > 0; waited += 50) await sleep(50);
  return signalled.map((r) => r.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
