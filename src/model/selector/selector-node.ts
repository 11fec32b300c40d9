/**
 * SelectorNode: the parsed form of a Calico selector, as plain data (so the policy compiler can
 * walk it), with its canonical text and its evaluation against a label map. The canonical text
 * follows Calico's `String()` (`(app == "web" && has(tier))`, `all()`), except that nested
 * `&&`/`||` of the same kind are flattened and `in {}` sets are sorted, so selectors that mean the
 * same thing by construction share one text and therefore one IP set.
 */

/** LabelMap is the labels a selector is evaluated against. */
export type LabelMap = Readonly<Record<string, string>>;

/** ValueOp is an operator comparing one label's value with one string. */
export type ValueOp = "==" | "!=" | "contains" | "starts with" | "ends with";

/** SelectorNode is one node of a parsed selector. */
export type SelectorNode =
  | { readonly kind: "all" }
  | { readonly kind: "global" }
  | { readonly kind: "has"; readonly label: string }
  | { readonly kind: "value"; readonly op: ValueOp; readonly label: string; readonly value: string }
  | { readonly kind: "in" | "not in"; readonly label: string; readonly values: readonly string[] }
  | { readonly kind: "not"; readonly operand: SelectorNode }
  | { readonly kind: "and" | "or"; readonly operands: readonly SelectorNode[] };

function quote(value: string): string {
  // Calico quotes with " unless the value holds one; a value can't hold both (no escapes exist).
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/** formatSelectorNode renders a node in canonical form. */
export function formatSelectorNode(node: SelectorNode): string {
  switch (node.kind) {
    case "all":
      return "all()";
    case "global":
      return "global()";
    case "has":
      return `has(${node.label})`;
    case "value":
      return `${node.label} ${node.op} ${quote(node.value)}`;
    case "in":
    case "not in":
      return `${node.label} ${node.kind} {${node.values.map(quote).join(", ")}}`;
    case "not":
      return `!${formatSelectorNode(node.operand)}`;
    case "and":
    case "or":
      return `(${node.operands.map(formatSelectorNode).join(node.kind === "and" ? " && " : " || ")})`;
  }
}

function valueMatches(op: ValueOp, actual: string, wanted: string): boolean {
  switch (op) {
    case "==":
      return actual === wanted;
    case "!=":
      return actual !== wanted;
    case "contains":
      return actual.includes(wanted);
    case "starts with":
      return actual.startsWith(wanted);
    case "ends with":
      return actual.endsWith(wanted);
  }
}

/**
 * evaluateSelectorNode applies Calico's semantics: a missing label fails `==`, `in`, `contains`,
 * `starts with`, `ends with` and `has()`, and satisfies `!=` and `not in`. `global()` is true
 * here; its meaning ("no namespace") comes from where it is used (see the policy calc).
 */
export function evaluateSelectorNode(node: SelectorNode, labels: LabelMap): boolean {
  switch (node.kind) {
    case "all":
    case "global":
      return true;
    case "has":
      return Object.hasOwn(labels, node.label);
    case "value": {
      if (!Object.hasOwn(labels, node.label)) return node.op === "!=";
      return valueMatches(node.op, labels[node.label] as string, node.value);
    }
    case "in":
    case "not in": {
      if (!Object.hasOwn(labels, node.label)) return node.kind === "not in";
      const found = node.values.includes(labels[node.label] as string);
      return node.kind === "in" ? found : !found;
    }
    case "not":
      return !evaluateSelectorNode(node.operand, labels);
    case "and":
      return node.operands.every((o) => evaluateSelectorNode(o, labels));
    case "or":
      return node.operands.some((o) => evaluateSelectorNode(o, labels));
  }
}

/** selectorLabels lists the label keys a node reads, sorted (an index uses it to skip unrelated changes). */
export function selectorLabels(node: SelectorNode): string[] {
  const out = new Set<string>();
  const walk = (n: SelectorNode): void => {
    if (n.kind === "has" || n.kind === "value" || n.kind === "in" || n.kind === "not in") out.add(n.label);
    else if (n.kind === "not") walk(n.operand);
    else if (n.kind === "and" || n.kind === "or") n.operands.forEach(walk);
  };
  walk(node);
  return [...out].sort();
}
