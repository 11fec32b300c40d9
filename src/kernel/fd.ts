/**
 * Fd owns one file descriptor. Close it deterministically with close(); a FinalizationRegistry
 * closes leaked ones as a safety net (and that path is a bug to find, not a feature).
 */
import { close } from "./libc.ts";

const leaked = new FinalizationRegistry<number>((fd) => {
  close(fd);
});

export class Fd {
  #fd: number;
  constructor(fd: number) {
    if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`wrap fd: invalid descriptor ${fd}`);
    this.#fd = fd;
    leaked.register(this, fd, this);
  }

  /** Raw descriptor; throws once closed so a stale number is never reused by mistake. */
  get value(): number {
    if (this.#fd < 0) throw new Error("use fd: already closed");
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    leaked.unregister(this);
    close(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
