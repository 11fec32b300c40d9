/**
 * Argument parsing shared by the traffic server and client scripts: `--key value` pairs with
 * numeric bounds, so every run is bounded in count and time whatever it is given.
 */

/** TrafficProto is the protocol a traffic server or client speaks. */
export type TrafficProto = "tcp" | "udp" | "http";

/** TRAFFIC_PROTOS lists the accepted protocols. */
export const TRAFFIC_PROTOS = ["tcp", "udp", "http"] as const satisfies readonly TrafficProto[];

/** parseFlags reads `--key value` pairs; unknown keys throw so a typo never runs unbounded defaults. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    const value = argv[i + 1];
    if (!key.startsWith("--") || !known.includes(key.slice(2)) || value === undefined) {
      throw new RangeError(`parse arguments: unexpected "${key}" (known: ${known.map((k) => `--${k}`).join(" ")})`);
    }
    out.set(key.slice(2), value);
  }
  return out;
}

/** intFlag reads an integer flag within [min, max], or the default. */
export function intFlag(flags: Map<string, string>, key: string, def: number, min: number, max: number): number {
  const raw = flags.get(key);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`parse arguments: --${key} "${raw}" must be an integer in ${min}..${max}`);
  return n;
}

/** protoFlag reads --proto. */
export function protoFlag(flags: Map<string, string>): TrafficProto {
  const p = flags.get("proto") ?? "tcp";
  if (!(TRAFFIC_PROTOS as readonly string[]).includes(p)) throw new RangeError(`parse arguments: --proto "${p}" must be tcp, udp or http`);
  return p as TrafficProto;
}
