import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { matchesSelector, parseSelector, SelectorError, selectorLabels, selectorProblem } from "./index.ts";

function matches(text: string, labels: Record<string, string>): boolean {
  return matchesSelector(parseSelector(text), labels);
}

function parseError(text: string): SelectorError {
  try {
    parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorError) return err;
    throw err;
  }
  return assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseSelector() semantics (Calico's)", () => {
  const web = { app: "web", tier: "frontend", "k8s.io/name": "web-1" };
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ["all()", {}, true],
    ["", {}, true],
    ["global()", web, true],
    ["app == 'web'", web, true],
    ['app == "db"', web, false],
    ["app == 'web'", {}, false],
    ["app != 'db'", web, true],
    ["app != 'web'", web, false],
    ["app != 'web'", {}, true], // absent label: != matches
    ["app in {'web', 'db'}", web, true],
    ["app in {'db'}", web, false],
    ["app in {}", web, false],
    ["app in {'web'}", {}, false],
    ["app not in {'db'}", web, true],
    ["app not in {'web', 'db'}", web, false],
    ["app not in {'web'}", {}, true], // absent label: not in matches
    ["has(app)", web, true],
    ["has(db)", web, false],
    ["!has(db)", web, true],
    ["!!has(app)", web, true],
    ["tier starts with 'front'", web, true],
    ["tier ends with 'end'", web, true],
    ["tier contains 'onte'", web, true],
    ["tier contains 'x'", web, false],
    ["missing contains ''", web, false],
    ["k8s.io/name == 'web-1'", web, true],
    ["app == 'web' && tier == 'backend'", web, false],
    ["app == 'web' || tier == 'backend'", web, true],
    ["app == 'db' || tier == 'backend' || has(k8s.io/name)", web, true],
    ["!(app == 'web' && has(tier))", web, false],
    ["app == 'db' && tier == 'frontend' || app == 'web'", web, true], // && binds tighter
    ["app == 'db' && (tier == 'frontend' || app == 'web')", web, false],
    ["  app\t==\n'web'  ", web, true],
  ];
  for (const [text, labels, want] of cases) {
    test(`${JSON.stringify(text)} on ${JSON.stringify(labels)} is ${want}`, () =>
      assert.equal(matches(text, labels), want));
  }
});

describe("parseSelector() canonical text", () => {
  test("renders Calico's form: double quotes, spaced operators, parenthesised &&/||", () => {
    assert.equal(parseSelector("app=='web'&&has(tier)").text, '(app == "web" && has(tier))');
    assert.equal(parseSelector("").text, "all()");
    assert.equal(parseSelector(`a == 'say "hi"'`).text, `a == 'say "hi"'`);
    assert.equal(parseSelector("x   starts    with 'a'").text, 'x starts with "a"');
    assert.equal(parseSelector("!!!has(a)").text, "!has(a)");
  });
  test("equal meaning by construction shares one text: set order, duplicates, quotes, nesting", () => {
    assert.equal(parseSelector("a in {'y', 'x', 'y'}").text, parseSelector('a in {"x","y"}').text);
    assert.equal(
      parseSelector("a == 'x' && (b == 'y' && c == 'z')").text,
      parseSelector("(a == 'x' && b == 'y') && c == 'z'").text,
    );
    assert.equal(
      parseSelector("(a == 'x' && b == 'y' && c == 'z')").text,
      '(a == "x" && b == "y" && c == "z")',
    );
  });
  test("the canonical text parses back to itself", () => {
    for (const t of [
      "a in {'x'} || !(b not in {} && c ends with 'q')",
      "global() && has(x)",
      'a contains "\'"',
    ]) {
      const once = parseSelector(t).text;
      assert.equal(parseSelector(once).text, once);
    }
  });
  test("a label named like a keyword or function still works", () => {
    assert.equal(matches("index == 'x'", { index: "x" }), true);
    assert.equal(matches("has == 'x'", { has: "x" }), true);
    assert.equal(matches("in in {'in'}", { in: "in" }), true);
  });
  test("selectorLabels lists the keys a selector reads", () => {
    assert.deepEqual(selectorLabels(parseSelector("b == 'x' || !has(a) && c in {'q'}").root), [
      "a",
      "b",
      "c",
    ]);
  });
});

describe("parseSelector() errors point at the column", () => {
  const cases: Array<[string, string, number]> = [
    ["app == web", 'unexpected "web", expected a quoted string', 8],
    ["app = 'web'", 'unexpected "=", expected an operator after label "app"', 5],
    ["app == 'web", "unterminated string", 8],
    ["app == 'web' &&", "unexpected end of selector, expected a label", 16],
    ["app == 'web' & b == 'x'", 'unexpected "&"', 14],
    ["app == 'web' | b == 'x'", 'unexpected "|"', 14],
    ["(app == 'web'", 'unexpected end of selector, expected ")"', 14],
    ["app == 'web')", 'unexpected ")"', 13],
    ["has(app", 'unexpected end of selector, expected ")"', 8],
    ["has()", 'unexpected ")", expected a label', 5],
    ["all(x)", 'unexpected "x", expected ")"', 5],
    ["app in {'a' 'b'}", 'unexpected "\'", expected "}"', 13],
    ["app in 'a'", 'unexpected "\'", expected "{"', 8],
    ["app starts 'a'", 'unexpected "starts"', 5],
    ["app not 'a'", 'unexpected "not"', 5],
    ["app", "unexpected end of selector, expected an operator", 4],
    ["a == 'x' b == 'y'", 'unexpected "b"', 10],
    ["#", 'unexpected "#", expected a label', 1],
  ];
  for (const [text, detail, column] of cases) {
    test(`${JSON.stringify(text)}: ${detail} at column ${column}`, () => {
      const err = parseError(text);
      assert.ok(err.detail.startsWith(detail), err.message);
      assert.equal(err.column, column, err.message);
      assert.ok(err.message.startsWith(`parse selector ${JSON.stringify(text)}: `), err.message);
      assert.ok(err.message.endsWith(` at column ${column}`), err.message);
    });
  }
  test("selectorProblem is the validation reason, undefined when valid", () => {
    assert.equal(selectorProblem("has(a)"), undefined);
    assert.equal(
      selectorProblem("a == b"),
      'invalid selector "a == b": unexpected "b", expected a quoted string at column 6',
    );
  });
});
