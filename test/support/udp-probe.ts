/**
 * udpProbe proves that IP traffic flows between two namespaces without ping (not installed on
 * every test machine): a UDP echo server in one namespace, a client in the other, each a child
 * `node` started with `ip netns exec`.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";

const SERVER = `
const s = require("node:dgram").createSocket(process.argv[1].includes(":") ? "udp6" : "udp4");
s.on("message", (m, r) => s.send(m, r.port, r.address, () => process.exit(0)));
s.bind(Number(process.argv[2]), process.argv[1], () => console.log("ready"));
setTimeout(() => process.exit(2), 5000);`;

const CLIENT = `
const s = require("node:dgram").createSocket(process.argv[1].includes(":") ? "udp6" : "udp4");
s.on("message", (m) => { console.log(String(m)); process.exit(0); });
const t = setInterval(() => s.send("ping", Number(process.argv[2]), process.argv[1]), 100);
setTimeout(() => process.exit(3), 3000);`;

/** udpProbe sends "ping" from clientNetns to address:port served in serverNetns; true on echo. */
export async function udpProbe(
  serverNetns: string,
  clientNetns: string,
  address: string,
  port = 9999,
): Promise<boolean> {
  const server = spawn("ip", [
    "netns",
    "exec",
    serverNetns,
    process.execPath,
    "-e",
    SERVER,
    address,
    String(port),
  ]);
  try {
    const [chunk] = (await once(server.stdout, "data")) as [Buffer];
    if (!String(chunk).includes("ready")) return false;
    const r = spawnSync(
      "ip",
      ["netns", "exec", clientNetns, process.execPath, "-e", CLIENT, address, String(port)],
      {
        encoding: "utf8",
      },
    );
    return r.status === 0 && r.stdout.trim() === "ping";
  } finally {
    server.kill();
  }
}
