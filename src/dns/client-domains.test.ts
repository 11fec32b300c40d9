import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientDomains } from "./client-domains.ts";
import type { DnsAnswer } from "./dns-answer.ts";
import { resolveAnswer } from "./dns-answer.ts";

const answer: DnsAnswer = {
  id: 1,
  questions: ["www.example.com"],
  records: [
    { name: "www.example.com", type: "CNAME", ttl: 20, target: "edge.cdn.example" },
    { name: "edge.cdn.example", type: "A", ttl: 100, address: "198.18.9.7" },
    { name: "edge.cdn.example", type: "AAAA", ttl: 100, address: "2001:db8::7" },
  ],
};

test("ClientDomains names an address by the question its client asked (not the CNAMEs), for the chain's TTL", () => {
  const c = new ClientDomains();
  c.learn("198.19.1.10", answer, resolveAnswer(answer), 0, 5000);
  assert.deepEqual(c.domainsOf("198.19.1.10", "198.18.9.7", 1000), ["www.example.com"]);
  assert.deepEqual(c.domainsOf("198.19.1.10", "2001:db8::7", 1000), ["www.example.com"]);
  assert.deepEqual(c.domainsOf("198.19.1.11", "198.18.9.7", 1000), [], "another pod did not ask");
  assert.deepEqual(c.domainsOf("198.19.1.10", "198.18.9.7", 25_000), [], "20 s TTL + 5 s extra ran out");
  c.expire(25_000);
  assert.equal(c.size, 0);
});

test("ClientDomains is bounded in clients and entries", () => {
  const c = new ClientDomains({ maxClients: 2, maxPerClient: 3 });
  const one = (name: string, address: string, ttl: number): DnsAnswer => ({
    id: 1,
    questions: [name],
    records: [{ name, type: "A", ttl, address }],
  });
  for (const [i, client] of ["198.19.1.1", "198.19.1.2", "198.19.1.3"].entries()) {
    const a = one(`n${i}.example`, "198.18.0.1", 10);
    c.learn(client, a, resolveAnswer(a), 0);
  }
  assert.equal(c.size, 2);
  assert.deepEqual(c.domainsOf("198.19.1.1", "198.18.0.1", 0), [], "the oldest client gave way");
  for (let i = 0; i < 5; i++) {
    const a = one(`m${i}.example`, `198.18.1.${i}`, 10 + i);
    c.learn("198.19.1.3", a, resolveAnswer(a), 0);
  }
  const kept = [0, 1, 2, 3, 4].filter((i) => c.domainsOf("198.19.1.3", `198.18.1.${i}`, 0).length > 0);
  assert.deepEqual(kept, [2, 3, 4], "the soonest to expire gave way (n2.example, m0, m1)");
});
