/**
 * The flag values of `sluice lab pod add`, parsed and checked before the lab touches the kernel:
 * `--labels k=v,k2=v2` and `--port serve-80-tcp=80/TCP` (the shapes Kubernetes' NetworkPolicy
 * conformance tests use). Pure. Errors name the flag and the value.
 */

/** PodPort is one named container port, as in a Pod's `spec.containers[].ports[]`. */
export interface PodPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

// Kubernetes label key (optional DNS-subdomain prefix + name) and value rules.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** labelProblem explains why `key=value` is not a valid Kubernetes label, or returns undefined. */
export function labelProblem(key: string, value: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !LABEL_PREFIX.test(prefix))
    return `key prefix "${prefix}" is not a DNS subdomain`;
  if (!LABEL_NAME.test(name))
    return `key "${key}" is not a label name (letters, digits, "-", "_", ".", at most 63, alphanumeric at both ends)`;
  if (!LABEL_VALUE.test(value))
    return `value "${value}" is not a label value (letters, digits, "-", "_", ".", at most 63, alphanumeric at both ends)`;
  return undefined;
}

/** parseLabelsFlag parses `k=v,k2=v2` (empty string: no labels); a repeated key is an error, as kubectl's. */
export function parseLabelsFlag(text: string, flag = "--labels"): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text.trim() === "") return labels;
  for (const item of text.split(",")) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`parse ${flag} "${text}": "${item}" is not key=value`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const problem = labelProblem(key, value);
    if (problem) throw new Error(`parse ${flag} "${text}": ${problem}`);
    if (Object.hasOwn(labels, key)) throw new Error(`parse ${flag} "${text}": key "${key}" given twice`);
    labels[key] = value;
  }
  return labels;
}

// IANA_SVC_NAME, as Kubernetes checks a container port name: at most 15, lowercase letters,
// digits and "-", at least one letter, no "-" at either end and no "--".
const PORT_NAME = /^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

/**
 * parsePortFlag parses one `--port` value: `name=port/PROTO`, `name=port` (TCP), `port/PROTO`
 * or `port` (unnamed). Protocol is TCP, UDP or SCTP, in any case.
 */
export function parsePortFlag(text: string, flag = "--port"): PodPort {
  const fail = (why: string): Error =>
    new Error(`parse ${flag} "${text}": ${why} (want name=port/TCP|UDP|SCTP, e.g. serve-80-tcp=80/TCP)`);
  const eq = text.indexOf("=");
  const name = eq >= 0 ? text.slice(0, eq) : undefined;
  const rest = eq >= 0 ? text.slice(eq + 1) : text;
  if (name !== undefined) {
    if (!PORT_NAME.test(name) || name.includes("--") || !/[a-z]/.test(name)) {
      throw fail(
        `name "${name}" is not a port name (lowercase letters, digits, "-", at most 15, at least one letter)`,
      );
    }
  }
  const [portText = "", protoText, extra] = rest.split("/");
  if (extra !== undefined) throw fail(`"${rest}" has more than one "/"`);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
    throw fail(`port "${portText}" is not 1-65535`);
  const protocol = (protoText ?? "TCP").toUpperCase();
  if (protocol !== "TCP" && protocol !== "UDP" && protocol !== "SCTP")
    throw fail(`protocol "${protoText ?? ""}" is not TCP, UDP or SCTP`);
  return { ...(name !== undefined ? { name } : {}), containerPort: Number(portText), protocol };
}

/** checkPorts rejects two ports with the same name, or the same port and protocol twice (as the API server does). */
export function checkPorts(ports: readonly PodPort[], flag = "--port"): void {
  const names = new Set<string>();
  const pairs = new Set<string>();
  for (const p of ports) {
    if (p.name !== undefined) {
      if (names.has(p.name)) throw new Error(`parse ${flag}: name "${p.name}" given twice`);
      names.add(p.name);
    }
    const pair = `${p.containerPort}/${p.protocol}`;
    if (pairs.has(pair)) throw new Error(`parse ${flag}: port ${pair} given twice`);
    pairs.add(pair);
  }
}
