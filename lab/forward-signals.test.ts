import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { until } from "../test/support/until.ts";

const fixture = new URL("./testdata/forward-signals-fixture.ts", import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runAndSignal(signal: NodeJS.Signals): Promise<{ code: number | null; childPid: number }> {
  const proc = spawn(process.execPath, ["--import", "tsx", fixture], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  try {
    await until("the fixture to start its command", () => /^\d+\n/.test(out), 20_000);
    const childPid = Number(out.trim());
    assert.ok(alive(childPid));
    proc.kill(signal);
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    return { code, childPid };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  }
}

describe("forwardSignals (sluice lab exec)", () => {
  for (const [signal, number] of [
    ["SIGTERM", 15],
    ["SIGINT", 2],
  ] as const) {
    test(`${signal} to lab exec ends the command it runs, and lab exec exits 128+${number}`, async () => {
      const { code, childPid } = await runAndSignal(signal);
      assert.equal(code, 128 + number);
      await until("the command to be gone", () => !alive(childPid), 5000);
    });
  }
});
