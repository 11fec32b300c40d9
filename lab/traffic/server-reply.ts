/**
 * ServerReply is what the traffic server sends: the client address it saw, and where. Shared
 * by the server, the client and the helpers that read their output.
 */
export interface ServerReply {
  readonly server: string;
  readonly proto: string;
  readonly client: string;
  readonly clientPort: number;
  readonly local: string;
  readonly localPort: number;
  /** UDP only: the datagram received, echoed back. */
  readonly echo?: string;
}
