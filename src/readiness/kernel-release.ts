/**
 * Kernel release parsing and the eBPF-mode kernel rule, as the Calico docs state it: Linux 5.3 or
 * later, or a Red Hat 4.18.0 kernel with build 193 or later (RHEL 8.2 backported what is needed).
 * Pure: takes the `uname -r` string.
 */

/** KernelRelease is a parsed `uname -r`. */
export interface KernelRelease {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Build number after the dash (`4.18.0-193.el8` → 193), when present. */
  readonly build?: number;
  /** True for Red Hat family builds (`.el8`, `.el9`). */
  readonly redHat: boolean;
  readonly raw: string;
}

/** parseKernelRelease reads `5.4.0-42-generic` or `4.18.0-193.el8.x86_64`; undefined if unreadable. */
export function parseKernelRelease(release: string): KernelRelease | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?(.*)$/.exec(release.trim());
  if (!m) return undefined;
  const base = {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3] ?? 0),
    redHat: /\.el\d+/.test(m[5] ?? ""),
    raw: release.trim(),
  };
  return m[4] === undefined ? base : { ...base, build: Number(m[4]) };
}

/** KernelVerdict says whether eBPF mode can run on a kernel, and why. */
export interface KernelVerdict {
  readonly ok: boolean;
  readonly detail: string;
}

/** MIN_KERNEL is the oldest mainline kernel eBPF mode accepts. */
export const MIN_KERNEL = "5.3";

/** judgeKernel applies the rule: >= 5.3, or Red Hat 4.18.0 build >= 193. */
export function judgeKernel(release: string): KernelVerdict {
  const k = parseKernelRelease(release);
  if (!k) return { ok: false, detail: `kernel release "${release}" is not in a recognised format` };
  if (k.major > 5 || (k.major === 5 && k.minor >= 3)) {
    return { ok: true, detail: `kernel ${k.major}.${k.minor}.${k.patch} is >= ${MIN_KERNEL}` };
  }
  if (k.redHat && k.major === 4 && k.minor === 18 && k.patch === 0 && (k.build ?? 0) >= 193) {
    return {
      ok: true,
      detail: `Red Hat kernel 4.18.0-${k.build} has the backported eBPF features (>= 4.18.0-193)`,
    };
  }
  if (k.redHat && k.major === 4 && k.minor === 18) {
    return { ok: false, detail: `Red Hat kernel ${k.raw} is older than 4.18.0-193` };
  }
  return { ok: false, detail: `kernel ${k.major}.${k.minor}.${k.patch} is older than ${MIN_KERNEL}` };
}
