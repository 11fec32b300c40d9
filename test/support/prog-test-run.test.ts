import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/build-packet.ts";
import { parsePacket } from "../packet/parse-packet.ts";
import { testPacketFixtures, checkFixture } from "./packet-fixtures.ts";
import { runPacket, TcAction, verdictName } from "./prog-test-run.ts";
import type { TestRunOptions, TestRunResult, TestRunnable } from "./prog-test-run.ts";
import { buildSkbCtx, parseSkbCtx, SKB_CTX_SIZE } from "./skb-ctx.ts";

// A fake "program" in TypeScript: DNATs TCP to 198.18.1.5:8080 (rebuilding checksums through the
// builder), drops UDP, passes the rest, and sets mark 0x42. It stands in for the real loader so the
// plumbing is tested without root.
const fakeNat: TestRunnable = {
  testRun(o: TestRunOptions): TestRunResult {
    const p = parsePacket(o.data);
    const ctx = o.ctx ? o.ctx.slice() : undefined;
    if (ctx) new DataView(ctx.buffer).setUint32(8, 0x42, true);
    const base = ctx ? { duration: 1, ctx } : { duration: 1 };
    if (p.udp) return { ...base, retval: TcAction.SHOT, data: o.data };
    if (p.tcp && p.ipv4) {
      const out = packet({
        ipv4: { src: p.ipv4.src, dst: "198.18.1.5" },
        tcp: { sport: p.tcp.sport, dport: 8080, flags: p.tcp.flags },
      });
      return { ...base, retval: TcAction.OK, data: out };
    }
    return { ...base, retval: 0xffffffff, data: o.data }; // TC_ACT_UNSPEC as the kernel's u32
  },
};

const syn = {
  ipv4: { src: "198.18.0.1", dst: "198.18.0.10" },
  tcp: { sport: 40000, dport: 80, flags: ["SYN"] as const },
};

test("verdictName() names tc and XDP verdicts, and unknown values readably", () => {
  assert.equal(verdictName("tc", 0xffffffff), "UNSPEC");
  assert.equal(verdictName("tc", 7), "REDIRECT");
  assert.equal(verdictName("xdp", 3), "TX");
  assert.equal(verdictName("xdp", 9), "UNKNOWN(9)");
});

test("buildSkbCtx() writes only the fields test_run accepts, at the uapi offsets", () => {
  const ctx = buildSkbCtx({
    mark: 1,
    priority: 2,
    ingressIfindex: 3,
    ifindex: 4,
    cb: [5, 6, 7, 8, 9],
    tstamp: 10n,
    wireLen: 11,
    gsoSegs: 12,
    gsoSize: 13,
  });
  assert.equal(ctx.length, SKB_CTX_SIZE);
  const v = new DataView(ctx.buffer);
  assert.deepEqual(
    [8, 32, 36, 40, 48, 64, 160, 164, 176].map((o) => v.getUint32(o, true)),
    [1, 2, 3, 4, 5, 9, 11, 12, 13],
  );
  assert.equal(v.getBigUint64(152, true), 10n);
  assert.deepEqual(parseSkbCtx(ctx).cb, [5, 6, 7, 8, 9]);
  assert.throws(() => buildSkbCtx({ cb: [1, 2, 3, 4, 5, 6] }), /cb has 6 words/);
});

test("runPacket() returns the verdict, the parsed output and ctx_out, defaulting wire_len", async () => {
  let seen: TestRunOptions | undefined;
  const spy: TestRunnable = { testRun: (o) => ((seen = o), fakeNat.testRun(o)) };
  const input = packet(syn);
  const run = await runPacket(spy, input, { ctx: { mark: 1 } });
  assert.equal(run.verdict, "OK");
  assert.equal(run.packet.ipv4?.dst, "198.18.1.5");
  assert.equal(run.ctx?.mark, 0x42);
  assert.equal(parseSkbCtx(seen?.ctx ?? new Uint8Array(0)).wireLen, input.length);
  assert.equal(seen?.dataSizeOut, input.length + 256);
});

test("checkFixture() reports a wrong verdict and a wrong field by name", async () => {
  await assert.rejects(
    checkFixture(fakeNat, { description: "x", input: syn, expectVerdict: "SHOT" }),
    /verdict: expected SHOT, got OK/,
  );
  await assert.rejects(
    checkFixture(fakeNat, {
      description: "x",
      input: syn,
      expectVerdict: "OK",
      expectFields: { tcp: { dport: 9090 } },
    }),
    /tcp\.dport: expected 9090, got 8080/,
  );
});

testPacketFixtures(
  "testPacketFixtures() runs each row as a subtest (fake NAT program)",
  [
    {
      description: "TCP SYN to the frontend is DNATed to the backend",
      input: syn,
      ctx: { mark: 0 },
      expectVerdict: "OK",
      expectOutput: {
        ipv4: { src: "198.18.0.1", dst: "198.18.1.5" },
        tcp: { sport: 40000, dport: 8080, flags: ["SYN"] },
      },
      expectCtx: { mark: 0x42 },
    },
    {
      description: "UDP is dropped",
      input: { ipv4: { src: "198.18.0.1", dst: "198.18.0.10" }, udp: { sport: 1, dport: 53 } },
      expectVerdict: "SHOT",
    },
    {
      description: "ICMP gets UNSPEC, by number",
      input: { ipv4: { src: "198.18.0.1", dst: "198.18.0.10" }, icmp: { type: "echo-request" } },
      expectVerdict: TcAction.UNSPEC,
    },
    {
      description: "only the fields that matter",
      input: syn,
      expectVerdict: "OK",
      expectFields: { ipv4: { dst: "198.18.1.5" }, tcp: { dport: 8080, checksum: { valid: true } } },
    },
  ],
  { program: () => fakeNat },
);
