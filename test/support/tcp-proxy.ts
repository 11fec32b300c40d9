/**
 * TcpProxy: a loopback TCP forwarder a test can cut (every connection dropped, new ones refused)
 * and restore, to put a network outage between a client and its server.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

/** TcpProxy forwards 127.0.0.1:<port> to `target`. */
export class TcpProxy {
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** url is the proxy's http URL. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** start listens (on the same port again after cut()). */
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    const addr = server.address();
    if (addr !== null && typeof addr === "object") this.#port = addr.port;
    this.#server = server;
  }

  /** cut drops every connection and refuses new ones until start(). */
  async cut(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
