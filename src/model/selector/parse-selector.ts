/**
 * parseSelector: Calico's selector language (libcalico-go's tokenizer and parser), parsed once
 * into a SelectorNode. Grammar, loosest binding first:
 *
 *   or      := and ("||" and)*
 *   and     := unary ("&&" unary)*
 *   unary   := "!"* primary                      (an even number of "!" cancels out)
 *   primary := "all()" | "global()" | "has(" label ")" | "(" or ")"
 *            | label ("==" | "!=" | "contains" | "starts with" | "ends with") string
 *            | label ("in" | "not in") "{" [string ("," string)* [","]] "}"
 *   label   := [A-Za-z0-9_./-]{1,512}            string := '…' | "…" (no escapes)
 *
 * An empty selector means `all()`, as in Calico. Errors name the 1-based column.
 */
import { formatSelectorNode, type SelectorNode, type ValueOp } from "./selector-node.ts";

/** SelectorError is a selector that does not parse; `column` is 1-based, `detail` reads alone. */
export class SelectorError extends Error {
  override readonly name: string = "SelectorError";
  constructor(
    readonly selector: string,
    readonly detail: string,
    readonly column: number,
  ) {
    super(`parse selector ${JSON.stringify(selector)}: ${detail} at column ${column}`);
  }
}

const LABEL = /^[A-Za-z0-9_./-]{1,512}/;

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(detail: string, at = this.pos): never {
    throw new SelectorError(this.text, detail, at + 1);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(word: string): boolean {
    this.skipSpace();
    return this.text.startsWith(word, this.pos);
  }

  /** unexpected reports what stands at the cursor: a whole word, or one character. */
  unexpected(expected?: string): never {
    this.skipSpace();
    const suffix = expected === undefined ? "" : `, expected ${expected}`;
    if (this.pos >= this.text.length) this.fail(`unexpected end of selector${suffix}`);
    const word = LABEL.exec(this.text.slice(this.pos))?.[0] ?? this.text[this.pos]!;
    this.fail(`unexpected ${JSON.stringify(word)}${suffix}`);
  }

  expect(word: string): void {
    if (!this.peek(word)) this.unexpected(JSON.stringify(word));
    this.pos += word.length;
  }

  label(): string {
    this.skipSpace();
    const m = LABEL.exec(this.text.slice(this.pos));
    if (m === null) this.unexpected("a label");
    this.pos += m[0].length;
    return m[0];
  }

  string(): string {
    this.skipSpace();
    const q = this.text[this.pos];
    if (q !== '"' && q !== "'") this.unexpected("a quoted string");
    const end = this.text.indexOf(q, this.pos + 1);
    if (end < 0) this.fail("unterminated string");
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  or(): SelectorNode {
    const operands = [this.and()];
    while (this.peek("||")) {
      this.pos += 2;
      operands.push(this.and());
    }
    return combine("or", operands);
  }

  and(): SelectorNode {
    const operands = [this.unary()];
    while (this.peek("&&")) {
      this.pos += 2;
      operands.push(this.unary());
    }
    return combine("and", operands);
  }

  unary(): SelectorNode {
    let negated = false;
    // "!=" only follows a label, so a "!" here is always negation.
    while (this.peek("!")) {
      this.pos++;
      negated = !negated;
    }
    const node = this.primary();
    return negated ? { kind: "not", operand: node } : node;
  }

  primary(): SelectorNode {
    this.skipSpace();
    for (const fn of ["all", "global"] as const) {
      if (this.text.startsWith(`${fn}(`, this.pos)) {
        this.pos += fn.length + 1;
        this.expect(")");
        return { kind: fn };
      }
    }
    if (this.text.startsWith("has(", this.pos)) {
      this.pos += 4;
      const label = this.label();
      this.expect(")");
      return { kind: "has", label };
    }
    if (this.peek("(")) {
      this.pos++;
      const inner = this.or();
      this.expect(")");
      return inner;
    }
    const label = this.label();
    return this.operation(label);
  }

  operation(label: string): SelectorNode {
    for (const op of [
      "==",
      "!=",
      "contains",
      "starts with",
      "ends with",
    ] as const satisfies readonly ValueOp[]) {
      if (this.peekWords(op)) return { kind: "value", op, label, value: this.string() };
    }
    for (const kind of ["in", "not in"] as const) {
      if (this.peekWords(kind)) return { kind, label, values: this.set() };
    }
    return this.unexpected(`an operator after label ${JSON.stringify(label)}`);
  }

  /** peekWords consumes an operator; words ("starts with") may be separated by any whitespace. */
  peekWords(op: string): boolean {
    this.skipSpace();
    const start = this.pos;
    for (const [i, word] of op.split(" ").entries()) {
      if (i > 0) this.skipSpace();
      if (!this.text.startsWith(word, this.pos)) {
        this.pos = start;
        return false;
      }
      this.pos += word.length;
      // A keyword must end there: "index" is a label, not "in" followed by "dex".
      if (/[A-Za-z]/.test(word) && /[A-Za-z0-9_./-]/.test(this.text[this.pos] ?? "")) {
        this.pos = start;
        return false;
      }
    }
    return true;
  }

  set(): string[] {
    this.expect("{");
    const values = new Set<string>();
    while (!this.peek("}")) {
      values.add(this.string());
      if (!this.peek(",")) break;
      this.pos++;
    }
    this.expect("}");
    return [...values].sort();
  }
}

function combine(kind: "and" | "or", operands: SelectorNode[]): SelectorNode {
  if (operands.length === 1) return operands[0]!;
  // Flatten nested and-of-and / or-of-or: same meaning, one canonical text.
  return { kind, operands: operands.flatMap((o) => (o.kind === kind ? o.operands : [o])) };
}

/** Selector is a parsed selector: its tree and its canonical text (equal text, equal meaning). */
export interface Selector {
  readonly root: SelectorNode;
  readonly text: string;
}

/** parseSelector parses `text`; throws SelectorError naming the column of the first problem. */
export function parseSelector(text: string): Selector {
  const parser = new Parser(text);
  parser.skipSpace();
  if (parser.pos === text.length) return { root: { kind: "all" }, text: "all()" };
  const root = parser.or();
  parser.skipSpace();
  if (parser.pos < text.length) parser.unexpected();
  return { root, text: formatSelectorNode(root) };
}

/** selectorProblem is the reason `text` does not parse (for validation), or undefined. */
export function selectorProblem(text: string): string | undefined {
  try {
    parseSelector(text);
    return undefined;
  } catch (err) {
    if (err instanceof SelectorError)
      return `invalid selector ${JSON.stringify(text)}: ${err.detail} at column ${err.column}`;
    throw err;
  }
}
