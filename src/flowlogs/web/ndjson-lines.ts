/**
 * NdjsonLines cuts a byte stream of newline-delimited JSON into lines. A chunk may end inside a
 * line (and inside a multi-byte character): the rest waits for the next chunk. Pure.
 */
export class NdjsonLines {
  readonly #decoder = new TextDecoder();
  #rest = "";

  /** push returns the complete, non-blank lines that `chunk` finished. */
  push(chunk: Uint8Array): string[] {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.#rest = lines.pop() ?? "";
    return lines.map((l) => l.trim()).filter((l) => l !== "");
  }

  /** end returns the last line when the stream closed without a final newline. */
  end(): string[] {
    const last = (this.#rest + this.#decoder.decode()).trim();
    this.#rest = "";
    return last === "" ? [] : [last];
  }
}
