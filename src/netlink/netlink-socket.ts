/**
 * NetlinkSocket is a synchronous NETLINK_ROUTE socket: send one request, collect its replies
 * until the ACK, NLMSG_DONE or an error. Requests are fast (microseconds), so blocking the event
 * loop for them is cheaper than a round trip through the thread pool; monitors use a
 * nonblocking socket driven by the shared poller instead.
 *
 * A netlink socket belongs to the network namespace of the thread that created it, for its whole
 * life: open it inside withNetns() (src/kernel/netns.ts) to operate on another namespace.
 */
import { Errno, errnoError } from "../kernel/errno.ts";
import { NetlinkFd, type NetlinkSocketOptions } from "../kernel/netlink-fd.ts";
import {
  decodeDone,
  decodeNlmsgerr,
  decodeNlmsgs,
  encodeNlmsg,
  NlmFlags,
  NlmsgType,
  type NlError,
  type NlMessage,
} from "./codec/nlmsg.ts";

export { NETLINK_ROUTE, type NetlinkSocketOptions } from "../kernel/netlink-fd.ts";

// A dump that keeps changing under us is retried this many times before giving up.
const DUMP_RETRIES = 5;

/** NetlinkRequest is one request: message type, extra flags, and the payload after nlmsghdr. */
export interface NetlinkRequest {
  readonly type: number;
  /** Flags besides NLM_F_REQUEST and NLM_F_ACK, which are always set. */
  readonly flags?: number;
  readonly payload: Uint8Array;
}

/** NetlinkSocket frames requests as nlmsgs over a NetlinkFd and collects their replies. */
export class NetlinkSocket {
  readonly #sock: NetlinkFd;
  #seq = Math.floor(Date.now() / 1000) >>> 0;

  private constructor(sock: NetlinkFd) {
    this.#sock = sock;
  }

  /** open creates, configures and binds a socket in the calling thread's network namespace. */
  static open(options: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(NetlinkFd.open(options));
  }

  /** fd is the raw descriptor, for registering with the poller. */
  get fd(): number {
    return this.#sock.fd;
  }

  /** portId is the netlink port the kernel assigned at bind. */
  get portId(): number {
    return this.#sock.portId;
  }

  /** closed tells whether close() has run. */
  get closed(): boolean {
    return this.#sock.closed;
  }

  /** join subscribes to a multicast group (RTNLGRP_*). */
  join(group: number): void {
    this.#sock.join(group);
  }

  /** leave unsubscribes from a multicast group. */
  leave(group: number): void {
    this.#sock.leave(group);
  }

  /**
   * request sends one message with NLM_F_REQUEST|NLM_F_ACK and returns the replies that carry
   * data (the ACK/DONE itself is consumed). An error reply throws errnoError(op, errno) with the
   * extended-ACK text as detail. A dump interrupted by concurrent changes is retried.
   */
  request(op: string, req: NetlinkRequest): NlMessage[] {
    if (this.#sock.nonblocking)
      throw new Error(`${op}: netlink socket is nonblocking (monitor sockets cannot send requests)`);
    for (let attempt = 0; ; attempt++) {
      const { messages, interrupted } = this.#roundTrip(op, req);
      if (!interrupted || attempt >= DUMP_RETRIES) return messages;
    }
  }

  #roundTrip(op: string, req: NetlinkRequest): { messages: NlMessage[]; interrupted: boolean } {
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const flags = (req.flags ?? 0) | NlmFlags.REQUEST | NlmFlags.ACK;
    const msg = encodeNlmsg({ type: req.type, flags, seq }, req.payload);
    this.#sock.send(op, msg);
    const messages: NlMessage[] = [];
    let interrupted = false;
    for (;;) {
      const batch = this.#recvDatagram(false);
      for (const m of batch ?? []) {
        // Replies to an earlier request that failed mid-way (or a late dump ACK): not ours.
        if (m.seq !== seq) continue;
        if ((m.flags & NlmFlags.DUMP_INTR) !== 0) interrupted = true;
        switch (m.type) {
          case NlmsgType.NOOP:
            continue;
          case NlmsgType.ERROR: {
            const e = decodeNlmsgerr(m);
            if (e.errno !== 0) throw replyError(op, e);
            return { messages, interrupted };
          }
          case NlmsgType.DONE: {
            const e = decodeDone(m);
            if (e.errno !== 0) throw replyError(op, e);
            return { messages, interrupted };
          }
          case NlmsgType.OVERRUN:
            throw errnoError(op, Errno.ENOBUFS, { detail: "netlink overrun" });
          default:
            messages.push(m);
        }
      }
    }
  }

  /**
   * receive reads every queued datagram without blocking (for monitors). It returns [] when
   * nothing is queued and throws a SyscallError with errno ENOBUFS when the kernel dropped
   * messages because the receive buffer was full: the caller must resynchronise with a dump.
   */
  receive(): NlMessage[] {
    const out: NlMessage[] = [];
    for (;;) {
      const batch = this.#recvDatagram(true);
      if (batch === undefined) return out;
      out.push(...batch);
    }
  }

  // One datagram, decoded; undefined when nothing is queued (nonblocking reads only).
  #recvDatagram(dontWait: boolean): NlMessage[] | undefined {
    const bytes = this.#sock.receive(dontWait);
    return bytes === undefined ? undefined : decodeNlmsgs(bytes);
  }

  /** close drops group memberships (implicitly) and releases the descriptor. */
  close(): void {
    this.#sock.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function replyError(op: string, e: NlError): Error {
  const detail =
    e.message ?? (e.offset !== undefined ? `attribute at offset ${e.offset} rejected` : undefined);
  return errnoError(op, e.errno, detail !== undefined ? { detail } : {});
}
