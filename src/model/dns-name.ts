/**
 * DNS-1123 name rules, as the Kubernetes API server applies them: namespaces, port names and
 * most object names are labels; most other object names are subdomains.
 */

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Labels joined by dots: what `label` accepts for every part of a split on "." (one pass, no split). */
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** dns1123LabelProblem explains why text is not a DNS-1123 label, or undefined when it is. */
export function dns1123LabelProblem(text: string): string | undefined {
  if (text.length === 0) return "must not be empty";
  if (text.length > 63) return `must be at most 63 characters, got ${text.length}`;
  if (!label.test(text)) {
    return `invalid DNS-1123 label ${JSON.stringify(text)}: lowercase letters, digits and "-", starting and ending alphanumeric`;
  }
  return undefined;
}

/** dns1123SubdomainProblem explains why text is not a DNS-1123 subdomain, or undefined when it is. */
export function dns1123SubdomainProblem(text: string): string | undefined {
  if (text.length === 0) return "must not be empty";
  if (text.length > 253) return `must be at most 253 characters, got ${text.length}`;
  // Checked for every name and nodeName of every resource a scan reads (100k+ at 10k Services).
  if (!subdomain.test(text)) {
    return `invalid DNS-1123 subdomain ${JSON.stringify(text)}: lowercase letters, digits, "-" and ".", each part starting and ending alphanumeric`;
  }
  return undefined;
}

/** labelKeyProblem explains why text is not a Kubernetes label key ("app", "kubernetes.io/name"). */
export function labelKeyProblem(text: string): string | undefined {
  const slash = text.lastIndexOf("/");
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (slash >= 0) {
    const prefix = dns1123SubdomainProblem(text.slice(0, slash));
    if (prefix !== undefined) return `invalid label key ${JSON.stringify(text)}: prefix ${prefix}`;
  }
  if (!/^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/.test(name)) {
    return `invalid label key ${JSON.stringify(text)}: name must be 1-63 alphanumerics, "-", "_" or "."`;
  }
  return undefined;
}

/** labelValueProblem explains why text is not a Kubernetes label value, or undefined when it is. */
export function labelValueProblem(text: string): string | undefined {
  if (text === "") return undefined;
  if (!/^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/.test(text)) {
    return `invalid label value ${JSON.stringify(text)}: at most 63 alphanumerics, "-", "_" or "."`;
  }
  return undefined;
}
