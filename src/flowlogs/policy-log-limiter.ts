/**
 * PolicyLogLimiter bounds the agent's Log-rule lines: a Log rule on a busy policy matches every
 * new flow, and a log that floods its disk helps nobody. Up to `perSecond` lines in each second;
 * the rest are counted and reported once in the next second that logs (iptables' LOG target is
 * usually paired with `-m limit` for the same reason).
 */
export class PolicyLogLimiter {
  #second = -1;
  #used = 0;
  #suppressed = 0;

  constructor(readonly perSecond: number) {}

  /**
   * admit says whether a line at `nowMs` may be written, and how many were suppressed since the
   * last admitted one (to report alongside it).
   */
  admit(nowMs: number): { readonly ok: boolean; readonly suppressed: number } {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#used = 0;
    }
    if (this.#used >= this.perSecond) {
      this.#suppressed++;
      return { ok: false, suppressed: 0 };
    }
    this.#used++;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return { ok: true, suppressed };
  }
}
