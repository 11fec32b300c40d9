/**
 * durationSeconds parses a Go duration as Calico writes timeouts ("60s", "1h30m", "500ms") into
 * whole seconds for sl_globals (rounded up, so a sub-second timeout never becomes "default").
 * "Auto" and "" give undefined: the datapath's default applies.
 */
import { parseGoDuration } from "../model/go-duration.ts";

/** durationSeconds returns seconds, or undefined for "Auto"/""; throws RangeError on a bad duration. */
export function durationSeconds(text: string): number | undefined {
  if (text === "" || text === "Auto") return undefined;
  const ms = parseGoDuration(text);
  if (ms === undefined)
    throw new RangeError(`parse duration ${JSON.stringify(text)}: expected e.g. "60s", "1h30m" or "Auto"`);
  return Math.ceil(ms / 1000);
}
