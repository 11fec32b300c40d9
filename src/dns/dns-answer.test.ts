import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket from "dns-packet";
import { parseDnsAnswer, resolveAnswer, type DnsAnswer } from "./dns-answer.ts";
import { DnsNameTable } from "./dns-name-table.ts";

const response = (answers: dnsPacket.Answer[], flags = dnsPacket.RECURSION_DESIRED | 0x8000): Uint8Array =>
  dnsPacket.encode({
    type: "response",
    id: 4242,
    flags,
    questions: [{ type: "A", name: "www.Example.com" }],
    answers,
  });

const parsed = (bytes: Uint8Array): DnsAnswer => {
  const r = parseDnsAnswer(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.answer;
};

test("an A answer: the question name resolves to its addresses with their TTLs", () => {
  const a = parsed(
    response([
      { type: "A", name: "www.example.com", ttl: 30, data: "198.18.9.1" },
      { type: "A", name: "www.example.com", ttl: 60, data: "198.18.9.2" },
      { type: "TXT", name: "www.example.com", ttl: 60, data: "ignored" },
    ]),
  );
  assert.deepEqual(a.questions, ["www.example.com"]);
  assert.deepEqual(resolveAnswer(a), [
    {
      name: "www.example.com",
      addresses: [
        { address: "198.18.9.1", ttl: 30 },
        { address: "198.18.9.2", ttl: 60 },
      ],
    },
  ]);
});

test("a CNAME chain: every name on the way reaches the final addresses, bounded by the shortest TTL", () => {
  const a = parsed(
    response([
      { type: "CNAME", name: "www.example.com", ttl: 20, data: "edge.cdn.example" },
      { type: "CNAME", name: "edge.cdn.example", ttl: 300, data: "node7.cdn.example" },
      { type: "A", name: "node7.cdn.example", ttl: 100, data: "198.18.9.7" },
      { type: "AAAA", name: "node7.cdn.example", ttl: 100, data: "2001:db8::7" },
    ]),
  );
  const byName = new Map(resolveAnswer(a).map((r) => [r.name, r.addresses]));
  assert.deepEqual(byName.get("www.example.com"), [
    { address: "198.18.9.7", ttl: 20 },
    { address: "2001:db8::7", ttl: 20 },
  ]);
  assert.deepEqual(byName.get("edge.cdn.example"), [
    { address: "198.18.9.7", ttl: 100 },
    { address: "2001:db8::7", ttl: 100 },
  ]);
  assert.equal(byName.get("node7.cdn.example")?.length, 2);
});

test("a CNAME loop ends (no address learned through it), it does not hang", () => {
  const a = parsed(
    response([
      { type: "CNAME", name: "a.example", ttl: 20, data: "b.example" },
      { type: "CNAME", name: "b.example", ttl: 20, data: "a.example" },
    ]),
  );
  assert.deepEqual(resolveAnswer(a), []);
});

test("queries, errors (NXDOMAIN) and short messages teach nothing, with the reason", () => {
  const query = dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "A", name: "x.example" }] });
  assert.deepEqual(parseDnsAnswer(query), { ok: false, reason: "a query, not a response" });
  const nx = response([], 0x8000 | 3);
  assert.deepEqual(parseDnsAnswer(nx), { ok: false, reason: "response code NXDOMAIN, no answer" });
  const short = parseDnsAnswer(new Uint8Array(5));
  assert.equal(short.ok, false);
});

test("every truncation of a valid answer, and 1,000 random messages, give a result and never throw", () => {
  const good = response([
    { type: "CNAME", name: "www.example.com", ttl: 20, data: "edge.cdn.example" },
    { type: "A", name: "edge.cdn.example", ttl: 100, data: "198.18.9.7" },
  ]);
  for (let n = 0; n < good.length; n++) {
    const r = parseDnsAnswer(good.subarray(0, n));
    // A cut inside the answers can still decode the part before it; it must never claim more.
    if (r.ok) for (const rec of r.answer.records) assert.ok(rec.name.length > 0);
  }
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 1000; i++) {
    const bytes = new Uint8Array(12 + Math.floor(rand() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    // Mostly mangle a real answer so decoding gets deep into it.
    if (i % 2 === 0) bytes.set(good.subarray(0, Math.min(good.length, bytes.length)));
    if (i % 2 === 0) bytes[12 + Math.floor(rand() * (bytes.length - 12))] = Math.floor(rand() * 256);
    const r = parseDnsAnswer(bytes);
    assert.equal(typeof r.ok, "boolean");
    if (r.ok) resolveAnswer(r.answer);
  }
});

test("a compression pointer that points at itself is an error, not a hang", () => {
  const bytes = new Uint8Array([
    0x10, 0x92, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
    // question name: a pointer to offset 12, i.e. to itself
    0xc0, 12, 0, 1, 0, 1,
  ]);
  const r = parseDnsAnswer(bytes);
  assert.equal(r.ok, false);
});

test("DnsNameTable: TTLs expire, a later answer extends, extra TTL applies, size is bounded", () => {
  const t = new DnsNameTable({ extraTtlSeconds: 5, maxAddressesPerName: 2, maxNames: 2 });
  const r = (name: string, address: string, ttl: number) => [{ name, addresses: [{ address, ttl }] }];
  assert.deepEqual(t.learn(r("a.example", "198.18.9.1", 10), 0), ["a.example"]);
  assert.deepEqual(t.learn(r("a.example", "198.18.9.1", 30), 1000), [], "same address: no change");
  assert.deepEqual(t.expire(15_000), [], "extended to 1 s + 30 s + 5 s");
  assert.deepEqual(t.expire(36_000), ["a.example"]);
  assert.equal(t.size, 0);
  t.learn(r("a.example", "198.18.9.1", 10), 0);
  t.learn(r("a.example", "198.18.9.2", 20), 0);
  t.learn(r("a.example", "198.18.9.3", 30), 0);
  assert.deepEqual(
    t.addresses("a.example"),
    ["198.18.9.2", "198.18.9.3"],
    "the soonest-expiring address gave way",
  );
  t.learn(r("b.example", "198.18.9.4", 5), 0);
  assert.deepEqual(
    t.learn(r("c.example", "198.18.9.5", 60), 0),
    ["b.example", "c.example"],
    "b.example evicted",
  );
  assert.equal(t.size, 2);
  assert.equal(t.nextExpiry(), 25_000, "198.18.9.2: 20 s + 5 s");
});

test("a header claiming more records than the message can hold is refused before decoding", () => {
  const bytes = new Uint8Array(20);
  bytes.set([0x12, 0x34, 0x81, 0x80, 0xff, 0xff, 0, 0, 0, 0, 0, 0]);
  const r = parseDnsAnswer(bytes);
  assert.deepEqual(r, {
    ok: false,
    reason: "header counts 65535 question(s) and 0 record(s), more than 20 bytes can hold",
  });
});
