/**
 * durationSeconds parses a Go duration as Calico writes timeouts ("60s", "1h30m", "500ms") into
 * whole seconds for sl_globals (rounded up, so a sub-second timeout never becomes "default").
 * "Auto" and "" give undefined: the datapath's default applies.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** durationSeconds returns seconds, or undefined for "Auto"/""; throws RangeError on a bad duration. */
export function durationSeconds(text: string): number | undefined {
  if (text === "" || text === "Auto") return undefined;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    matched = re.lastIndex;
  }
  if (matched !== text.length || matched === 0) throw new RangeError(`parse duration ${JSON.stringify(text)}: expected e.g. "60s", "1h30m" or "Auto"`);
  return Math.ceil(ms / 1000);
}
