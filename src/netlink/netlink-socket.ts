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
import { Fd } from "../kernel/fd.ts";
import { bind, getsockname, lastErrno, recv, sendto, setsockopt, socket } from "../kernel/libc.ts";
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

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
/** NETLINK_ROUTE is the rtnetlink protocol number. */
export const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const NETLINK_DROP_MEMBERSHIP = 2;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const SOCKADDR_NL_SIZE = 12;
// A dump that keeps changing under us is retried this many times before giving up.
const DUMP_RETRIES = 5;

/** NetlinkSocketOptions configures NetlinkSocket.open. */
export interface NetlinkSocketOptions {
  /** Netlink protocol; NETLINK_ROUTE by default. */
  readonly protocol?: number;
  /** Multicast groups (RTNLGRP_* numbers, not RTMGRP_* masks) to join, for monitors. */
  readonly groups?: readonly number[];
  /** Nonblocking socket for use with the poller; request() is then unavailable. */
  readonly nonblocking?: boolean;
  /** SO_RCVBUF(FORCE) size; a big buffer keeps busy monitors from overrunning (ENOBUFS). */
  readonly receiveBufferSize?: number;
}

/** NetlinkRequest is one request: message type, extra flags, and the payload after nlmsghdr. */
export interface NetlinkRequest {
  readonly type: number;
  /** Flags besides NLM_F_REQUEST and NLM_F_ACK, which are always set. */
  readonly flags?: number;
  readonly payload: Uint8Array;
}

export class NetlinkSocket {
  readonly #fd: Fd;
  readonly #nonblocking: boolean;
  readonly #groups = new Set<number>();
  #portId = 0;
  #seq = Math.floor(Date.now() / 1000) >>> 0;
  #buf = Buffer.alloc(64 * 1024);

  private constructor(fd: Fd, nonblocking: boolean) {
    this.#fd = fd;
    this.#nonblocking = nonblocking;
  }

  /** open creates, configures and binds a socket in the calling thread's network namespace. */
  static open(options: NetlinkSocketOptions = {}): NetlinkSocket {
    const type = SOCK_RAW | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
    const raw = socket(AF_NETLINK, type, options.protocol ?? NETLINK_ROUTE);
    if (raw < 0) throw errnoError("open netlink socket", lastErrno());
    const s = new NetlinkSocket(new Fd(raw), options.nonblocking === true);
    try {
      s.#configure(options);
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  #configure(options: NetlinkSocketOptions): void {
    const fd = this.#fd.value;
    const size = options.receiveBufferSize ?? 4 * 1024 * 1024;
    // FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back to the capped option.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int32(size), 4) < 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(size), 4);
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, int32(1024 * 1024), 4);
    // Extended ACK gives the kernel's explanation; CAP_ACK keeps it from echoing our request.
    // Both are best effort: a kernel without them still answers with a bare errno.
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, int32(1), 4);
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, int32(1), 4);
    const addr = Buffer.alloc(SOCKADDR_NL_SIZE);
    addr.writeUInt16LE(AF_NETLINK, 0);
    if (bind(fd, addr, SOCKADDR_NL_SIZE) < 0) throw errnoError("bind netlink socket", lastErrno());
    const len = [SOCKADDR_NL_SIZE];
    if (getsockname(fd, addr, len) < 0) throw errnoError("read netlink socket address", lastErrno());
    this.#portId = addr.readUInt32LE(4);
    for (const g of options.groups ?? []) this.join(g);
  }

  /** fd is the raw descriptor, for registering with the poller. */
  get fd(): number {
    return this.#fd.value;
  }

  /** portId is the netlink port the kernel assigned at bind. */
  get portId(): number {
    return this.#portId;
  }

  /** closed tells whether close() has run. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** join subscribes to a multicast group (RTNLGRP_*). */
  join(group: number): void {
    if (setsockopt(this.#fd.value, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, int32(group), 4) < 0) {
      throw errnoError("join netlink group", lastErrno(), { detail: `group ${group}` });
    }
    this.#groups.add(group);
  }

  /** leave unsubscribes from a multicast group. */
  leave(group: number): void {
    if (!this.#groups.delete(group)) return;
    if (setsockopt(this.#fd.value, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, int32(group), 4) < 0) {
      throw errnoError("leave netlink group", lastErrno(), { detail: `group ${group}` });
    }
  }

  /**
   * request sends one message with NLM_F_REQUEST|NLM_F_ACK and returns the replies that carry
   * data (the ACK/DONE itself is consumed). An error reply throws errnoError(op, errno) with the
   * extended-ACK text as detail. A dump interrupted by concurrent changes is retried.
   */
  request(op: string, req: NetlinkRequest): NlMessage[] {
    if (this.#nonblocking) throw new Error(`${op}: netlink socket is nonblocking (monitor sockets cannot send requests)`);
    for (let attempt = 0; ; attempt++) {
      const { messages, interrupted } = this.#roundTrip(op, req);
      if (!interrupted || attempt >= DUMP_RETRIES) return messages;
    }
  }

  #roundTrip(op: string, req: NetlinkRequest): { messages: NlMessage[]; interrupted: boolean } {
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const flags = (req.flags ?? 0) | NlmFlags.REQUEST | NlmFlags.ACK;
    const msg = encodeNlmsg({ type: req.type, flags, seq }, req.payload);
    for (;;) {
      if (sendto(this.#fd.value, msg, msg.length, 0, null, 0) >= 0) break;
      const errno = lastErrno();
      if (errno !== Errno.EINTR) throw errnoError(`${op}: send`, errno);
    }
    const messages: NlMessage[] = [];
    let interrupted = false;
    for (;;) {
      const batch = this.#recvDatagram(0);
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
      const batch = this.#recvDatagram(MSG_DONTWAIT);
      if (batch === undefined) return out;
      out.push(...batch);
    }
  }

  // One datagram; the peek learns its real size so a large message is never truncated.
  #recvDatagram(flags: number): NlMessage[] | undefined {
    const fd = this.#fd.value;
    for (;;) {
      const size = Number(recv(fd, this.#buf, this.#buf.length, flags | MSG_PEEK | MSG_TRUNC));
      if (size < 0) {
        const errno = lastErrno();
        if (errno === Errno.EINTR) continue;
        if (errno === Errno.EAGAIN && (flags & MSG_DONTWAIT) !== 0) return undefined;
        throw errnoError("receive netlink message", errno);
      }
      if (size > this.#buf.length) this.#buf = Buffer.alloc(size);
      const n = Number(recv(fd, this.#buf, this.#buf.length, flags));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === Errno.EINTR) continue;
        throw errnoError("receive netlink message", errno);
      }
      // Copy out: the receive buffer is reused by the next call.
      return decodeNlmsgs(Buffer.from(this.#buf.subarray(0, n)));
    }
  }

  /** close drops group memberships (implicitly) and releases the descriptor. */
  close(): void {
    this.#groups.clear();
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

function replyError(op: string, e: NlError): Error {
  const detail = e.message ?? (e.offset !== undefined ? `attribute at offset ${e.offset} rejected` : undefined);
  return errnoError(op, e.errno, detail !== undefined ? { detail } : {});
}
