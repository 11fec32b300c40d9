/**
 * Poller is the one epoll instance that serves ring buffers and netlink monitors. epoll_wait
 * runs on a libuv worker thread (koffi async) so the event loop never blocks; an eventfd wakes
 * the wait to add work or shut down. Callbacks run on the main thread.
 *
 * Why one shared instance: each blocked epoll_wait holds a libuv pool thread (4 by default), so a
 * poller per ring buffer or monitor would starve fs and DNS work.
 */
import { errnoError, Errno } from "./errno.ts";
import { Fd } from "./fd.ts";
import { epollCreate1, epollCtl, epollWait, eventfd, lastErrno, read, write } from "./libc.ts";

const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
/** EPOLLIN: readable. */
export const EPOLLIN = 0x001;
const MAX_EVENTS = 64;
// struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).
const EVENT_SIZE = process.arch === "x64" ? 12 : 16;
const DATA_OFFSET = process.arch === "x64" ? 4 : 8;

/** PollCallback runs on the main thread when its fd is ready. */
export type PollCallback = (events: number) => void;

export class Poller {
  readonly #epfd: Fd;
  readonly #wake: Fd;
  readonly #callbacks = new Map<number, PollCallback>();
  readonly #events = Buffer.alloc(EVENT_SIZE * MAX_EVENTS);
  #waiting = false;
  #closing = false;

  constructor() {
    const ep = epollCreate1(EPOLL_CLOEXEC);
    if (ep < 0) throw errnoError("create epoll", lastErrno());
    this.#epfd = new Fd(ep);
    const ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ev < 0) {
      this.#epfd.close();
      throw errnoError("create eventfd", lastErrno());
    }
    this.#wake = new Fd(ev);
    this.#ctl(EPOLL_CTL_ADD, ev, EPOLLIN);
  }

  /** add watches fd (which the caller keeps owning) and calls back while it is ready. */
  add(fd: number, callback: PollCallback, events = EPOLLIN): void {
    if (this.#closing) throw new Error("add to poller: poller is closed");
    this.#ctl(EPOLL_CTL_ADD, fd, events);
    this.#callbacks.set(fd, callback);
    this.#loop();
  }

  /** remove stops watching fd; call it before closing fd. */
  remove(fd: number): void {
    if (!this.#callbacks.delete(fd)) return;
    this.#ctl(EPOLL_CTL_DEL, fd, 0);
    if (this.#callbacks.size === 0) this.#kick();
  }

  /** close wakes the waiting thread and releases both descriptors once it has returned. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#callbacks.clear();
    if (this.#waiting) this.#kick();
    else this.#release();
  }

  #release(): void {
    this.#wake.close();
    this.#epfd.close();
  }

  #kick(): void {
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    write(this.#wake.value, one, 8);
  }

  #ctl(op: number, fd: number, events: number): void {
    const ev = Buffer.alloc(EVENT_SIZE);
    ev.writeUInt32LE(events, 0);
    ev.writeInt32LE(fd, DATA_OFFSET);
    if (epollCtl(this.#epfd.value, op, fd, ev) < 0) {
      const errno = lastErrno();
      if (op === EPOLL_CTL_DEL && (errno === Errno.ENOENT || errno === Errno.EBADF)) return;
      throw errnoError(op === EPOLL_CTL_ADD ? "add fd to epoll" : "remove fd from epoll", errno, {
        detail: `fd ${fd}`,
      });
    }
  }

  // One wait in flight at a time; it stays armed only while someone is watching.
  #loop(): void {
    if (this.#waiting || this.#closing || this.#callbacks.size === 0) return;
    this.#waiting = true;
    epollWait.async(this.#epfd.value, this.#events, MAX_EVENTS, -1, (err: unknown, n: number) => {
      this.#waiting = false;
      if (this.#closing) {
        this.#release();
        return;
      }
      if (err) throw err;
      for (let i = 0; i < n; i++) {
        const base = i * EVENT_SIZE;
        const events = this.#events.readUInt32LE(base);
        const fd = this.#events.readInt32LE(base + DATA_OFFSET);
        if (fd === this.#wake.value) {
          // Nonblocking read; EAGAIN just means another kick already drained it.
          read(fd, Buffer.alloc(8), 8);
          continue;
        }
        this.#callbacks.get(fd)?.(events);
      }
      this.#loop();
    });
  }
}

let shared: Poller | undefined;
/** sharedPoller returns the process-wide poller, created on first use. */
export function sharedPoller(): Poller {
  shared ??= new Poller();
  return shared;
}
