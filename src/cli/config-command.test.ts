/**
 * Contexts through the real entry (`node bin/sluice.js`): the config verbs, and the trap they
 * fix — with a lab's context current, `sluice apply -f` with no flags reaches the lab's datastore.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { withLabContext } from "./lab-context.ts";
import { loadSluiceConfig, saveSluiceConfig } from "./sluice-config.ts";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;
let work = "";
let configPath = "";

function sluice(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base["SLUICE_DATASTORE"];
  const r = spawnSync(process.execPath, [entry, ...args], {
    env: { ...base, SLUICE_CONFIG: configPath, ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = sluice(args, env);
  assert.equal(r.status, 0, `sluice ${args.join(" ")} failed: ${r.stderr}`);
  return r;
}

describe("sluice config and contexts", () => {
  before(() => {
    work = mkdtempSync(join(tmpdir(), "sluice-ctx-"));
    configPath = join(work, "cfg", "config.yaml");
    writeFileSync(
      join(work, "svc.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n",
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test("set-context, get-contexts, use-context, current-context", () => {
    assert.match(sluice(["config", "current-context"]).stderr, /current-context is not set/);
    assert.equal(
      ok(["config", "set-context", "a", "--datastore", join(work, "a")]).stdout.trim(),
      'Context "a" created.',
    );
    ok(["config", "set-context", "k", "--datastore", "kubernetes:/root/.kube/config#prod"]);
    ok(["config", "use-context", "a"]);
    assert.equal(ok(["config", "current-context"]).stdout.trim(), "a");
    const table = ok(["config", "get-contexts"]).stdout.trim().split("\n");
    assert.match(table[0] ?? "", /^CURRENT\s+NAME\s+TYPE\s+LOCATION\s+LAB$/);
    assert.match(table[1] ?? "", /^\*\s+a\s+file\s+\S+\/a$/);
    assert.match(table[2] ?? "", /^\s+k\s+kubernetes\s+kubernetes:\/root\/\.kube\/config#prod$/);
    const bad = sluice(["config", "use-context", "nope"]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no such context; known: a, k/);
    assert.equal(ok(["config", "current-context"]).stdout.trim(), "a");
  });

  test("with a lab's context current, apply with no flags reaches the lab, silently; an override says where it went", () => {
    const labDir = join(work, "lab-datastore");
    saveSluiceConfig(configPath, withLabContext(loadSluiceConfig(configPath), "t", labDir));
    const r = ok(["apply", "-f", join(work, "svc.yaml")]);
    assert.equal(r.stdout.trim(), "service/web created");
    assert.equal(r.stderr, "", "the current context's datastore needs no note");
    assert.deepEqual(readdirSync(labDir), ["service.default.web.yaml"]);
    assert.match(ok(["get", "svc"]).stdout, /^web\s/m);

    const other = join(work, "other");
    const viaEnv = ok(["apply", "-f", join(work, "svc.yaml")], { SLUICE_DATASTORE: other });
    assert.equal(viaEnv.stdout.trim(), "service/web created");
    assert.match(
      viaEnv.stderr,
      /^note: writing to file datastore \S+\/other \(from SLUICE_DATASTORE; the current context "lab-t" is \S+\/lab-datastore\)$/m,
    );
    const viaContext = ok(["apply", "-f", join(work, "svc.yaml"), "--context", "a"]);
    assert.match(viaContext.stderr, /context "a" from --context/);
    const viaFlag = ok([
      "patch",
      "svc",
      "web",
      "--datastore",
      other,
      "-p",
      '{"spec":{"ports":[{"port":81}]}}',
      "--type",
      "merge",
    ]);
    assert.match(viaFlag.stderr, /from --datastore/);
  });

  test("deleting the lab's context restores the previous current context", () => {
    ok(["config", "delete-context", "lab-t"]);
    assert.equal(ok(["config", "current-context"]).stdout.trim(), "a");
    assert.ok(existsSync(configPath));
  });
});
