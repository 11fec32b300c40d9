/**
 * PinnableObject is what maps, programs and links share: they own one fd, can be pinned in bpffs
 * (so they outlive this process) and unpinned, and close deterministically.
 */
import { objPin } from "../kernel/bpf-obj.ts";
import { unpin } from "../kernel/bpffs.ts";
import type { Fd } from "../kernel/fd.ts";

export abstract class PinnableObject {
  readonly #fd: Fd;
  #pinPath: string | undefined;

  protected constructor(fd: Fd, pinPath?: string) {
    this.#fd = fd;
    this.#pinPath = pinPath;
  }

  /** fd is the raw descriptor (for relocation, prog-array slots, attaching). Throws once closed. */
  get fd(): number {
    return this.#fd.value;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** pinPath is where this object is pinned, if this object pinned or opened it. */
  get pinPath(): string | undefined {
    return this.#pinPath;
  }

  /** pin pins the object at `path` in bpffs so it outlives this process. */
  pin(path: string): void {
    objPin(this.fd, path);
    this.#pinPath = path;
  }

  /** unpin removes the pin this object made or opened; the object lives on while fds reference it. */
  unpin(): void {
    if (this.#pinPath === undefined) return;
    unpin(this.#pinPath);
    this.#pinPath = undefined;
  }

  /** close releases this process's fd; pinned or attached objects stay in the kernel. */
  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
