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
      throw new RangeError(
        `parse arguments: unexpected "${key}" (known: ${known.map((k) => `--${k}`).join(" ")})`,
      );
    }
    out.set(key.slice(2), value);
  }
  return out;
}

/** intFlag reads an integer flag within [min, max], or the default. */
export function intFlag(
  flags: Map<string, string>,
  key: string,
  def: number,
  min: number,
  max: number,
): number {
  const raw = flags.get(key);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`parse arguments: --${key} "${raw}" must be an integer in ${min}..${max}`);
  return n;
}

/** protoFlag reads --proto. */
export function protoFlag(flags: Map<string, string>): TrafficProto {
  const p = flags.get("proto") ?? "tcp";
  if (!(TRAFFIC_PROTOS as readonly string[]).includes(p))
    throw new RangeError(`parse arguments: --proto "${p}" must be tcp, udp or http`);
  return p as TrafficProto;
}

/** TrafficListener is one protocol and port a server listens on. */
export interface TrafficListener {
  readonly proto: TrafficProto;
  readonly port: number;
}

/** listenFlag reads `--listen tcp:8080,udp:8081`, or the `--proto`/`--port` shorthand for one listener. */
export function listenFlag(flags: Map<string, string>): TrafficListener[] {
  const raw = flags.get("listen");
  if (raw === undefined) return [{ proto: protoFlag(flags), port: intFlag(flags, "port", 8080, 1, 65535) }];
  const listeners = raw.split(",").map((item) => {
    const [proto, port, extra] = item.split(":");
    const one = new Map([
      ["proto", proto ?? ""],
      ["port", port ?? ""],
    ]);
    if (extra !== undefined || port === undefined)
      throw new RangeError(`parse arguments: --listen item "${item}" is not proto:port`);
    return { proto: protoFlag(one), port: intFlag(one, "port", 0, 1, 65535) };
  });
  const tcpPorts = listeners.filter((l) => l.proto !== "udp").map((l) => l.port);
  if (new Set(tcpPorts).size !== tcpPorts.length)
    throw new RangeError(`parse arguments: --listen "${raw}" uses a TCP port twice`);
  if (listeners.length > 16)
    throw new RangeError(`parse arguments: --listen has ${listeners.length} items (at most 16)`);
  return listeners;
}
