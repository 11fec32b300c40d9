/**
 * The Python programs the policy e2e runs inside lab pods: a server answering on TCP and UDP
 * ports, and a prober that tries many destinations in parallel with a bounded timeout and prints
 * one JSON verdict per destination. Python (python3-minimal, installed by setup.sh) starts in tens
 * of milliseconds, so one prober per source pod keeps a 9x9 matrix within seconds.
 */

/** serverScript answers every TCP connection with "ok" and echoes every UDP datagram, for `lifetimeS` seconds. */
export function serverScript(ports: readonly number[], lifetimeS: number): string {
  return `
import socket, threading, time, sys
def tcp(p):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", p)); s.listen(64)
    while True:
        c, _ = s.accept()
        try: c.sendall(b"ok")
        finally: c.close()
def udp(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", p))
    while True:
        d, a = s.recvfrom(2048); s.sendto(b"ok", a)
for p in ${JSON.stringify(ports)}:
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
    threading.Thread(target=udp, args=(p,), daemon=True).start()
print("listening", flush=True)
time.sleep(${lifetimeS})
`;
}

/** ProbeTarget is one destination a prober tries. */
export interface ProbeTarget {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: "tcp" | "udp";
}

/** proberScript tries every target at once (one thread each) and prints {"key": reached, ...}. */
export function proberScript(targets: readonly ProbeTarget[], timeoutS: number): string {
  return `
import socket, threading, json
targets = ${JSON.stringify(targets)}
out = {}
def probe(t):
    ok = False
    try:
        if t["proto"] == "tcp":
            s = socket.create_connection((t["ip"], t["port"]), timeout=${timeoutS})
            s.settimeout(${timeoutS}); ok = s.recv(2) == b"ok"
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(${timeoutS})
            s.sendto(b"hi", (t["ip"], t["port"])); ok = s.recv(2) == b"ok"
        s.close()
    except OSError:
        ok = False
    out[t["key"]] = ok
threads = [threading.Thread(target=probe, args=(t,)) for t in targets]
for th in threads: th.start()
for th in threads: th.join()
print(json.dumps(out))
`;
}
