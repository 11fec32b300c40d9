/**
 * ValidationOptions are the cluster facts a schema needs but a single resource does not carry.
 */

/** PortRange is an inclusive range of ports. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** ValidationOptions: the cluster's `--service-node-port-range` (kube-apiserver default 30000-32767). */
export interface ValidationOptions {
  readonly nodePortRange?: PortRange;
}

/** defaultNodePortRange is kube-apiserver's default `--service-node-port-range`. */
export const defaultNodePortRange: PortRange = { min: 30000, max: 32767 };

/** parsePortRange reads "30000-32767" or "30000:32767" (Felix's form); undefined when malformed. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})[-:](\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535 || min > max) return undefined;
  return { min, max };
}
