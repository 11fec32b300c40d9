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

/** rawAnswer builds a response with one hand-framed answer record (type, RDLENGTH and data as given). */
const rawAnswer = (type: number, rdata: number[], rdlength = rdata.length): Uint8Array => {
  const header = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
  const question = [1, 0x61, 7, ...Buffer.from("example"), 0, 0, type, 0, 1]; // a.example
  const record = [0xc0, 12, 0, type, 0, 1, 0, 0, 0, 60, rdlength >> 8, rdlength & 0xff, ...rdata];
  return new Uint8Array([...header, ...question, ...record]);
};

const V6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07];

test("an AAAA answer is kept with its TTL, as IPv6 text, and DnsNameTable keeps it until it expires", () => {
  const a = parsed(rawAnswer(28, V6));
  assert.deepEqual(a.records, [{ name: "a.example", type: "AAAA", ttl: 60, address: "2001:db8::7" }]);
  const t = new DnsNameTable();
  assert.deepEqual(t.learn(resolveAnswer(a), 1000), ["a.example"]);
  assert.deepEqual(t.entries(), [
    { name: "a.example", addresses: [{ address: "2001:db8::7", expiresAt: 61_000 }] },
  ]);
  assert.deepEqual(t.expire(61_000), ["a.example"]);
  assert.equal(t.size, 0);
});

test("AAAA text matches the WHATWG URL serializer for zero runs, IPv4-mapped and full addresses", () => {
  let seed = 99;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const cases = [
    V6,
    [...new Array<number>(10).fill(0), 0xff, 0xff, 198, 18, 9, 1],
    new Array<number>(16).fill(0),
  ];
  for (let i = 0; i < 300; i++)
    cases.push(
      Array.from({ length: 16 }, (_, j) => (rand() < 0.5 && j % 2 === 0 ? 0 : Math.floor(rand() * 256))),
    );
  for (const bytes of cases) {
    const rec = parsed(rawAnswer(28, bytes)).records[0];
    assert.ok(rec !== undefined && rec.type === "AAAA");
    const groups = [];
    for (let j = 0; j < 16; j += 2) groups.push(((bytes[j]! << 8) | bytes[j + 1]!).toString(16));
    const expected = new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
    assert.equal(rec.address, expected);
    assert.ok(rec.address.includes(":"), "never IPv4 text, not even for ::ffff:a.b.c.d");
  }
});

test("an AAAA or A whose RDLENGTH is not 16 or 4 refuses the whole answer: no member, no IPv4 from AAAA bytes", () => {
  // An "AAAA" of 4 bytes would, read as 16, swallow what follows; refused.
  assert.deepEqual(parseDnsAnswer(rawAnswer(28, [198, 18, 9, 1])), {
    ok: false,
    reason: "answer record 0: AAAA with 4 bytes of data",
  });
  // An "A" of 16 bytes whose tail is a whole record a decoder ignoring RDLENGTH would read as a second answer.
  const smuggled = [198, 18, 9, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 9, 66].slice(0, 16);
  assert.deepEqual(parseDnsAnswer(rawAnswer(1, smuggled)), {
    ok: false,
    reason: "answer record 0: A with 16 bytes of data",
  });
  // RDLENGTH says 16 but the message ends before: truncated, refused.
  assert.deepEqual(parseDnsAnswer(rawAnswer(28, V6.slice(0, 9), 16)), {
    ok: false,
    reason: "answer record 0: data of 16 bytes runs past the message",
  });
  // A CNAME whose target does not fill its data exactly.
  const cname = [1, 0x62, 0xc0, 14, 0xff];
  assert.equal(parseDnsAnswer(rawAnswer(5, cname)).ok, false);
});

test("every truncation and every single-byte change of an A+AAAA answer: never throws, AAAA never IPv4, A never IPv6", () => {
  const good = response([
    { type: "CNAME", name: "www.example.com", ttl: 20, data: "edge.cdn.example" },
    { type: "AAAA", name: "edge.cdn.example", ttl: 100, data: "2001:db8::7" },
    { type: "A", name: "edge.cdn.example", ttl: 100, data: "198.18.9.7" },
    { type: "AAAA", name: "edge.cdn.example", ttl: 100, data: "::ffff:198.18.9.8" },
  ]);
  const check = (bytes: Uint8Array): void => {
    const r = parseDnsAnswer(bytes);
    if (!r.ok) return;
    for (const rec of r.answer.records) {
      if (rec.type === "AAAA") assert.ok(rec.address.includes(":"), `AAAA ${rec.address}`);
      if (rec.type === "A") assert.match(rec.address, /^\d+\.\d+\.\d+\.\d+$/);
    }
    for (const res of resolveAnswer(r.answer)) assert.ok(res.addresses.length > 0);
  };
  let truncatedOk = 0;
  for (let n = 0; n < good.length; n++) {
    check(good.subarray(0, n));
    if (parseDnsAnswer(good.subarray(0, n)).ok) truncatedOk++;
  }
  assert.equal(truncatedOk, 0, "a message cut anywhere before its end is refused (its header promises more)");
  for (let i = 0; i < good.length; i++)
    for (const v of [0x00, 0x01, 0x0f, 0x10, 0x1c, 0xc0, 0xff]) {
      const bytes = Uint8Array.from(good);
      bytes[i] = v;
      check(bytes);
    }
  const full = parsed(good);
  assert.deepEqual(
    full.records.filter((r) => r.type !== "CNAME").map((r) => r.address),
    ["2001:db8::7", "198.18.9.7", "::ffff:c612:908"],
  );
});
