/**
 * Reading /proc/mounts for the BPF filesystem. Pure: takes the file's text.
 */

/** MountEntry is one line of /proc/mounts. */
export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** parseMounts reads /proc/mounts text (octal escapes like \040 decoded). */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map(([source, target, fstype, options]) => ({
      source: unescape(source!),
      target: unescape(target!),
      fstype: fstype!,
      options: options!.split(","),
    }));
}

/** findBpffs returns the bpf mount at `path` (default /sys/fs/bpf), or undefined. */
export function findBpffs(mounts: readonly MountEntry[], path = "/sys/fs/bpf"): MountEntry | undefined {
  return mounts.filter((m) => m.target === path && m.fstype === "bpf").at(-1);
}
