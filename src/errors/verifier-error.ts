/**
 * VerifierError is a program the kernel verifier rejected. `log` holds the whole verifier log;
 * the message carries a summary (the last meaningful lines), which is where the reason is.
 */
export class VerifierError extends Error {
  override readonly name: string = "VerifierError";
  readonly summary: string;
  constructor(
    readonly program: string,
    readonly errno: number,
    readonly log: string,
    options?: ErrorOptions,
  ) {
    const summary = summarizeVerifierLog(log);
    super(`load program "${program}": verifier rejected it (errno ${errno}): ${summary}`, options);
    this.summary = summary;
  }
}

/** summarizeVerifierLog keeps the last lines that explain a rejection, skipping the totals line. */
export function summarizeVerifierLog(log: string): string {
  const lines = log
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("processed ") && !l.startsWith("verification time"));
  return lines.slice(-3).join(" | ") || "(empty verifier log)";
}
