/**
 * The one place where errno numbers become names and error classes. Linux generic numbering
 * (x86-64 and arm64 share it).
 */
import { KeyNotFoundError } from "../errors/key-not-found-error.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { SyscallError } from "../errors/syscall-error.ts";

/** Errno holds the errno values the code branches on. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ENODATA: 61,
  EPROTO: 71,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  ENOTSUPP: 524,
} as const;

const NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** errnoName returns "ENOENT" for 2, or "errno N" for numbers not listed. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

/** SyscallErrorOptions adds context used to pick a more specific error class. */
export interface SyscallErrorOptions {
  /** Map name, so ENOENT on a lookup becomes KeyNotFoundError. */
  readonly map?: string;
  /** Feature name and minimum kernel, so EINVAL/EOPNOTSUPP become NotSupportedError. */
  readonly feature?: { readonly name: string; readonly minKernel?: string };
  readonly detail?: string;
}

/**
 * errnoError turns a failed call into the right error class: KeyNotFoundError for a missing map
 * key, NotSupportedError when the caller named a feature and the kernel refused it as unknown,
 * SyscallError otherwise.
 */
export function errnoError(op: string, errno: number, options: SyscallErrorOptions = {}): Error {
  const cause = new SyscallError(op, errno, errnoName(errno), options.detail);
  if (options.map !== undefined && errno === Errno.ENOENT) {
    return new KeyNotFoundError(options.map, { cause });
  }
  if (
    options.feature !== undefined &&
    (errno === Errno.EINVAL ||
      errno === Errno.EOPNOTSUPP ||
      errno === Errno.ENOTSUPP ||
      errno === Errno.ENOSYS)
  ) {
    return new NotSupportedError(options.feature.name, options.feature.minKernel, { cause });
  }
  return cause;
}
