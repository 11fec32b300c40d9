/**
 * `sluice dump dns` end to end below the CLI: names learned by DnsPolicyService, the policies
 * the calculator says use them, served on the agent's health port (GET /dns) and read back and
 * formatted as the command prints them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectValid } from "../../test/support/validation.ts";
import { AgentMetrics } from "../agent/agent-metrics.ts";
import { createAgentLogger } from "../agent/agent-logger.ts";
import { DnsPolicyService } from "../agent/dns-policy-service.ts";
import { startHttpEndpoints } from "../agent/http-endpoints.ts";
import { PolicyCalculator } from "../calc/policy/policy-calculator.ts";
import type { Resource } from "../model/resource.ts";
import { dnsDumpRows, fetchDnsDump, formatDnsDump } from "./dump-dns.ts";

const egressTo = (name: string, domains: string[]): Resource =>
  expectValid({
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name, namespace: "default" },
    spec: {
      selector: "role == 'client'",
      types: ["Egress"],
      egress: [{ action: "Allow", protocol: "TCP", destination: { domains } }],
    },
  }) as Resource;

test("dump dns: names, addresses, TTL left and the policies using them, from the agent's /dns", async () => {
  const calc = new PolicyCalculator();
  calc.upsert(egressTo("exact", ["allowed.lab.example"]));
  calc.upsert(egressTo("wild", ["*.lab.example"]));
  calc.upsert(egressTo("other", ["other.example"]));
  let now = 1_000_000;
  const dns = new DnsPolicyService({
    log: createAgentLogger("test", "silent"),
    trusted: () => ({ has: () => true }),
    now: () => now,
  });
  dns.table.learn(
    [
      {
        name: "allowed.lab.example",
        addresses: [
          { address: "198.18.2.2", ttl: 30 },
          { address: "2001:db8::2", ttl: 60 },
        ],
      },
      { name: "x.other.example", addresses: [{ address: "198.18.3.3", ttl: 5 }] },
    ],
    now,
  );
  now += 2_500;
  const port = 20000 + ((process.pid + 7) % 20000);
  const http = await startHttpEndpoints(
    { health: port, metrics: 0 },
    () => ({ live: true, ready: true, detail: {} }),
    new AgentMetrics(),
    () => undefined,
    () => dns.dump((n) => calc.policiesUsingDomain(n)),
  );
  try {
    const entries = await fetchDnsDump(`http://127.0.0.1:${port}`);
    assert.deepEqual(entries, [
      {
        name: "allowed.lab.example",
        addresses: [
          { address: "198.18.2.2", ttlLeftS: 28 },
          { address: "2001:db8::2", ttlLeftS: 58 },
        ],
        policies: ["default/exact", "default/wild"],
      },
      { name: "x.other.example", addresses: [{ address: "198.18.3.3", ttlLeftS: 3 }], policies: [] },
    ]);
    assert.deepEqual(dnsDumpRows(entries), [
      ["allowed.lab.example", "198.18.2.2", "28s", "default/exact,default/wild"],
      ["allowed.lab.example", "2001:db8::2", "58s", "default/exact,default/wild"],
      ["x.other.example", "198.18.3.3", "3s", "-"],
    ]);
    assert.match(formatDnsDump(entries, false), /^dns names: 2\nNAME +ADDRESS +TTL LEFT +POLICIES\n/);
    await assert.rejects(fetchDnsDump("http://127.0.0.1:1"), /dump dns: no agent at http:\/\/127\.0\.0\.1:1/);
    await assert.rejects(fetchDnsDump("not a url"), /--agent "not a url" is not a URL/);
  } finally {
    await http.close();
  }
});
