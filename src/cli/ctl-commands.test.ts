/**
 * The how-to's configuration steps, run through the real entry (`node bin/sluice.js`) against a
 * temp file datastore (SLUICE_DATASTORE), checking what lands on disk.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;
let dir = "";
let work = "";

function sluice(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, ...args], {
    env: { ...process.env, SLUICE_DATASTORE: dir, SLUICE_CONFIG: join(work, "no-config.yaml") },
    encoding: "utf8",
    input,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], input?: string): string {
  const r = sluice(args, input);
  assert.equal(r.status, 0, `sluice ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** stored reads a field (dotted path) of a manifest in the datastore directory. */
function stored(file: string, path = ""): unknown {
  let v: unknown = parse(readFileSync(join(dir, file), "utf8"));
  for (const part of path.split(".").filter((p) => p !== ""))
    v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

describe("sluice ctl commands (the enable-ebpf-dataplane how-to)", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-ctl-"));
    work = mkdtempSync(join(tmpdir(), "sluice-ctl-in-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test("apply -f creates the kubernetes-services-endpoint ConfigMap", () => {
    const file = join(work, "endpoint.yaml");
    writeFileSync(
      file,
      `kind: ConfigMap
apiVersion: v1
metadata:
  name: kubernetes-services-endpoint
  namespace: tigera-operator
data:
  KUBERNETES_SERVICE_HOST: "172.16.101.157"
  KUBERNETES_SERVICE_PORT: "6443"
`,
    );
    assert.equal(ok(["apply", "-f", file]).trim(), "configmap/kubernetes-services-endpoint created");
    assert.equal(
      stored("configmap.tigera-operator.kubernetes-services-endpoint.yaml", "data.KUBERNETES_SERVICE_PORT"),
      "6443",
    );
    assert.equal(ok(["apply", "-f", file]).trim(), "configmap/kubernetes-services-endpoint unchanged");
    assert.match(
      ok(["get", "cm", "-n", "tigera-operator"]).trim(),
      /^NAME\s+DATA\nkubernetes-services-endpoint\s+2$/,
    );
  });

  test("patch ds parks kube-proxy with a node selector, and the reverse removes it", () => {
    ok(
      ["apply", "-f", "-"],
      "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec:\n  template:\n    spec:\n      containers: [{name: kube-proxy}]\n",
    );
    ok([
      "patch",
      "ds",
      "-n",
      "kube-system",
      "kube-proxy",
      "-p",
      '{"spec":{"template":{"spec":{"nodeSelector":{"non-calico": "true"}}}}}',
    ]);
    assert.deepEqual(stored("daemonset.kube-system.kube-proxy.yaml", "spec.template.spec.nodeSelector"), {
      "non-calico": "true",
    });
    ok([
      "patch",
      "ds",
      "-n",
      "kube-system",
      "kube-proxy",
      "--type",
      "merge",
      "-p",
      '{"spec":{"template":{"spec":{"nodeSelector":{"non-calico": null}}}}}',
    ]);
    assert.deepEqual(stored("daemonset.kube-system.kube-proxy.yaml", "spec.template.spec.nodeSelector"), {});
  });

  test("patch felixconfiguration.p default --patch='...' creates the default FelixConfiguration", () => {
    const out = ok([
      "patch",
      "felixconfiguration.p",
      "default",
      `--patch={"spec": {"bpfKubeProxyIptablesCleanupEnabled": false}}`,
    ]);
    assert.equal(out.trim(), "felixconfiguration.projectcalico.org/default patched");
    assert.equal(stored("felixconfiguration.default.yaml", "apiVersion"), "projectcalico.org/v3");
    assert.deepEqual(stored("felixconfiguration.default.yaml", "spec"), {
      bpfKubeProxyIptablesCleanupEnabled: false,
    });
  });

  test("patch installation.operator.tigera.io default --type merge -p enables BPF and clears hostPorts", () => {
    ok(
      ["apply", "-f", "-"],
      "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {name: default}\nspec:\n  variant: Calico\n  calicoNetwork: {linuxDataplane: Iptables, hostPorts: Enabled}\n",
    );
    ok([
      "patch",
      "installation.operator.tigera.io",
      "default",
      "--type",
      "merge",
      "-p",
      '{"spec":{"calicoNetwork":{"linuxDataplane":"BPF", "hostPorts":null}}}',
    ]);
    assert.deepEqual(stored("installation.default.yaml", "spec"), {
      variant: "Calico",
      calicoNetwork: { linuxDataplane: "BPF" },
    });
    assert.match(ok(["get", "installation"]), /default\s+BPF\s+<default>/);
  });

  test("DSR on, then back to Tunnel", () => {
    ok(["patch", "felixconfiguration.p", "default", `--patch={"spec": {"bpfExternalServiceMode": "DSR"}}`]);
    assert.equal(stored("felixconfiguration.default.yaml", "spec.bpfExternalServiceMode"), "DSR");
    assert.equal(stored("felixconfiguration.default.yaml", "spec.bpfKubeProxyIptablesCleanupEnabled"), false);
    ok([
      "patch",
      "felixconfiguration.p",
      "default",
      `--patch={"spec": {"bpfExternalServiceMode": "Tunnel"}}`,
    ]);
    assert.equal(stored("felixconfiguration.default.yaml", "spec.bpfExternalServiceMode"), "Tunnel");
    const yaml = ok(["get", "felixconfiguration", "default", "-o", "yaml"]);
    assert.match(yaml, /bpfExternalServiceMode: Tunnel/);
  });

  test("reversing: linuxDataplane back to Iptables", () => {
    ok([
      "patch",
      "installation.operator.tigera.io",
      "default",
      "--type",
      "merge",
      "-p",
      '{"spec":{"calicoNetwork":{"linuxDataplane":"Iptables"}}}',
    ]);
    assert.equal(stored("installation.default.yaml", "spec.calicoNetwork.linuxDataplane"), "Iptables");
  });

  test("an invalid patch prints the validation error, exits non-zero and writes nothing", () => {
    const before = readFileSync(join(dir, "felixconfiguration.default.yaml"), "utf8");
    const r = sluice([
      "patch",
      "felixconfiguration.p",
      "default",
      "-p",
      '{"spec":{"bpfExternalServiceMode":"Direct"}}',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /validate FelixConfiguration default: field "spec.bpfExternalServiceMode": must be one of "Tunnel", "DSR", got "Direct"/,
    );
    const bad = sluice(["patch", "felixconfiguration.p", "default", "-p", "{not json"]);
    assert.notEqual(bad.status, 0);
    assert.equal(readFileSync(join(dir, "felixconfiguration.default.yaml"), "utf8"), before);
  });

  test("apply with one bad document applies nothing", () => {
    const files = readdirSync(dir).sort();
    const r = sluice(
      ["apply", "-f", "-"],
      `apiVersion: v1\nkind: Service\nmetadata: {name: ok}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 80, nodePort: 1}]}\n`,
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /stdin#2: validate Service default\/bad: field "spec.ports\[0\].nodePort"/);
    assert.deepEqual(readdirSync(dir).sort(), files);
  });

  test("get, delete by name and by file, with --datastore", () => {
    const file = join(work, "svc.yaml");
    writeFileSync(
      file,
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n",
    );
    ok(["apply", "-f", file, "--datastore", dir]);
    assert.match(ok(["get", "svc", "-n", "shop"]), /web\s+NodePort\s+<none>\s+<none>\s+80:30080\/TCP/);
    assert.match(ok(["get", "svc", "-A", "-o", "wide"]), /^NAMESPACE\s+NAME\s+TYPE/);
    assert.equal(
      JSON.parse(ok(["get", "service", "web", "-n", "shop", "-o", "json"])).spec.sessionAffinity,
      "None",
    );
    assert.equal(ok(["delete", "-f", file]).trim(), "service/web deleted");
    const gone = sluice(["delete", "svc", "web", "-n", "shop"]);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /delete Service shop\/web: not found/);
  });

  test("an unknown resource type (OpenShift's networks.operator.openshift.io) is a clear error", () => {
    const r = sluice([
      "patch",
      "networks.operator.openshift.io",
      "cluster",
      "--type",
      "merge",
      "-p",
      '{"spec":{"deployKubeProxy": false}}',
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /resolve resource type "networks.operator.openshift.io": unknown/);
  });
});
