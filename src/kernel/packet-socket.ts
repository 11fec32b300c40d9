/**
 * PacketSender sends whole Ethernet frames out of an interface (AF_PACKET, SOCK_RAW) with a
 * socket mark on every frame: DNS policy's release of a held answer (bpf/include/dns_hold.h), which
 * the pod's to_wep recognises by that mark. The frame leaves through the interface's tc egress
 * like any transmitted packet. Send-only: the socket's protocol is 0, so it receives nothing. It
 * belongs to the network namespace of the thread that opened it.
 */
import { Fd } from "./fd.ts";
import { errnoError } from "./errno.ts";
import { lastErrno, sendto, setsockopt, socket } from "./libc.ts";

const AF_PACKET = 17;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_MARK = 36;
const SOCKADDR_LL_SIZE = 20;

export class PacketSender {
  readonly #fd: Fd;

  private constructor(fd: Fd) {
    this.#fd = fd;
  }

  /** open creates the socket and sets the mark every frame it sends carries. */
  static open(mark: number): PacketSender {
    const raw = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (raw < 0) throw errnoError("open packet socket", lastErrno());
    const fd = new Fd(raw);
    const m = new Uint8Array(4);
    new DataView(m.buffer).setUint32(0, mark >>> 0, true);
    if (setsockopt(fd.value, SOL_SOCKET, SO_MARK, m, 4) < 0) {
      const errno = lastErrno();
      fd.close();
      throw errnoError(`set packet socket mark 0x${(mark >>> 0).toString(16)}`, errno);
    }
    return new PacketSender(fd);
  }

  /** send transmits one Ethernet frame out of interface `ifindex`. */
  send(ifindex: number, frame: Uint8Array): void {
    const sll = new Uint8Array(SOCKADDR_LL_SIZE);
    const v = new DataView(sll.buffer);
    v.setUint16(0, AF_PACKET, true);
    v.setUint16(2, new DataView(frame.buffer, frame.byteOffset).getUint16(12), false);
    v.setInt32(4, ifindex, true);
    const n = sendto(this.#fd.value, frame, frame.length, 0, sll, SOCKADDR_LL_SIZE);
    if (n < 0) throw errnoError(`send frame of ${frame.length} bytes on ifindex ${ifindex}`, lastErrno());
  }

  close(): void {
    this.#fd.close();
  }
}
