/**
 * explainPolicy over fixture datastores (the resources `datastore.list()` returns): Kubernetes
 * default deny, allow by label (through a Service, post-DNAT, named port), a Calico tier with
 * Pass, a GlobalNetworkPolicy deny overriding a namespaced allow by order — and the errors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Resource } from "../model/resource.ts";
import { cnp, gnp, knp, namespace, pod, tier, valid } from "../../test/support/policy-resources.ts";
import { explainPolicy, type ExplainRequest, type LegExplanation } from "./explain-policy.ts";
import { renderExplanation } from "./explain-report.ts";
import { parseExplainPort, parseExplainTarget } from "./explain-target.ts";

const web = [{ name: "serve-80-tcp", containerPort: 80 }];
const BASE: Resource[] = [
  namespace("x", { team: "blue" }),
  namespace("y"),
  pod("x", "a", "198.18.64.2", { pod: "a" }, { ports: web }),
  pod("x", "b", "198.18.64.3", { pod: "b" }, { ports: web }),
  pod("y", "c", "198.18.65.2", { pod: "c" }, { ports: web }),
  valid({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "svc-a", namespace: "x" },
    spec: {
      clusterIP: "198.18.130.10",
      selector: { pod: "a" },
      ports: [{ name: "http", port: 8080, protocol: "TCP", targetPort: "serve-80-tcp" }],
    },
  }),
  valid({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "svc-a-1", namespace: "x", labels: { "kubernetes.io/service-name": "svc-a" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["198.18.64.2"], conditions: { ready: true } }],
    ports: [{ name: "http", port: 80, protocol: "TCP" }],
  }),
];

const denyAllX = knp("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] });
const allowFromB = knp("x", "allow-b", {
  podSelector: { matchLabels: { pod: "a" } },
  ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }], ports: [{ port: "serve-80-tcp" }] }],
});

function explain(extra: Resource[], from: string, to: string, port = "80/TCP") {
  const request: ExplainRequest = {
    from: parseExplainTarget("--from", from, "x"),
    to: parseExplainTarget("--to", to, "x"),
    port: parseExplainPort(port),
  };
  return explainPolicy([...BASE, ...extra], request);
}

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1);
  return items[0]!;
}

const ruleOf = (e: ReturnType<typeof explain>, l: LegExplanation | undefined) => {
  assert.ok(l?.decision, "the leg was evaluated");
  return e.ruleInfo(l.decision.ruleId);
};

describe("explainPolicy", () => {
  test("no policy: both legs allow without a program", () => {
    const e = explain([], "x/b", "x/a");
    const p = only(e.paths);
    assert.equal(p.verdict, "allow");
    assert.equal(p.egress?.policy, undefined);
    assert.equal(p.ingress?.policy, undefined);
    assert.match(renderExplanation(e), /no policy selects x\/a for ingress/);
  });

  test("Kubernetes default deny: end of the default tier, and why the allow rule missed", () => {
    const e = explain([denyAllX, allowFromB], "y/c", "x/a");
    const p = only(e.paths);
    assert.equal(p.verdict, "deny");
    assert.equal(p.egress?.verdict, "allow");
    assert.equal(p.ingress?.decision?.decidedBy, "end-of-tier");
    assert.equal(ruleOf(e, p.ingress)?.tier, "default");
    // allow-b's rule failed on its source selector: y/c is not pod=b in x.
    const miss = p.ingress?.decision?.trace.find(
      (s) => e.ruleInfo(s.ruleId)?.policy === "knp.default.allow-b",
    );
    assert.equal(miss?.criterion, "srcSets");
    const text = renderExplanation(e);
    assert.match(text, /ingress of x\/a: DENY — decided by end of tier "default"/);
    assert.match(text, /knp\.default\.deny-all: no ingress rules/);
    assert.match(
      text,
      /allow-b rule 0 \[allow\]: no match: source 198\.18\.65\.2 is not matched by selector ".*pod == "b"/,
    );
  });

  test("allow by label through a Service: the backend, post-DNAT port 80 by name", () => {
    const e = explain([denyAllX, allowFromB], "x/b", "svc/svc-a", "8080/TCP");
    assert.deepEqual(e.service, {
      namespace: "x",
      name: "svc-a",
      clusterIP: "198.18.130.10",
      port: 8080,
      portName: "http",
    });
    const p = only(e.paths);
    assert.deepEqual(p.destination, { ip: "198.18.64.2", pod: "x/a" });
    assert.equal(p.port, 80);
    assert.equal(p.verdict, "allow");
    const info = ruleOf(e, p.ingress);
    assert.equal(info?.policy, "knp.default.allow-b");
    assert.equal(info?.ruleIndex, 0);
    // The same service by its ClusterIP.
    assert.equal(
      only(explain([denyAllX, allowFromB], "198.18.64.3", "198.18.130.10", "8080/TCP").paths).verdict,
      "allow",
    );
    assert.match(
      renderExplanation(e),
      /via service x\/svc-a 198\.18\.130\.10:8080\/TCP \(port "http"\): 1 backend/,
    );
  });

  test("the named port decides: the same source to port 81 misses it", () => {
    const e = explain([denyAllX, allowFromB], "x/b", "x/a", "81/TCP");
    const p = only(e.paths);
    assert.equal(p.verdict, "deny");
    const step = p.ingress?.decision?.trace.find(
      (s) => e.ruleInfo(s.ruleId)?.policy === "knp.default.allow-b",
    );
    assert.equal(step?.criterion, "dstPorts");
    assert.match(renderExplanation(e), /destination port 81 is not in named port "serve-80-tcp"/);
  });

  test("a Calico tier with Pass hands the packet to the default tier", () => {
    const security = tier("security", 100);
    const passBlue = gnp("security.pass-blue", {
      tier: "security",
      order: 10,
      selector: "all()",
      ingress: [{ action: "Pass", source: { namespaceSelector: "team == 'blue'" } }, { action: "Deny" }],
    });
    const fromBlue = explain([security, passBlue, denyAllX, allowFromB], "x/b", "x/a");
    const p = only(fromBlue.paths);
    assert.equal(p.verdict, "allow");
    assert.equal(ruleOf(fromBlue, p.ingress)?.policy, "knp.default.allow-b");
    assert.deepEqual(
      p.ingress?.decision?.trace.map((s) => s.result),
      ["passed"],
    );
    assert.match(
      renderExplanation(fromBlue),
      /tier "security"\n.*pass-blue rule 0 \[pass\]: matched: pass to the next tier/,
    );
    // Not from team blue: the tier's Deny decides before the default tier is reached.
    const fromY = explain([security, passBlue, denyAllX, allowFromB], "y/c", "x/a");
    const q = only(fromY.paths);
    assert.equal(q.verdict, "deny");
    assert.deepEqual(ruleOf(fromY, q.ingress), {
      ...ruleOf(fromY, q.ingress),
      tier: "security",
      ruleIndex: 1,
      action: "deny",
    });
    assert.equal(q.ingress?.decision?.trace[0]?.criterion, "srcSets");
  });

  test("a GlobalNetworkPolicy deny overrides a namespaced allow by order", () => {
    const allowAll = cnp("x", "allow-all", { order: 100, selector: "all()", ingress: [{ action: "Allow" }] });
    const denyFromB = gnp("deny-b", {
      order: 10,
      selector: "pod == 'a'",
      ingress: [{ action: "Deny", source: { selector: "pod == 'b'" } }],
    });
    const e = explain([allowAll, denyFromB], "x/b", "x/a");
    const p = only(e.paths);
    assert.equal(p.verdict, "deny");
    const info = ruleOf(e, p.ingress);
    assert.equal(info?.policy, "deny-b");
    assert.equal(info?.action, "deny");
    // From another pod the deny rule misses and the namespaced allow decides.
    const other = only(explain([allowAll, denyFromB], "y/c", "x/a").paths);
    assert.equal(other.verdict, "allow");
    // Egress is a leg of its own: x/b's egress is governed by no policy.
    assert.equal(p.egress?.policy, undefined);
  });

  test("egress deny on the source decides even when the destination allows", () => {
    const denyEgress = knp("y", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
    const p = only(explain([denyEgress], "y/c", "x/a").paths);
    assert.equal(p.egress?.verdict, "deny");
    assert.equal(p.ingress?.verdict, "allow");
    assert.equal(p.verdict, "deny");
  });

  test("an external address has no egress leg; a Service without endpoints has no path", () => {
    const p = only(explain([denyAllX], "203.0.113.9", "x/a").paths);
    assert.equal(p.egress, undefined);
    assert.equal(p.verdict, "deny");
    const bare = valid({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "bare", namespace: "x" },
      spec: { clusterIP: "198.18.130.11", ports: [{ port: 80, protocol: "TCP" }] },
    });
    const e = explain([bare], "x/b", "svc/bare");
    assert.deepEqual(e.paths, []);
    assert.match(renderExplanation(e), /no ready endpoint: no EndpointSlice of x\/bare/);
  });

  test("errors name the flag and the problem", () => {
    assert.throws(() => explain([], "x/nope", "x/a"), /--from: pod "x\/nope" not found/);
    assert.throws(() => explain([], "x/a", "svc/nope"), /--to: service "x\/nope" not found/);
    assert.throws(
      () => explain([], "x/a", "svc/svc-a", "80/TCP"),
      /service "x\/svc-a" has no port 80\/TCP \(it has 8080\/TCP\)/,
    );
    assert.throws(() => explain([], "svc/svc-a", "x/a"), /--from: a service does not send traffic/);
    assert.throws(() => parseExplainPort("80/ICMP"), /protocol "ICMP" is not TCP, UDP or SCTP/);
    assert.throws(() => parseExplainPort("http"), /--port "http": expected PORT\/PROTOCOL/);
    assert.throws(() => parseExplainPort("70000/TCP"), /PORT 1-65535/);
    assert.throws(() => parseExplainTarget("--to", "1.2.3.999", "x"), /not a valid IPv4 address/);
    assert.throws(() => parseExplainTarget("--to", "a/b/c", "x"), /expected an IPv4 address, NAME/);
    assert.throws(() => parseExplainTarget("--from", "X_Y", "x"), /pod "X_Y" is not a valid name/);
    assert.deepEqual(parseExplainPort("53/udp"), { port: 53, protocol: "UDP" });
    assert.deepEqual(parseExplainTarget("--to", "svc/y/web", "x"), {
      kind: "service",
      namespace: "y",
      name: "web",
    });
    assert.deepEqual(parseExplainTarget("--to", "a", "x"), { kind: "pod", namespace: "x", name: "a" });
  });
});
