/**
 * `sluice apply/get/patch/delete` through the real entry against the kubernetes datastore (a
 * kubeconfig pointing at FakeApiServer) and the etcd datastore (a real etcd; skipped, saying why,
 * when it is not installed), chosen by --datastore and by a context.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { etcdMissing, startEtcd, type EtcdProcess } from "../../test/support/etcd-process.ts";
import { FakeApiServer } from "../../test/support/fake-api-server.ts";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;
let work = "";
let api: FakeApiServer | undefined;
let etcd: EtcdProcess | undefined;
const etcdSkip = etcdMissing();

/** sluice runs the CLI without blocking the event loop (the fake API server lives in this process). */
function sluice(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_CONFIG: join(work, "config.yaml") };
  delete env["SLUICE_DATASTORE"];
  const proc = spawn(process.execPath, [entry, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.once("close", (status) => resolve({ status, stdout, stderr })));
}

async function ok(args: string[]): Promise<string> {
  const r = await sluice(args);
  assert.equal(r.status, 0, `sluice ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

async function roundTrip(datastore: string[]): Promise<void> {
  const file = join(work, "svc.yaml");
  writeFileSync(
    file,
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  ports:\n    - port: 80\n",
  );
  assert.equal((await ok(["apply", "-f", file, ...datastore])).trim(), "service/web created");
  assert.equal((await ok(["apply", "-f", file, ...datastore])).trim(), "service/web unchanged");
  assert.equal(
    (
      await ok([
        "patch",
        "svc",
        "web",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        '{"spec":{"ports":[{"port":8080}]}}',
        ...datastore,
      ])
    ).trim(),
    "service/web patched",
  );
  assert.match(await ok(["get", "svc", "web", "-n", "shop", "-o", "json", ...datastore]), /"port": 8080/);
  assert.equal(
    (await ok(["delete", "svc", "web", "-n", "shop", ...datastore])).trim(),
    "service/web deleted",
  );
}

describe("ctl commands against the kubernetes and etcd datastores", () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sluice-ctl-be-"));
    api = new FakeApiServer();
    await api.start();
    writeFileSync(
      join(work, "kubeconfig"),
      `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${api.url}", insecure-skip-tls-verify: true } }]
users: [{ name: fake, user: {} }]
contexts: [{ name: fake, context: { cluster: fake, user: fake } }]
current-context: fake
`,
    );
    if (etcdSkip === false) etcd = await startEtcd();
  });
  after(async () => {
    await api?.stop();
    await etcd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("kubernetes through --datastore kubernetes:KUBECONFIG#CONTEXT", async () => {
    await roundTrip(["--datastore", `kubernetes:${join(work, "kubeconfig")}#fake`]);
    assert.ok(
      api!.requests.some((r) => r.method === "POST" && r.path === "/api/v1/namespaces/shop/services"),
    );
  });

  test("etcd through a context", { skip: etcdSkip }, async () => {
    await ok(["config", "set-context", "e", "--datastore", `etcd:${etcd!.endpoint}#/ctl-${process.pid}`]);
    await roundTrip(["--context", "e"]);
  });
});
