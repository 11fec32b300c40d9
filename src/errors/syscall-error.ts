/**
 * SyscallError is a failed system call: the operation, the errno number and its name.
 * Every kernel wrapper throws this (or a subclass) so callers can branch on `errno`.
 */
export class SyscallError extends Error {
  override readonly name: string = "SyscallError";
  constructor(
    readonly op: string,
    readonly errno: number,
    readonly code: string,
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(`${op}: ${code} (${errnoText(errno)})${detail ? `: ${detail}` : ""}`, options);
  }
}

function errnoText(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

const ERRNO_TEXT: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  3: "no such process",
  4: "interrupted system call",
  5: "input/output error",
  7: "argument list too long",
  9: "bad file descriptor",
  11: "resource temporarily unavailable",
  12: "cannot allocate memory",
  13: "permission denied",
  14: "bad address",
  16: "device or resource busy",
  17: "file exists",
  19: "no such device",
  20: "not a directory",
  22: "invalid argument",
  24: "too many open files",
  28: "no space left on device",
  34: "numerical result out of range",
  38: "function not implemented",
  61: "no data available",
  71: "protocol error",
  90: "message too long",
  93: "protocol not supported",
  95: "operation not supported",
  97: "address family not supported",
  98: "address already in use",
  99: "cannot assign requested address",
  105: "no buffer space available",
  110: "connection timed out",
  111: "connection refused",
  524: "operation not supported by the kernel (ENOTSUPP)",
};
