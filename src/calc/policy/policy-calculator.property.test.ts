/**
 * Property: over random sequences of changes (pods, namespaces, network sets, host endpoints,
 * policies of every kind, tiers — created, relabelled, deleted), the incremental calculator
 * agrees with one built from scratch on the final state: same IP set members per set, same
 * ordered policies per endpoint; the deltas it returned, replayed onto an empty map, give exactly
 * its sets; and every endpoint whose policies changed was reported as touched.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resourceKeyId } from "../../model/resource-key.ts";
import type { Resource } from "../../model/resource.ts";
import { manifestKey } from "../../model/validate-resource.ts";
import { memberKey } from "./ip-set-types.ts";
import { prng } from "../../../test/support/random-services.ts";
import { PolicyCalculator, type PolicyDelta } from "./policy-calculator.ts";
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

function generator(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const maybe = (p = 0.5): boolean => r() < p;
  const labels = (): Record<string, string> => ({
    ...(maybe(0.8) ? { pod: pick(["a", "b", "c"]) } : {}),
    ...(maybe() ? { team: pick(["blue", "red"]) } : {}),
  });
  const ns = (): string => pick(["x", "y", "z"]);
  const selector = (): string =>
    pick([
      "pod == 'a'",
      "pod != 'b'",
      "team in {'blue'}",
      "has(team)",
      "!has(pod)",
      "pod == 'a' || team == 'red'",
      "all()",
      "role == 'partner'",
      "pod not in {'a', 'c'}",
    ]);
  const k8sSel = (): Record<string, unknown> =>
    pick([
      {},
      { matchLabels: { pod: pick(["a", "b"]) } },
      { matchExpressions: [{ key: "team", operator: pick(["Exists", "DoesNotExist"]) }] },
      { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["c"] }] },
    ]);
  const ports = [
    { name: "serve-80-tcp", containerPort: 80 },
    { name: "serve-81-udp", containerPort: 81, protocol: "UDP" },
  ];
  const make: Array<() => Resource> = [
    () => namespace(ns(), maybe() ? { team: pick(["blue", "red"]) } : {}),
    () =>
      pod(ns(), `p${Math.floor(r() * 6)}`, `198.19.0.${1 + Math.floor(r() * 4)}`, labels(), {
        ports: maybe() ? ports : [],
        ...(maybe() ? { sa: pick(["api", "web"]) } : {}),
      }),
    () =>
      networkSet(
        ns(),
        `s${Math.floor(r() * 2)}`,
        [pick(["10.0.0.0/8", "10.1.0.0/16", "198.19.0.1/32"])],
        maybe() ? { role: "partner" } : labels(),
      ),
    () =>
      globalNetworkSet(
        `g${Math.floor(r() * 2)}`,
        [pick(["203.0.113.0/24", "10.0.0.0/8"])],
        maybe() ? { role: "partner" } : {},
      ),
    () =>
      hostEndpoint(
        `h${Math.floor(r() * 2)}`,
        pick(["198.18.0.11", "198.19.0.1"]),
        maybe() ? { pod: "a" } : { "host-endpoint": "x" },
      ),
    () =>
      tier(pick(["t1", "t2"]), maybe(0.7) ? Math.floor(r() * 3) * 100 : undefined, pick(["Deny", "Pass"])),
    () =>
      knp(ns(), `k${Math.floor(r() * 3)}`, {
        podSelector: k8sSel(),
        ingress: [
          {
            from: [
              maybe()
                ? { podSelector: k8sSel() }
                : {
                    namespaceSelector: maybe() ? {} : { matchLabels: { team: "blue" } },
                    podSelector: k8sSel(),
                  },
            ],
            ...(maybe() ? { ports: [{ port: "serve-80-tcp" }] } : {}),
          },
        ],
        ...(maybe()
          ? {
              egress: [
                { to: [{ podSelector: k8sSel() }], ports: [{ protocol: "UDP", port: "serve-81-udp" }] },
              ],
            }
          : {}),
      }),
    () => {
      const t = pick(["default", "t1", "t2"]);
      const name = `${t === "default" ? "" : `${t}.`}c${Math.floor(r() * 2)}`;
      return cnp(ns(), name, {
        tier: t,
        ...(maybe() ? { order: Math.floor(r() * 3) } : {}),
        selector: selector(),
        ingress: [
          {
            action: pick(["Allow", "Deny", "Pass", "Log"]),
            source: {
              selector: selector(),
              ...(maybe() ? { namespaceSelector: pick(["team == 'blue'", "global()", "all()"]) } : {}),
            },
          },
        ],
      });
    },
    () => {
      const t = pick(["default", "t1"]);
      return gnp(`${t === "default" ? "" : `${t}.`}g${Math.floor(r() * 2)}`, {
        tier: t,
        ...(maybe() ? { order: Math.floor(r() * 3) } : {}),
        selector: selector(),
        ...(maybe() ? { namespaceSelector: "team == 'red'" } : {}),
        types: ["Ingress", "Egress"],
        egress: [
          {
            action: "Allow",
            protocol: "TCP",
            destination: {
              selector: selector(),
              ...(maybe() ? { notSelector: selector() } : {}),
              ports: maybe() ? ["serve-80-tcp"] : [80],
            },
          },
        ],
        ingress: [{ action: "Deny", source: { serviceAccounts: { names: ["api"] } } }],
      });
    },
  ];
  return { r, pick, make };
}

/** snapshot renders a calculator's state without set ids: set key → sorted members, endpoint → ordered policies. */
function snapshot(calc: PolicyCalculator): {
  sets: Record<string, string[]>;
  policies: Record<string, string>;
} {
  const sets: Record<string, string[]> = {};
  for (const s of calc.index.sets())
    sets[s.key] = calc.index
      .members(s.spec)
      .map((m) => memberKey(m.cidr, m.port, m.protocol))
      .sort();
  const policies: Record<string, string> = {};
  for (const k of calc.endpointsWithPolicy()) policies[k] = JSON.stringify(calc.policiesFor(k));
  return { sets, policies };
}

describe("PolicyCalculator: incremental equals from scratch", () => {
  for (let seed = 1; seed <= 40; seed++) {
    test(`random sequence #${seed}`, () => {
      const { r, make } = generator(seed);
      const calc = new PolicyCalculator();
      const live = new Map<string, Resource>();
      const map = new Map<number, Set<string>>();
      const apply = (d: PolicyDelta): void => {
        for (const s of d.ipSets.createdSets) {
          assert.ok(!map.has(s.id), `set id ${s.id} handed out twice`);
          map.set(s.id, new Set());
        }
        for (const m of d.ipSets.removed)
          assert.ok(
            map.get(m.setId)?.delete(memberKey(m.cidr, m.port, m.protocol)),
            `removed an absent entry ${JSON.stringify(m)}`,
          );
        for (const m of d.ipSets.added) {
          const set = map.get(m.setId);
          assert.ok(
            set !== undefined && !set.has(memberKey(m.cidr, m.port, m.protocol)),
            `added a present entry ${JSON.stringify(m)}`,
          );
          set.add(memberKey(m.cidr, m.port, m.protocol));
        }
        for (const s of d.ipSets.deletedSets) {
          assert.equal(map.get(s.id)?.size, 0, `set ${s.id} deleted with entries left`);
          map.delete(s.id);
        }
      };
      for (let step = 0; step < 60; step++) {
        const before = snapshot(calc).policies;
        let delta: PolicyDelta;
        if (live.size > 0 && r() < 0.25) {
          const keys = [...live.keys()];
          const key = keys[Math.floor(r() * keys.length)]!;
          delta = calc.remove(live.get(key)!);
          live.delete(key);
        } else {
          const res = make[Math.floor(r() * make.length)]!();
          delta = calc.upsert(res);
          live.set(resourceKeyId(manifestKey(res)!), res);
        }
        apply(delta);
        const after = snapshot(calc).policies;
        for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
          if (before[k] !== after[k])
            assert.ok(
              delta.endpoints.includes(k),
              `step ${step}: ${k}'s policies changed but it was not reported`,
            );
        }
      }
      const scratch = new PolicyCalculator();
      for (const res of live.values()) scratch.upsert(res);
      assert.deepEqual(snapshot(calc), snapshot(scratch));
      const replayed = new Map([...map].map(([id, ms]) => [id, [...ms].sort()]));
      const held = new Map(
        calc.index.sets().map((s) => [
          s.id,
          calc.index
            .members(s.spec)
            .map((m) => memberKey(m.cidr, m.port, m.protocol))
            .sort(),
        ]),
      );
      assert.deepEqual(replayed, held);
    });
  }
});
