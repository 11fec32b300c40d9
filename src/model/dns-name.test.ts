import assert from "node:assert/strict";
import { test } from "node:test";
import { dns1123SubdomainProblem } from "./dns-name.ts";

/** The check dns1123SubdomainProblem made before its one-regex form: every dot-separated part a label. */
function referenceSubdomainOk(text: string): boolean {
  return text.split(".").every((part) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(part));
}

test("dns1123SubdomainProblem accepts exactly what the per-label check accepted", () => {
  // Short strings over the characters that matter, every one of them up to length 4, plus random longer ones.
  const alphabet = ["a", "z", "0", "9", "-", ".", "A", "_"];
  const all: string[] = [""];
  for (let len = 1; len <= 4; len++)
    for (let i = 0; i < alphabet.length ** len; i++) {
      let s = "";
      for (let k = 0, v = i; k < len; k++, v = Math.floor(v / alphabet.length))
        s += alphabet[v % alphabet.length];
      all.push(s);
    }
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    let s = "";
    const len = 1 + (i % 40);
    for (let k = 0; k < len; k++) {
      x = (x * 1103515245 + 12345) >>> 0;
      s += alphabet[(x >>> 16) % 6]!; // mostly valid characters, so valid names come up too
    }
    all.push(s);
  }
  let valid = 0;
  for (const s of all) {
    const ok = dns1123SubdomainProblem(s) === undefined;
    if (s.length > 0 && s.length <= 253) assert.equal(ok, referenceSubdomainOk(s), JSON.stringify(s));
    if (ok) valid++;
  }
  assert.ok(valid > 500, `${valid} valid names among ${all.length}`);
  assert.equal(dns1123SubdomainProblem("kubernetes.io"), undefined);
  assert.match(dns1123SubdomainProblem("a..b") ?? "", /invalid DNS-1123 subdomain "a\.\.b"/);
  assert.match(dns1123SubdomainProblem("x".repeat(254)) ?? "", /at most 253 characters, got 254/);
});
