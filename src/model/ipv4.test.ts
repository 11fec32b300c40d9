import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipv4FromNumber, ipv4ToNumber } from "./ipv4.ts";

// The parser before the one-pass scanner (issue 10): the accepted language must not change.
function reference(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`parse ipv4 address: "${text}" is not a dotted quad`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

function outcome(f: (t: string) => number, text: string): number | string {
  try {
    return f(text);
  } catch (e) {
    return (e as Error).message;
  }
}

describe("ipv4ToNumber", () => {
  it("parses dotted quads in host order", () => {
    assert.equal(ipv4ToNumber("0.0.0.0"), 0);
    assert.equal(ipv4ToNumber("255.255.255.255"), 0xffffffff);
    assert.equal(ipv4ToNumber("198.18.0.1"), 0xc6120001);
    assert.equal(ipv4ToNumber("010.001.0.09"), 0x0a010009);
  });

  it("rejects what is not a dotted quad, with the address in the message", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.",
      ".1.2.3",
      "1..2.3",
      "1.2.3.256",
      "1.2.3.0001",
      "1.2.3.-1",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.a",
      "1.2.3.٣",
      "::1",
      "1.2.3.4/32",
    ]) {
      assert.throws(
        () => ipv4ToNumber(bad),
        new RangeError(`parse ipv4 address: "${bad}" is not a dotted quad`),
        bad,
      );
    }
  });

  it("agrees with the split-and-regex parser on random text over its alphabet", () => {
    const alphabet = "0123456789..x";
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let t = "";
      const len = rand(17);
      for (let j = 0; j < len; j++) t += alphabet[rand(alphabet.length)];
      assert.deepEqual(outcome(ipv4ToNumber, t), outcome(reference, t), t);
    }
  });

  it("round-trips with ipv4FromNumber", () => {
    for (const n of [0, 1, 0x7f000001, 0xc6120001, 0xffffffff])
      assert.equal(ipv4ToNumber(ipv4FromNumber(n)), n);
  });
});
