/**
 * issueReason turns a zod issue into the reason half of a ValidationError: plain words, the
 * offending value quoted, no zod jargon ("must be at most 65535, got 70000").
 */
import type { z } from "zod";

type Issue = z.core.$ZodIssue;

function quote(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "a list" : "an object";
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** issueReason describes one zod issue (parsed with `reportInput: true`) in Sluice's words. */
export function issueReason(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "required";
      return `expected ${issue.expected === "int" ? "integer" : issue.expected}, got ${typeName(input)} ${quote(input)}`;
    case "too_big":
      if (issue.origin === "array")
        return `must have at most ${issue.maximum} entries, got ${Array.isArray(input) ? input.length : "more"}`;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}, got ${quote(input)}`;
    case "too_small":
      if (issue.origin === "array")
        return `must have at least ${issue.minimum} entr${issue.minimum === 1 ? "y" : "ies"}`;
      if (issue.origin === "string") return `must be at least ${issue.minimum} characters`;
      return `must be at least ${issue.minimum}, got ${quote(input)}`;
    case "invalid_value":
      return `must be ${issue.values.length === 1 ? "" : "one of "}${issue.values.map((v) => quote(v)).join(", ")}, got ${quote(input)}`;
    case "unrecognized_keys":
      return "unknown field";
    case "invalid_format":
      return `invalid ${issue.format} ${quote(input)}`;
    case "invalid_union": {
      // A union's branches each failed; the most useful reason is the branch that got furthest.
      // A type mismatch on one branch says nothing when another branch took the type.
      const deepest = issue.errors
        .flat()
        .filter((i) => i.code !== "invalid_type")
        // A literal alternative ("" or "None") failing says less than the real format check.
        .sort(
          (a, b) =>
            Number(b.code === "custom") - Number(a.code === "custom") || b.path.length - a.path.length,
        )[0];
      return deepest !== undefined
        ? issueReason({ ...deepest, input } as Issue)
        : `invalid value ${quote(input)}`;
    }
    case "invalid_key": {
      const first = issue.issues[0];
      return first !== undefined ? issueReason({ ...first, input } as Issue) : `invalid key ${quote(input)}`;
    }
    default:
      return issue.message;
  }
}
