/**
 * The policy kinds through the real entry (`node bin/sluice.js`) against a temp file datastore:
 * apply, get (tables, short names, -o yaml|json), label (kubectl-style), delete -f - from stdin.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;
let dir = "";

function sluice(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, ...args], {
    env: { ...process.env, SLUICE_DATASTORE: dir },
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

function fails(args: string[], stderr: RegExp, input?: string): void {
  const r = sluice(args, input);
  assert.notEqual(r.status, 0, `sluice ${args.join(" ")} should fail`);
  assert.match(r.stderr, stderr);
}

const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: serve-80-tcp}]}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: security.allow-db, namespace: x}
spec: {tier: security, order: 10, selector: "app == 'db'", ingress: [{action: Allow}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.deny-blocked}
spec: {tier: security, order: 1, selector: all(), ingress: [{action: Deny, source: {selector: "has(blocked)"}}]}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: partners, namespace: x, labels: {role: partner}}
spec: {nets: [198.51.100.0/24]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: blocked, labels: {blocked: "true"}}
spec: {nets: [203.0.113.0/24]}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-1-eth0, labels: {host-endpoint: ingress}}
spec: {node: node-1, interfaceName: eth0, expectedIPs: [198.18.0.11]}
`;

describe("sluice policy kinds, label and delete -f -", () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-pol-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("apply takes every policy kind; both NetworkPolicy kinds live side by side", () => {
    const out = ok(["apply", "-f", "-"], POLICIES);
    assert.match(out, /^networkpolicy\.networking\.k8s\.io\/allow-b created$/m);
    assert.match(out, /^networkpolicy\.projectcalico\.org\/security\.allow-db created$/m);
    assert.match(out, /^globalnetworkpolicy\.projectcalico\.org\/security\.deny-blocked created$/m);
    assert.match(out, /^hostendpoint\.projectcalico\.org\/node-1-eth0 created$/m);
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f.startsWith("networkpolicy"))
        .sort(),
      ["networkpolicy.projectcalico.org.x.security.allow-db.yaml", "networkpolicy.x.allow-b.yaml"],
    );
  });

  test("get shows a table per kind, by kubectl's and calicoctl's names", () => {
    assert.match(ok(["get", "netpol", "-n", "x"]).trim(), /^NAME\s+POD-SELECTOR\nallow-b\s+pod=a$/);
    assert.match(
      ok(["get", "networkpolicy.p", "-n", "x"]).trim(),
      /^NAME\s+TIER\s+ORDER\s+SELECTOR\nsecurity\.allow-db\s+security\s+10\s+app == 'db'$/,
    );
    assert.match(ok(["get", "cnp", "-n", "x", "-o", "wide"]).trim(), /TYPES\n.*Ingress$/);
    assert.match(
      ok(["get", "gnp"]).trim(),
      /^NAME\s+TIER\s+ORDER\s+SELECTOR\nsecurity\.deny-blocked\s+security\s+1\s+all\(\)$/,
    );
    assert.match(ok(["get", "tiers"]).trim(), /^NAME\s+ORDER\s+DEFAULT-ACTION\nsecurity\s+100\s+Deny$/);
    assert.match(
      ok(["get", "networksets", "-A"]).trim(),
      /^NAMESPACE\s+NAME\s+NETS\nx\s+partners\s+198\.51\.100\.0\/24$/,
    );
    assert.match(ok(["get", "globalnetworkset"]).trim(), /^NAME\s+NETS\nblocked\s+203\.0\.113\.0\/24$/);
    assert.match(
      ok(["get", "hep"]).trim(),
      /^NAME\s+NODE\s+INTERFACE\s+EXPECTED-IPS\nnode-1-eth0\s+node-1\s+eth0\s+198\.18\.0\.11$/,
    );
  });

  test("get -o yaml|json shows the defaults filled in (policyTypes, types, protocol)", () => {
    const k8s = parse(ok(["get", "netpol", "allow-b", "-n", "x", "-o", "yaml"]));
    assert.deepEqual(k8s.spec.policyTypes, ["Ingress"]);
    assert.equal(k8s.spec.ingress[0].ports[0].protocol, "TCP");
    const g = JSON.parse(ok(["get", "globalnetworkpolicy", "security.deny-blocked", "-o", "json"]));
    assert.deepEqual(g.spec.types, ["Ingress"]);
    assert.equal(g.apiVersion, "projectcalico.org/v3");
  });

  test("an invalid policy is refused naming the resource, the field and the column", () => {
    fails(
      ["apply", "-f", "-"],
      /validate GlobalNetworkPolicy bad: field "spec\.selector": invalid selector "app = 'x'": unexpected "=", expected an operator after label "app" at column 5/,
      "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: bad}\nspec: {selector: \"app = 'x'\"}\n",
    );
  });

  test("label pod and namespace, kubectl-style", () => {
    ok(
      ["apply", "-f", "-"],
      "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {pod: a}}\nspec: {containers: [{name: c}]}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
    );
    assert.equal(ok(["label", "pod", "a", "-n", "x", "team=blue", "tier=web"]).trim(), "pod/a labeled");
    assert.deepEqual(parse(ok(["get", "pod", "a", "-n", "x", "-o", "yaml"])).metadata.labels, {
      pod: "a",
      team: "blue",
      tier: "web",
    });
    fails(
      ["label", "pod", "a", "-n", "x", "pod=b"],
      /^error: label: 'pod' already has a value \(a\), and --overwrite is false$/m,
    );
    assert.equal(ok(["label", "po", "a", "-n", "x", "pod=b", "--overwrite"]).trim(), "pod/a labeled");
    assert.equal(ok(["label", "pod", "a", "-n", "x", "tier-"]).trim(), "pod/a unlabeled");
    assert.equal(ok(["label", "pod", "a", "-n", "x", "pod=b"]).trim(), "pod/a not labeled");
    assert.deepEqual(parse(ok(["get", "pod", "a", "-n", "x", "-o", "yaml"])).metadata.labels, {
      pod: "b",
      team: "blue",
    });
    assert.equal(ok(["label", "namespace", "x", "team=blue"]).trim(), "namespace/x labeled");
    assert.equal(ok(["label", "ns", "x", "nope-"]), 'label "nope" not found.\nnamespace/x not labeled\n');
    fails(["label", "pod", "missing", "-n", "x", "a=b"], /label Pod x\/missing: not found/);
    fails(["label", "pod", "a", "-n", "x", "a=b=c"], /invalid label spec: a=b=c/);
  });

  test("delete -f - deletes what stdin names", () => {
    const out = ok(["delete", "-f", "-"], POLICIES);
    assert.match(out, /^networkpolicy\.networking\.k8s\.io\/allow-b deleted$/m);
    assert.match(out, /^tier\.projectcalico\.org\/security deleted$/m);
    assert.equal(out.trim().split("\n").length, 7);
    assert.match(sluice(["get", "gnp"]).stderr, /No resources found/);
    assert.deepEqual(readdirSync(dir).sort(), ["namespace.x.yaml", "pod.x.a.yaml"]);
  });
});
