/**
 * Named network namespaces, compatible with iproute2: a namespace NAME is kept alive by a bind
 * mount of its ns file on /run/netns/NAME, so `ip netns list/exec` see ours and we see theirs.
 *
 * Namespace switches happen on the main JS thread with setns(2) and are always undone before
 * returning. Two consequences shape the API:
 * - only synchronous code runs in the namespace: libuv pool threads (fs.promises, dns, crypto,
 *   koffi .async) keep their own namespace, so a promise started inside withNetns() runs its
 *   I/O in the original one;
 * - a socket (including a netlink socket) is bound to the namespace it was created in, for its
 *   whole life: open it inside withNetns() and use it anywhere afterwards.
 *
 * Requires CAP_SYS_ADMIN (unshare, setns, mount).
 */
import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { Errno, errnoError } from "./errno.ts";
import { Fd } from "./fd.ts";
import { lastErrno, mount, open, setns, umount2, unshare } from "./libc.ts";

/** NETNS_RUN_DIR is where iproute2 keeps named namespaces. */
export const NETNS_RUN_DIR = "/run/netns";
const CLONE_NEWNET = 0x40000000;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SHARED = 1 << 20;
const MNT_DETACH = 2;
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
// /proc/thread-self, not /proc/self: setns() moves one thread, and /proc/self is the leader.
const CURRENT_NS = "/proc/thread-self/ns/net";

/** netnsPath returns the bind-mount path of a named namespace, validating the name. */
export function netnsPath(name: string): string {
  if (!NAME_RE.test(name) || name === "." || name === "..") {
    throw new RangeError(`use netns "${name}": invalid name (letters, digits, "_", "-", "." only)`);
  }
  return `${NETNS_RUN_DIR}/${name}`;
}

/** createNetns creates a named network namespace; EEXIST if the name is taken. */
export function createNetns(name: string): void {
  const path = netnsPath(name);
  const op = `create netns "${name}"`;
  ensureRunDir(op);
  try {
    closeSync(openSync(path, "wx", 0o444));
  } catch (err) {
    throw nodeError(op, err);
  }
  const orig = openNs(CURRENT_NS, op);
  try {
    if (unshare(CLONE_NEWNET) < 0) throw errnoError(`${op}: unshare`, lastErrno());
    try {
      if (mount(CURRENT_NS, path, "none", MS_BIND, null) < 0)
        throw errnoError(`${op}: bind mount`, lastErrno());
    } finally {
      enter(orig, op);
    }
  } catch (err) {
    unlinkQuiet(path);
    throw err;
  } finally {
    orig.close();
  }
}

/** deleteNetns detaches and removes a named namespace; it lives on while processes use it. */
export function deleteNetns(name: string): void {
  const path = netnsPath(name);
  const op = `delete netns "${name}"`;
  if (umount2(path, MNT_DETACH) < 0) {
    const errno = lastErrno();
    // EINVAL: not a mount point, e.g. a file left by a crashed create; still remove it.
    if (errno !== Errno.EINVAL) throw errnoError(op, errno);
  }
  try {
    unlinkSync(path);
  } catch (err) {
    throw nodeError(op, err);
  }
}

/** listNetns returns the names under /run/netns, sorted. */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw nodeError("list netns", err);
  }
}

/** netnsExists tells whether /run/netns/NAME exists and is a mounted namespace file. */
export function netnsExists(name: string): boolean {
  try {
    // A live nsfs bind mount reports the nsfs device, unlike the empty placeholder file.
    return statSync(netnsPath(name)).dev !== statSync(NETNS_RUN_DIR).dev;
  } catch {
    return false;
  }
}

/** openNetns opens a named namespace, e.g. for IFLA_NET_NS_FD or setns. The caller closes it. */
export function openNetns(name: string): Fd {
  return openNs(netnsPath(name), `open netns "${name}"`);
}

/**
 * withNetns runs a synchronous fn with the main thread switched into a namespace (by name or by
 * an open ns fd), and always switches back. Sockets created inside stay in that namespace.
 * Async work started inside fn does NOT run in the namespace; returning a promise is rejected
 * (after switching back) so the mistake is seen at once.
 */
export function withNetns<T>(target: string | Fd, fn: () => T): T {
  const op = typeof target === "string" ? `enter netns "${target}"` : "enter netns";
  const orig = openNs(CURRENT_NS, op);
  try {
    const ns = typeof target === "string" ? openNetns(target) : undefined;
    try {
      enter(ns ?? (target as Fd), op);
    } finally {
      ns?.close();
    }
    let result: T;
    try {
      result = fn();
    } finally {
      enter(orig, `leave netns${typeof target === "string" ? ` "${target}"` : ""}`);
    }
    if (isThenable(result)) {
      throw new TypeError(`${op}: fn returned a promise; async work does not run in the namespace`);
    }
    return result;
  } finally {
    orig.close();
  }
}

function enter(ns: Fd, op: string): void {
  if (setns(ns.value, CLONE_NEWNET) < 0) throw errnoError(`${op}: setns`, lastErrno());
}

function openNs(path: string, op: string): Fd {
  const fd = open(path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw errnoError(op, lastErrno(), { detail: path });
  return new Fd(fd);
}

// Like iproute2: make /run/netns a shared mount (bind-mounting it onto itself first if it is
// not a mount point) so namespaces created here propagate into mount namespaces cloned later.
function ensureRunDir(op: string): void {
  mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, null) === 0) return;
  let errno = lastErrno();
  if (errno === Errno.EINVAL) {
    if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, null) < 0) {
      throw errnoError(`${op}: bind mount ${NETNS_RUN_DIR}`, lastErrno());
    }
    if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, null) === 0) return;
    errno = lastErrno();
  }
  throw errnoError(`${op}: make ${NETNS_RUN_DIR} shared`, errno);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Best effort while unwinding a failed create; the original error matters more.
  }
}

function isThenable(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

// Node fs errors carry -errno; route them through errnoError so callers branch on one shape.
function nodeError(op: string, err: unknown): Error {
  const errno = (err as NodeJS.ErrnoException).errno;
  return typeof errno === "number" ? errnoError(op, -errno) : (err as Error);
}
