/**
 * Domain patterns as Calico's DNS policy writes them (`destination.domains`, a network set's
 * `allowedEgressDomains`): an exact name ("example.com": that name only, not its subdomains), or
 * a name with one `*` as a whole label, which stands for one or more labels at that place
 * ("*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com";
 * "www.*.com" matches "www.sun.com", not "www.com"). Names compare case-insensitively and
 * without the root's trailing dot, as DNS does.
 */

/** DomainPattern is a parsed pattern: the labels before and after the wildcard, or an exact name. */
export type DomainPattern =
  | { readonly kind: "exact"; readonly name: string }
  | { readonly kind: "wildcard"; readonly text: string; readonly before: string[]; readonly after: string[] };

const LABEL = /^[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?$/;

/** canonicalDomainName lowercases a name and drops the root's trailing dot. */
export function canonicalDomainName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** domainPatternProblem explains why text is not a valid pattern, or undefined when it is. */
export function domainPatternProblem(text: string): string | undefined {
  const name = canonicalDomainName(text);
  if (name.length === 0) return "must not be empty";
  if (name.length > 253) return `must be at most 253 characters, got ${name.length}`;
  const labels = name.split(".");
  const stars = labels.filter((l) => l.includes("*"));
  if (stars.length > 1) return `${JSON.stringify(text)} has more than one wildcard (Calico allows one)`;
  for (const l of labels) {
    if (l === "*") continue;
    if (l.includes("*"))
      return `${JSON.stringify(text)}: a wildcard must be a whole label ("*.example.com"), not part of one (${JSON.stringify(l)})`;
    if (!LABEL.test(l))
      return `${JSON.stringify(text)}: label ${JSON.stringify(l)} is not a DNS label (letters, digits, "-", "_", at most 63 characters)`;
  }
  if (labels.length === 1 && labels[0] === "*") return `"*" alone would match every name; name a domain`;
  return undefined;
}

/** parseDomainPattern parses a pattern; it throws with domainPatternProblem's reason. */
export function parseDomainPattern(text: string): DomainPattern {
  const problem = domainPatternProblem(text);
  if (problem !== undefined) throw new Error(`domain pattern: ${problem}`);
  const name = canonicalDomainName(text);
  const labels = name.split(".");
  const star = labels.indexOf("*");
  if (star < 0) return { kind: "exact", name };
  return { kind: "wildcard", text: name, before: labels.slice(0, star), after: labels.slice(star + 1) };
}

/** domainMatches says whether a (canonical or raw) name matches a pattern. */
export function domainMatches(pattern: DomainPattern, rawName: string): boolean {
  const name = canonicalDomainName(rawName);
  if (pattern.kind === "exact") return name === pattern.name;
  const labels = name.split(".");
  const { before, after } = pattern;
  // The wildcard stands for at least one label.
  if (labels.length < before.length + after.length + 1) return false;
  for (let i = 0; i < before.length; i++) if (labels[i] !== before[i]) return false;
  for (let i = 0; i < after.length; i++) {
    if (labels[labels.length - after.length + i] !== after[i]) return false;
  }
  return true;
}

/** DomainMatcher tests names against a list of patterns (any may match). */
export class DomainMatcher {
  readonly #exact = new Set<string>();
  readonly #wildcards: DomainPattern[] = [];

  constructor(patterns: readonly string[]) {
    for (const p of patterns.map(parseDomainPattern)) {
      if (p.kind === "exact") this.#exact.add(p.name);
      else this.#wildcards.push(p);
    }
  }

  matches(rawName: string): boolean {
    const name = canonicalDomainName(rawName);
    return this.#exact.has(name) || this.#wildcards.some((p) => domainMatches(p, name));
  }
}

/** canonicalDomainList sorts and de-duplicates patterns (a domain set's identity). */
export function canonicalDomainList(patterns: readonly string[]): string[] {
  return [...new Set(patterns.map(canonicalDomainName))].sort();
}
