import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { IpSetMember } from "./ip-set-types.ts";
import { PolicyCalculator } from "./policy-calculator.ts";
import {
  cnp,
  globalNetworkSet,
  gnp,
  hostEndpoint,
  knp,
  namespace,
  networkSet,
  pod,
  tier,
} from "../../../test/support/policy-resources.ts";

const fromB = (ns = "x") =>
  knp(ns, "allow-b", {
    podSelector: { matchLabels: { pod: "a" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
  });
const SET_B_X = {
  selector: '(projectcalico.org/namespace == "x" && pod == "b" && projectcalico.org/orchestrator == "k8s")',
};
const cidrs = (ms: readonly IpSetMember[]): string[] => ms.map((m) => m.cidr).sort();

describe("PolicyCalculator IP sets", () => {
  test("a policy creates its sets filled with current members; a pod joining or leaving is one entry", () => {
    const calc = new PolicyCalculator();
    calc.upsert(namespace("x"));
    calc.upsert(pod("x", "b1", "198.19.0.2", { pod: "b" }));
    calc.upsert(pod("x", "a1", "198.19.0.1", { pod: "a" }));
    const added = calc.upsert(fromB());
    const id = calc.index.setId(SET_B_X)!;
    assert.deepEqual(added.ipSets.createdSets, [{ id, key: SET_B_X.selector }]);
    assert.deepEqual(added.ipSets.added, [{ setId: id, cidr: "198.19.0.2/32" }]);
    assert.deepEqual(added.endpoints, ["pod/x/a1"]);

    const joined = calc.upsert(pod("x", "b2", "198.19.0.3", { pod: "b" }));
    assert.deepEqual(joined.ipSets.added, [{ setId: id, cidr: "198.19.0.3/32" }]);
    assert.deepEqual(joined.ipSets.removed, []);
    assert.deepEqual(joined.endpoints, ["pod/x/b2"]); // a new endpoint needs its (empty) programs

    const relabelled = calc.upsert(pod("x", "b2", "198.19.0.3", { pod: "c" }));
    assert.deepEqual(relabelled.ipSets.removed, [{ setId: id, cidr: "198.19.0.3/32" }]);
    assert.deepEqual(relabelled.endpoints, []); // no policy selects b2 either way

    const same = calc.upsert(pod("x", "b1", "198.19.0.2", { pod: "b", extra: "1" }));
    assert.deepEqual(same.ipSets, { added: [], removed: [], createdSets: [], deletedSets: [] });
    assert.deepEqual(cidrs(calc.index.members(SET_B_X)), ["198.19.0.2/32"]);
  });

  test("a pod in another namespace with the same labels stays out; a namespace relabel moves pods in and out of namespaceSelector sets", () => {
    const calc = new PolicyCalculator();
    calc.upsert(namespace("x"));
    calc.upsert(namespace("y", { team: "blue" }));
    calc.upsert(pod("y", "b1", "198.19.1.2", { pod: "b" }));
    calc.upsert(fromB());
    assert.deepEqual(calc.index.members(SET_B_X), []);
    const byNs = knp("x", "from-blue", {
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "blue" } } }] }],
    });
    calc.upsert(byNs);
    const setSpec = { selector: '(pcns.team == "blue" && projectcalico.org/orchestrator == "k8s")' };
    const id = calc.index.setId(setSpec)!;
    assert.deepEqual(cidrs(calc.index.members(setSpec)), ["198.19.1.2/32"]);
    const out = calc.upsert(namespace("y", { team: "red" }));
    assert.deepEqual(out.ipSets.removed, [{ setId: id, cidr: "198.19.1.2/32" }]);
    const back = calc.upsert(namespace("y", { team: "blue" }));
    assert.deepEqual(back.ipSets.added, [{ setId: id, cidr: "198.19.1.2/32" }]);
  });

  test("kubernetes.io/metadata.name selects a namespace even when it has no labels", () => {
    const calc = new PolicyCalculator();
    calc.upsert(pod("z", "c1", "198.19.2.3"));
    calc.upsert(
      knp("x", "from-z", {
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "z" } } }] }],
      }),
    );
    const spec = {
      selector: '(pcns.kubernetes.io/metadata.name == "z" && projectcalico.org/orchestrator == "k8s")',
    };
    assert.deepEqual(cidrs(calc.index.members(spec)), ["198.19.2.3/32"]);
  });

  test("network sets feed Calico selectors; global() picks the global ones", () => {
    const calc = new PolicyCalculator();
    calc.upsert(globalNetworkSet("partners", ["203.0.113.0/24", "198.51.100.0/24"], { role: "partner" }));
    calc.upsert(networkSet("x", "local-partners", ["192.0.2.0/24"], { role: "partner" }));
    calc.upsert(
      gnp("allow-partners", { ingress: [{ action: "Allow", source: { selector: "role == 'partner'" } }] }),
    );
    calc.upsert(
      cnp("x", "allow-global-partners", {
        ingress: [
          { action: "Allow", source: { selector: "role == 'partner'", namespaceSelector: "global()" } },
        ],
      }),
    );
    assert.deepEqual(cidrs(calc.index.members({ selector: 'role == "partner"' })), [
      "192.0.2.0/24",
      "198.51.100.0/24",
      "203.0.113.0/24",
    ]);
    assert.deepEqual(
      cidrs(calc.index.members({ selector: '(!has(projectcalico.org/namespace) && role == "partner")' })),
      ["198.51.100.0/24", "203.0.113.0/24"],
    );
  });

  test("named-port sets hold address, port and protocol of each endpoint naming that port", () => {
    const calc = new PolicyCalculator();
    calc.upsert(
      pod(
        "x",
        "a1",
        "198.19.0.1",
        { pod: "a" },
        {
          ports: [
            { name: "serve-80-tcp", containerPort: 80 },
            { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
          ],
        },
      ),
    );
    calc.upsert(
      pod("x", "a2", "198.19.0.2", { pod: "a" }, { ports: [{ name: "serve-80-tcp", containerPort: 8080 }] }),
    );
    calc.upsert(
      knp("x", "to-named", { policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-80-tcp" }] }] }),
    );
    const spec = { selector: "all()", namedPort: { name: "serve-80-tcp", protocol: 6 } };
    const id = calc.index.setId(spec)!;
    assert.deepEqual(calc.index.members(spec), [
      { setId: id, cidr: "198.19.0.1/32", port: 80, protocol: 6 },
      { setId: id, cidr: "198.19.0.2/32", port: 8080, protocol: 6 },
    ]);
  });

  test("a CIDR two endpoints share stays until the last one leaves", () => {
    const calc = new PolicyCalculator();
    calc.upsert(gnp("p", { ingress: [{ action: "Allow", source: { selector: "has(shared)" } }] }));
    calc.upsert(globalNetworkSet("one", ["10.0.0.0/8"], { shared: "1" }));
    const second = calc.upsert(globalNetworkSet("two", ["10.0.0.0/8"], { shared: "1" }));
    assert.deepEqual(second.ipSets.added, []);
    const firstGone = calc.remove(globalNetworkSet("one", ["10.0.0.0/8"], { shared: "1" }));
    assert.deepEqual(firstGone.ipSets.removed, []);
    const lastGone = calc.remove(globalNetworkSet("two", ["10.0.0.0/8"], { shared: "1" }));
    assert.equal(lastGone.ipSets.removed.length, 1);
  });

  test("set ids are stable while a set is used; a freed id is reused only after fresh ones run out", () => {
    const calc = new PolicyCalculator({ maxSetId: 3 });
    calc.upsert(gnp("p1", { ingress: [{ action: "Allow", source: { selector: "a == '1'" } }] }));
    calc.upsert(gnp("p2", { ingress: [{ action: "Allow", source: { selector: "a == '2'" } }] }));
    const id1 = calc.index.setId({ selector: 'a == "1"' });
    // p2 changes its rules but keeps the set: same id.
    calc.upsert(gnp("p2", { ingress: [{ action: "Deny", source: { selector: "a == '2'" } }] }));
    assert.equal(calc.index.setId({ selector: 'a == "2"' }), 2);
    const gone = calc.upsert(gnp("p1", { ingress: [{ action: "Allow", source: { selector: "a == '3'" } }] }));
    assert.deepEqual(gone.ipSets.deletedSets, [{ id: id1, key: 'a == "1"' }]);
    assert.equal(calc.index.setId({ selector: 'a == "3"' }), 3);
    calc.upsert(gnp("p3", { ingress: [{ action: "Allow", source: { selector: "a == '4'" } }] }));
    assert.equal(calc.index.setId({ selector: 'a == "4"' }), id1);
    assert.throws(
      () => calc.upsert(gnp("p4", { ingress: [{ action: "Allow", source: { selector: "a == '5'" } }] })),
      /all 3 ids are in use/,
    );
  });

  test("two policies sharing a selector share one set, kept until both are gone", () => {
    const calc = new PolicyCalculator();
    calc.upsert(fromB());
    calc.upsert(
      cnp("x", "also-b", {
        ingress: [
          { action: "Allow", source: { selector: "pod == 'b' && projectcalico.org/orchestrator == 'k8s'" } },
        ],
      }),
    );
    assert.equal(calc.index.sets().length, 1);
    assert.deepEqual(calc.remove(fromB()).ipSets.deletedSets, []);
    assert.equal(
      calc.remove(
        cnp("x", "also-b", {
          ingress: [
            {
              action: "Allow",
              source: { selector: "pod == 'b' && projectcalico.org/orchestrator == 'k8s'" },
            },
          ],
        }),
      ).ipSets.deletedSets.length,
      1,
    );
  });
});

describe("PolicyCalculator ordering and touched endpoints", () => {
  function setup(): PolicyCalculator {
    const calc = new PolicyCalculator();
    calc.upsert(namespace("x"));
    calc.upsert(pod("x", "a1", "198.19.0.1", { pod: "a" }));
    calc.upsert(pod("x", "b1", "198.19.0.2", { pod: "b" }));
    return calc;
  }
  const names = (calc: PolicyCalculator, key: string, dir: "ingress" | "egress" = "ingress"): string[][] =>
    calc.policiesFor(key)![dir].map((t) => [t.tier.name, ...t.policies.map((p) => p.name)]);

  test("tiers by order, policies by order (unset last) then name; Kubernetes policies in default at 1000", () => {
    const calc = setup();
    calc.upsert(tier("security", 100));
    calc.upsert(tier("platform", 50, "Pass"));
    calc.upsert(tier("unordered"));
    calc.upsert(knp("x", "web", {}));
    calc.upsert(cnp("x", "early", { order: 10 }));
    calc.upsert(cnp("x", "late", {}));
    calc.upsert(gnp("zeta", { order: 1000 }));
    calc.upsert(gnp("alpha", { order: 1000 }));
    calc.upsert(gnp("security.deny", { tier: "security", order: 1 }));
    calc.upsert(gnp("platform.pass", { tier: "platform" }));
    calc.upsert(gnp("unordered.x", { tier: "unordered" }));
    assert.deepEqual(names(calc, "pod/x/a1"), [
      ["platform", "platform.pass"],
      ["security", "security.deny"],
      // Namespaced policies sort as "<ns>/<name>", as in Felix: "x/knp.default.web" before "zeta".
      ["default", "early", "alpha", "knp.default.web", "zeta", "late"],
      ["unordered", "unordered.x"],
    ]);
    assert.equal(calc.policiesFor("pod/x/a1")!.ingress[0]!.tier.defaultAction, "Pass");
    assert.equal(calc.policiesFor("pod/x/a1")!.ingress[2]!.tier.order, 1_000_000);
    assert.deepEqual(calc.policiesFor("pod/x/a1")!.egress, []); // every policy here is Ingress-only
  });

  test("a label change moves a pod in and out of a policy, touching only that pod", () => {
    const calc = setup();
    const d = calc.upsert(knp("x", "a-only", { podSelector: { matchLabels: { pod: "a" } } }));
    assert.deepEqual(d.endpoints, ["pod/x/a1"]);
    const moved = calc.upsert(pod("x", "b1", "198.19.0.2", { pod: "a" }));
    assert.deepEqual(moved.endpoints, ["pod/x/b1"]);
    assert.deepEqual(names(calc, "pod/x/b1"), [["default", "knp.default.a-only"]]);
    assert.deepEqual(calc.upsert(pod("x", "b1", "198.19.0.9", { pod: "a" })).endpoints, []);
  });

  test("a policy change touches the endpoints of its old and new selector; a tier change those with a policy in it", () => {
    const calc = setup();
    calc.upsert(tier("security", 100));
    calc.upsert(cnp("x", "security.p", { tier: "security", selector: "pod == 'a'" }));
    assert.deepEqual(
      calc.upsert(cnp("x", "security.p", { tier: "security", selector: "pod == 'b'" })).endpoints,
      ["pod/x/a1", "pod/x/b1"],
    );
    assert.deepEqual(calc.upsert(tier("security", 5)).endpoints, ["pod/x/b1"]);
    assert.deepEqual(
      calc.upsert(cnp("x", "security.p", { tier: "security", selector: "pod == 'b'" })).endpoints,
      [],
    ); // unchanged
    assert.deepEqual(calc.remove(cnp("x", "security.p", { tier: "security" })).endpoints, ["pod/x/b1"]);
  });

  test("host endpoints get preDNAT, untracked and forward lists; pods never do", () => {
    const calc = setup();
    calc.upsert(hostEndpoint("node-1-eth0", "198.18.0.11", { "host-endpoint": "ingress" }));
    calc.upsert(
      gnp("block-nodeport", {
        selector: "has(host-endpoint)",
        preDNAT: true,
        applyOnForward: true,
        ingress: [{ action: "Deny" }],
      }),
    );
    calc.upsert(gnp("untracked", { doNotTrack: true, applyOnForward: true, types: ["Ingress", "Egress"] }));
    calc.upsert(gnp("fwd", { selector: "all()", applyOnForward: true }));
    const hep = calc.policiesFor("hep/node-1-eth0")!;
    assert.deepEqual(
      hep.preDnatIngress.flatMap((t) => t.policies.map((p) => p.name)),
      ["block-nodeport"],
    );
    assert.deepEqual(
      hep.untrackedEgress.flatMap((t) => t.policies.map((p) => p.name)),
      ["untracked"],
    );
    assert.deepEqual(
      hep.forwardIngress.flatMap((t) => t.policies.map((p) => p.name)),
      ["fwd"],
    );
    assert.deepEqual(
      hep.ingress.flatMap((t) => t.policies.map((p) => p.name)),
      ["fwd"],
    );
    const a = calc.policiesFor("pod/x/a1")!;
    assert.deepEqual([a.preDnatIngress, a.untrackedIngress, a.forwardIngress], [[], [], []]);
    assert.deepEqual(
      a.ingress.flatMap((t) => t.policies.map((p) => p.name)),
      ["fwd"],
    );
  });

  test("a namespaced policy never applies outside its namespace; deleting a pod touches it", () => {
    const calc = setup();
    calc.upsert(pod("y", "a9", "198.19.1.1", { pod: "a" }));
    calc.upsert(knp("x", "all-in-x", {}));
    assert.deepEqual(calc.policyEndpoints("knp/x/all-in-x"), ["pod/x/a1", "pod/x/b1"]);
    assert.deepEqual(calc.remove(pod("x", "a1", "198.19.0.1")).endpoints, ["pod/x/a1"]);
    assert.equal(calc.policiesFor("pod/x/a1"), undefined);
  });
});
