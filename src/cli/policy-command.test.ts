/**
 * `sluice policy explain` through the real entry (`node bin/sluice.js`) against a temp file
 * datastore: the flags reach explainPolicy, the text comes out, a bad argument exits non-zero
 * with one line naming it (the
 * other errors are unit-tested in explain-policy.test.ts: each spawn costs seconds).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const entry = new URL("../../bin/sluice.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sluice-explain-"));
after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, "cluster.yaml"),
  `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec: {nodeName: node-1, containers: [{name: c}]}
status: {phase: Running, podIP: 198.18.64.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {pod: b}}
spec: {nodeName: node-1, containers: [{name: c}]}
status: {phase: Running, podIP: 198.18.64.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]
`,
);

function sluice(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [entry, "policy", "explain", "--datastore", dir, ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("policy explain reads the datastore the flags name and prints the deciding rule", () => {
  const ok = sluice(["--from", "b", "--to", "a", "-n", "x", "--port", "80/TCP"]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /to x\/a \(198\.18\.64\.2\) port 80\/TCP: ALLOW/);
  assert.match(ok.stdout, /decided by rule 0 \(allow\) of policy x\/knp\.default\.allow-b in tier "default"/);
});

test("policy explain: an unknown pod is one error line and exit 1", () => {
  const unknown = sluice(["--from", "x/b", "--to", "x/nope", "--port", "80/TCP"]);
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr.trim(), 'error: policy explain: --to: pod "x/nope" not found in the datastore');
});
