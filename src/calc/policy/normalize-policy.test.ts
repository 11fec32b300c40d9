import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSelector } from "../../model/selector/parse-selector.ts";
import { matchesSelector } from "../../model/selector/matches-selector.ts";
import { endpointLabels } from "./endpoint-labels.ts";
import { policyOfResource } from "./policy-calculator.ts";
import { entitySelector, policySelector } from "./policy-selectors.ts";
import { cnp, gnp, knp } from "../../../test/support/policy-resources.ts";

const podX = endpointLabels({
  labels: { pod: "a" },
  namespace: "x",
  namespaceLabels: { ns: "x" },
  serviceAccount: "api",
  pod: true,
});
const podY = endpointLabels({
  labels: { pod: "a" },
  namespace: "y",
  namespaceLabels: { ns: "y" },
  pod: true,
});
const globalSet = endpointLabels({ labels: { role: "partner" } });
const nsSet = endpointLabels({ labels: { pod: "a" }, namespace: "x" });
const sees = (selector: string, labels: Record<string, string>): boolean =>
  matchesSelector(parseSelector(selector), labels);

describe("Calico's selector scoping", () => {
  test("endpoint labels carry namespace, orchestrator, service account and the namespace's labels (metadata.name always)", () => {
    assert.equal(podX["projectcalico.org/namespace"], "x");
    assert.equal(podX["projectcalico.org/orchestrator"], "k8s");
    assert.equal(podX["projectcalico.org/serviceaccount"], "api");
    assert.equal(podX["pcns.ns"], "x");
    assert.equal(podX["pcns.kubernetes.io/metadata.name"], "x");
    assert.equal(nsSet["pcns.kubernetes.io/metadata.name"], "x");
    assert.equal(globalSet["projectcalico.org/namespace"], undefined);
  });
  test("a namespaced rule selector stays in its namespace; a global one does not", () => {
    const inX = entitySelector({ selector: "pod == 'a'" }, { namespace: "x" })!;
    assert.equal(inX, '(projectcalico.org/namespace == "x" && pod == "a")');
    assert.equal(sees(inX, podX), true);
    assert.equal(sees(inX, podY), false);
    const anywhere = entitySelector({ selector: "pod == 'a'" }, {})!;
    assert.equal(sees(anywhere, podY), true);
  });
  test("namespaceSelector reads namespace labels; global() means no namespace", () => {
    const ySel = entitySelector({ namespaceSelector: "ns == 'y'" }, { namespace: "x" })!;
    assert.equal(ySel, 'pcns.ns == "y"');
    assert.equal(sees(ySel, podY), true);
    assert.equal(sees(ySel, podX), false);
    const g = entitySelector(
      { namespaceSelector: "global()", selector: "role == 'partner'" },
      { namespace: "x" },
    )!;
    assert.equal(sees(g, globalSet), true);
    assert.equal(sees(g, nsSet), false);
  });
  test("serviceAccounts by names and by selector", () => {
    const byName = entitySelector({ serviceAccounts: { names: ["web", "api"] } }, { namespace: "x" })!;
    assert.equal(
      byName,
      '(projectcalico.org/namespace == "x" && projectcalico.org/serviceaccount in {"api", "web"})',
    );
    assert.equal(sees(byName, podX), true);
    assert.equal(
      sees(entitySelector({ serviceAccounts: { selector: "projectcalico.org/name == 'api'" } }, {})!, podX),
      true,
    );
  });
  test("a side with only nets needs no selector; a lone notSelector scopes it to the namespace", () => {
    assert.equal(entitySelector({}, { namespace: "x" }), undefined);
    assert.equal(
      entitySelector({ notSelector: "a == 'b'" }, { namespace: "x" }),
      'projectcalico.org/namespace == "x"',
    );
    assert.equal(entitySelector({ notSelector: "a == 'b'" }, {}), undefined);
  });
  test("all() as namespaceSelector means any namespace, not global endpoints", () => {
    const any = entitySelector({ namespaceSelector: "all()" }, { namespace: "x" })!;
    assert.equal(any, "has(projectcalico.org/namespace)");
    assert.equal(sees(any, podY), true);
    assert.equal(sees(any, globalSet), false);
  });
  test("a namespaced policy applies in its namespace only", () => {
    const sel = policySelector({ selector: "pod == 'a'" }, { namespace: "x" });
    assert.equal(sees(sel, podX), true);
    assert.equal(sees(sel, podY), false);
    assert.equal(policySelector({}, {}), "all()");
  });
});

describe("Kubernetes NetworkPolicy as Calico enforces it", () => {
  test("knp.default.<name> in the default tier at order 1000, selecting the namespace's pods only", () => {
    const p = policyOfResource(knp("x", "web", { podSelector: { matchLabels: { pod: "a" } } }))!;
    assert.equal(p.name, "knp.default.web");
    assert.equal(p.id, "knp/x/web");
    assert.equal(p.tier, "default");
    assert.equal(p.order, 1000);
    assert.equal(
      p.selector,
      '(projectcalico.org/namespace == "x" && pod == "a" && projectcalico.org/orchestrator == "k8s")',
    );
    assert.equal(sees(p.selector, nsSet), false); // a network set with the same labels is no pod
    assert.deepEqual(p.ingress, []);
    assert.equal(p.egress, undefined);
  });
  test("one Allow rule per peer × port; a named port stays a name; endPort makes a range", () => {
    const p = policyOfResource(
      knp("x", "web", {
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { pod: "b" } } },
              {
                namespaceSelector: { matchLabels: { ns: "y" } },
                podSelector: { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["c"] }] },
              },
            ],
            ports: [{ port: "serve-80-tcp" }, { protocol: "UDP", port: 80, endPort: 81 }],
          },
        ],
      }),
    )!;
    assert.equal(p.ingress?.length, 4);
    const [r0, r1, r2] = p.ingress!;
    assert.equal(r0?.action, "Allow");
    assert.equal(r0?.protocol, 6);
    assert.deepEqual(r0?.destination.ports, [{ name: "serve-80-tcp" }]);
    assert.equal(
      r0?.source.selector,
      '(projectcalico.org/namespace == "x" && pod == "b" && projectcalico.org/orchestrator == "k8s")',
    );
    assert.equal(r1?.protocol, 17);
    assert.deepEqual(r1?.destination.ports, [{ min: 80, max: 81 }]);
    assert.equal(
      r2?.source.selector,
      '(pcns.ns == "y" && pod not in {"c"} && projectcalico.org/orchestrator == "k8s")',
    );
  });
  test("an empty namespaceSelector means every namespace; {} means allow all; ipBlock is nets with except as notNets", () => {
    const p = policyOfResource(
      knp("x", "web", {
        egress: [
          { to: [{ namespaceSelector: {} }] },
          {},
          { to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }] },
        ],
      }),
    )!;
    assert.deepEqual(p.ingress, []);
    assert.equal(
      p.egress?.[0]?.destination.selector,
      '(has(projectcalico.org/namespace) && projectcalico.org/orchestrator == "k8s")',
    );
    assert.deepEqual(p.egress?.[1], {
      action: "Allow",
      source: p.egress?.[1]?.source,
      destination: { nets: [], notNets: [], ports: [], notPorts: [] },
    });
    assert.equal(p.egress?.[1]?.protocol, undefined);
    assert.deepEqual(p.egress?.[2]?.destination.nets, ["10.0.0.0/8"]);
    assert.deepEqual(p.egress?.[2]?.destination.notNets, ["10.1.0.0/16"]);
  });
  test("policyTypes Egress only: no ingress list at all (ingress not policed)", () => {
    const p = policyOfResource(knp("x", "deny-egress", { policyTypes: ["Egress"] }))!;
    assert.equal(p.appliesIngress, false);
    assert.deepEqual(p.egress, []);
  });
});

describe("Calico policies normalised", () => {
  test("a GNP keeps its flags, numbers its protocols, scopes nothing", () => {
    const p = policyOfResource(
      gnp("sec.block", {
        tier: "sec",
        order: 5,
        selector: "has(host-endpoint)",
        preDNAT: true,
        applyOnForward: true,
        ingress: [
          {
            action: "Deny",
            protocol: "TCP",
            source: { nets: ["198.18.0.5/32"] },
            destination: { ports: [30080] },
          },
        ],
      }),
    )!;
    assert.equal(p.id, "gnp/sec.block");
    assert.equal(p.preDNAT, true);
    assert.equal(p.selector, "has(host-endpoint)");
    assert.equal(p.ingress?.[0]?.protocol, 6);
    assert.deepEqual(p.ingress?.[0]?.destination.ports, [{ min: 30080, max: 30080 }]);
  });
  test("a namespaced Calico policy scopes its selector and its rule selectors", () => {
    const p = policyOfResource(
      cnp("x", "allow", {
        selector: "app == 'web'",
        ingress: [{ action: "Allow", source: { selector: "app == 'db'", notSelector: "bad == 'yes'" } }],
      }),
    )!;
    assert.equal(p.selector, '(projectcalico.org/namespace == "x" && app == "web")');
    assert.equal(p.ingress?.[0]?.source.selector, '(projectcalico.org/namespace == "x" && app == "db")');
    assert.equal(p.ingress?.[0]?.source.notSelector, 'bad == "yes"');
    assert.equal(p.egress, undefined);
  });
});
