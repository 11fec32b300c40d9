/**
 * The trap this fixes, for real: `sluice lab up` (one node, no agent, no demo) makes its context
 * current, a plain `sluice apply -f` lands in the lab's datastore, and `sluice lab down` removes
 * the context and restores the one that was current. Needs root (the lab builds namespaces).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { requireRoot } from "../../test/support/root.ts";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;

function sluice(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [entry, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once("close", (status) => resolve({ status, stdout, stderr })));
}

describe("sluice lab up / down and the current context", requireRoot, () => {
  test("with a lab up, apply with no flags reaches the lab; lab down restores the previous context", async () => {
    const work = mkdtempSync(join(tmpdir(), "sluice-labctx-"));
    const name = `cx${process.pid % 10000}`;
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_CONFIG: join(work, "config.yaml") };
    delete env["SLUICE_DATASTORE"];
    const common = ["--name", name, "--state-dir", join(work, "state")];
    const ok = async (args: string[]): Promise<string> => {
      const r = await sluice(args, env);
      assert.equal(r.status, 0, `sluice ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    };
    try {
      await ok(["config", "set-context", "before", "--datastore", join(work, "before"), "--current"]);
      await ok(["lab", "up", ...common, "--nodes", "1", "--pods-per-node", "0", "--no-agent", "--no-demo"]);
      assert.equal((await ok(["config", "current-context"])).trim(), `lab-${name}`);
      writeFileSync(
        join(work, "svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: trap\nspec:\n  ports:\n    - port: 80\n",
      );
      const applied = await sluice(["apply", "-f", join(work, "svc.yaml")], env);
      assert.equal(applied.stdout.trim(), "service/trap created");
      assert.equal(applied.stderr, "");
      assert.ok(
        readdirSync(join(work, "state", `lab-${name}`, "datastore")).includes("service.default.trap.yaml"),
      );
      await ok(["lab", "down", ...common]);
      assert.equal((await ok(["config", "current-context"])).trim(), "before");
      assert.doesNotMatch(await ok(["config", "get-contexts", "-o", "name"]), new RegExp(`lab-${name}`));
    } finally {
      await sluice(["lab", "down", ...common], env);
      rmSync(work, { recursive: true, force: true });
    }
  });
});
