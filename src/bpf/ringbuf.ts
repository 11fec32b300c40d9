/**
 * RingBufReader consumes a BPF ring buffer map from userspace without copies or syscalls per
 * record: the consumer page is mapped read-write, the producer page and data area read-only (the
 * kernel maps the data twice back to back, so a record that wraps is still contiguous). Wake-ups
 * come from the shared epoll poller, so the event loop never blocks.
 *
 * Memory ordering: positions are read and written with plain 64-bit accesses. x86-64 (TSO) orders
 * them as the kernel's smp_load_acquire/smp_store_release need.
 */
import { mapFd, pageSize, Prot, type Mapping } from "../kernel/mmap.ts";
import { sharedPoller, type Poller } from "../kernel/poller.ts";
import type { BpfMap } from "./map.ts";
import { MapType } from "./map-type.ts";

const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HDR_SIZE = 8;

/** RingBufCallback receives each record as a view into the ring; copy it to keep it past the callback. */
export type RingBufCallback = (record: Uint8Array) => void;

/** RingBufOptions picks the poller (tests may pass their own). */
export interface RingBufOptions {
  readonly poller?: Poller;
}

export class RingBufReader {
  readonly #map: BpfMap;
  // the fd watched, kept so close() still works after the map itself was closed
  readonly #fd: number;
  readonly #consumer: Mapping;
  readonly #producer: Mapping;
  readonly #consumerPos: DataView;
  readonly #producerPos: DataView;
  readonly #data: Uint8Array;
  readonly #mask: number;
  readonly #poller: Poller;
  #callback: RingBufCallback | undefined;
  #closed = false;
  readonly #waiters: (() => void)[] = [];
  readonly #queue: Uint8Array[] = [];

  constructor(map: BpfMap, options: RingBufOptions = {}) {
    if (map.type !== MapType.RingBuf)
      throw new Error(`read ring buffer "${map.name}": map type ${map.type} is not a ring buffer`);
    const page = pageSize();
    const size = map.maxEntries;
    this.#map = map;
    this.#fd = map.fd;
    this.#mask = size - 1;
    this.#consumer = mapFd(
      map.fd,
      page,
      Prot.Read | Prot.Write,
      0,
      `ring buffer "${map.name}" consumer page`,
    );
    try {
      this.#producer = mapFd(map.fd, page + 2 * size, Prot.Read, page, `ring buffer "${map.name}" data`);
    } catch (e) {
      this.#consumer.unmap();
      throw e;
    }
    this.#consumerPos = new DataView(this.#consumer.memory, 0, 8);
    this.#producerPos = new DataView(this.#producer.memory, 0, 8);
    this.#data = new Uint8Array(this.#producer.memory, page, 2 * size);
    this.#poller = options.poller ?? sharedPoller();
  }

  /** onRecord registers the callback and starts watching; records already waiting are delivered at once. */
  onRecord(callback: RingBufCallback): void {
    if (this.#callback !== undefined)
      throw new Error(`read ring buffer "${this.#map.name}": already has a reader`);
    this.#callback = callback;
    this.#poller.add(this.#fd, () => this.poll());
    this.poll();
  }

  /** poll consumes every record available now and returns how many it delivered. */
  poll(): number {
    if (this.#closed) return 0;
    let n = 0;
    let cons = this.#consumerPos.getBigUint64(0, true);
    for (;;) {
      const prod = this.#producerPos.getBigUint64(0, true);
      if (cons >= prod) break;
      const off = Number(cons & BigInt(this.#mask));
      const hdr = new DataView(this.#data.buffer, this.#data.byteOffset + off, HDR_SIZE);
      const lenWord = hdr.getUint32(0, true);
      if (lenWord & BUSY_BIT) break; // reserved but not yet committed: stop, the kernel wakes us again
      const len = lenWord & ~(BUSY_BIT | DISCARD_BIT);
      if (!(lenWord & DISCARD_BIT)) {
        const record = this.#data.subarray(off + HDR_SIZE, off + HDR_SIZE + len);
        this.#deliver(record);
        n++;
      }
      cons += BigInt((len + HDR_SIZE + 7) & ~7);
      // Publish consumption record by record so the kernel can reuse the space right away.
      this.#consumerPos.setBigUint64(0, cons, true);
    }
    return n;
  }

  /** Async iteration yields copies of records until close(); use either this or onRecord. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    if (this.#callback === undefined) this.onRecord((r) => this.#queue.push(r.slice()));
    while (!this.#closed) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** close stops watching and unmaps; it does not close the map. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#callback !== undefined) this.#poller.remove(this.#fd);
    this.#consumer.unmap();
    this.#producer.unmap();
    for (const w of this.#waiters.splice(0)) w();
  }

  #deliver(record: Uint8Array): void {
    this.#callback?.(record);
    for (const w of this.#waiters.splice(0)) w();
  }
}
