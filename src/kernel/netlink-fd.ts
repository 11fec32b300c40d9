/**
 * NetlinkFd is the kernel half of a netlink socket: socket(2), setsockopt(2), bind(2), sendto(2)
 * and recv(2) on an AF_NETLINK descriptor, bytes in and bytes out. The message framing (nlmsghdr,
 * ACKs, dumps) lives above it in src/netlink/netlink-socket.ts, so this module knows nothing of
 * the netlink codec and the kernel layer imports nothing above it.
 *
 * A netlink socket belongs to the network namespace of the thread that created it, for its whole
 * life: open it inside withNetns() (src/kernel/netns.ts) to operate on another namespace.
 */
import { Errno, errnoError } from "./errno.ts";
import { Fd } from "./fd.ts";
import { bind, getsockname, lastErrno, recv, sendto, setsockopt, socket } from "./libc.ts";

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

/** NetlinkSocketOptions configures NetlinkFd.open (and NetlinkSocket.open above it). */
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

/** NetlinkFd owns one AF_NETLINK descriptor: open/bind, group membership, datagrams in and out. */
export class NetlinkFd {
  readonly #fd: Fd;
  readonly #nonblocking: boolean;
  readonly #groups = new Set<number>();
  #portId = 0;
  #buf = Buffer.alloc(64 * 1024);

  private constructor(fd: Fd, nonblocking: boolean) {
    this.#fd = fd;
    this.#nonblocking = nonblocking;
  }

  /** open creates, configures and binds a socket in the calling thread's network namespace. */
  static open(options: NetlinkSocketOptions = {}): NetlinkFd {
    const type = SOCK_RAW | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
    const raw = socket(AF_NETLINK, type, options.protocol ?? NETLINK_ROUTE);
    if (raw < 0) throw errnoError("open netlink socket", lastErrno());
    const s = new NetlinkFd(new Fd(raw), options.nonblocking === true);
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

  /** nonblocking tells whether the socket was opened for the poller. */
  get nonblocking(): boolean {
    return this.#nonblocking;
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

  /** send writes one datagram to the kernel, retrying on EINTR; `op` names the request in errors. */
  send(op: string, msg: Uint8Array): void {
    for (;;) {
      if (sendto(this.#fd.value, msg, msg.length, 0, null, 0) >= 0) return;
      const errno = lastErrno();
      if (errno !== Errno.EINTR) throw errnoError(`${op}: send`, errno);
    }
  }

  /**
   * receive reads one datagram; the peek learns its real size so a large message is never
   * truncated. With `dontWait` it returns undefined when nothing is queued. The bytes are a copy:
   * the receive buffer is reused by the next call.
   */
  receive(dontWait: boolean): Buffer | undefined {
    const fd = this.#fd.value;
    const flags = dontWait ? MSG_DONTWAIT : 0;
    for (;;) {
      const size = Number(recv(fd, this.#buf, this.#buf.length, flags | MSG_PEEK | MSG_TRUNC));
      if (size < 0) {
        const errno = lastErrno();
        if (errno === Errno.EINTR) continue;
        if (errno === Errno.EAGAIN && dontWait) return undefined;
        throw errnoError("receive netlink message", errno);
      }
      if (size > this.#buf.length) this.#buf = Buffer.alloc(size);
      const n = Number(recv(fd, this.#buf, this.#buf.length, flags));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === Errno.EINTR) continue;
        throw errnoError("receive netlink message", errno);
      }
      return Buffer.from(this.#buf.subarray(0, n));
    }
  }

  /** close drops group memberships (implicitly) and releases the descriptor. */
  close(): void {
    this.#groups.clear();
    this.#fd.close();
  }
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}
