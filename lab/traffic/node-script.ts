/**
 * nodeScriptArgv builds the argv that runs one of the traffic scripts with tsx, by absolute
 * paths, so it works from any working directory and inside any namespace.
 */
import { fileURLToPath } from "node:url";

const TSX = fileURLToPath(import.meta.resolve("tsx"));

/** nodeScriptArgv returns `[node, --import, <tsx>, <lab/traffic/script>, ...args]`. */
export function nodeScriptArgv(
  script: "server.ts" | "client.ts" | "idle-client.ts" | "hold-client.ts" | "dns-client.ts",
  args: readonly string[],
): string[] {
  return [process.execPath, "--import", TSX, fileURLToPath(new URL(script, import.meta.url)), ...args];
}
