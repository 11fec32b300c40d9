import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalDomainList,
  DomainMatcher,
  domainMatches,
  domainPatternProblem,
  parseDomainPattern,
} from "./domain-pattern.ts";

const matches = (pattern: string, name: string): boolean => domainMatches(parseDomainPattern(pattern), name);

test("an exact pattern matches that name only, case-insensitively, with or without the root dot", () => {
  assert.equal(matches("example.com", "example.com"), true);
  assert.equal(matches("example.com", "Example.COM."), true);
  assert.equal(matches("example.com", "www.example.com"), false);
  assert.equal(matches("www.example.com", "example.com"), false);
});

test("a wildcard stands for one or more whole labels at its place (Calico's examples)", () => {
  assert.equal(matches("*.google.com", "www.google.com"), true);
  assert.equal(matches("*.google.com", "www.ipv6.google.com"), true);
  assert.equal(matches("*.google.com", "google.com"), false);
  assert.equal(matches("*.google.com", "wwwgoogle.com"), false);
  assert.equal(matches("www.*.com", "www.sun.com"), true);
  assert.equal(matches("www.*.com", "www.com"), false);
  assert.equal(matches("www.google.*", "www.google.io"), true);
  assert.equal(matches("update.*.mycompany.com", "update.secure.suite.mycompany.com"), true);
  assert.equal(matches("update.*.mycompany.com", "other.tools.mycompany.com"), false);
});

test("invalid patterns are refused with the reason", () => {
  assert.match(domainPatternProblem("*.*.mycompany.com") ?? "", /more than one wildcard/);
  assert.match(domainPatternProblem("www.g*.com") ?? "", /whole label/);
  assert.match(domainPatternProblem("") ?? "", /must not be empty/);
  assert.match(domainPatternProblem("*") ?? "", /every name/);
  assert.match(domainPatternProblem("bad..name") ?? "", /not a DNS label/);
  assert.match(domainPatternProblem("-x.com") ?? "", /not a DNS label/);
  assert.equal(domainPatternProblem("_sip._tcp.example.com"), undefined);
  assert.throws(() => parseDomainPattern("a.*.*"), /domain pattern: .*more than one wildcard/);
});

test("DomainMatcher: any pattern of the list; canonicalDomainList sorts and de-duplicates", () => {
  const m = new DomainMatcher(["allowed.lab.example", "*.cdn.example"]);
  assert.equal(m.matches("ALLOWED.lab.example."), true);
  assert.equal(m.matches("x.cdn.example"), true);
  assert.equal(m.matches("denied.lab.example"), false);
  assert.deepEqual(canonicalDomainList(["b.com", "A.com.", "a.com"]), ["a.com", "b.com"]);
});
