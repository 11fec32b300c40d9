/**
 * libc bindings through koffi. This file and its siblings in src/kernel/ are the only code that
 * calls into C; everything above works with typed wrappers.
 *
 * Why prototypes instead of koffi's variadic calls for syscall(): the variadic path re-parses
 * types on every call; glibc's syscall() ignores the vector-register count, so a fixed prototype
 * is correct on x86-64 and arm64 Linux.
 */
import koffi from "koffi";

const libc = koffi.load("libc.so.6");

/** bpf(2) syscall number for this architecture. */
export const SYS_BPF = process.arch === "arm64" ? 280 : 321;
/** perf_event_open is not used; gettid for per-thread namespace paths. */
export const SYS_GETTID = process.arch === "arm64" ? 178 : 186;

export const sysBpf = libc.func("long syscall(long nr, int cmd, void *attr, uint32_t size)");
export const sysGettid = libc.func("long syscall(long nr)");

export const close = libc.func("int close(int fd)");
export const open = libc.func("int open(const char *path, int flags, uint32_t mode)");
export const read = libc.func("long read(int fd, _Out_ void *buf, unsigned long count)");
export const write = libc.func("long write(int fd, const void *buf, unsigned long count)");
export const fcntl = libc.func("int fcntl(int fd, int cmd, long arg)");

export const socket = libc.func("int socket(int domain, int type, int protocol)");
export const bind = libc.func("int bind(int fd, const void *addr, uint32_t len)");
export const getsockname = libc.func("int getsockname(int fd, _Out_ void *addr, _Inout_ uint32_t *len)");
export const setsockopt = libc.func(
  "int setsockopt(int fd, int level, int name, const void *val, uint32_t len)",
);
export const sendto = libc.func(
  "long sendto(int fd, const void *buf, unsigned long len, int flags, const void *addr, uint32_t alen)",
);
export const recv = libc.func("long recv(int fd, _Out_ void *buf, unsigned long len, int flags)");

export const setns = libc.func("int setns(int fd, int nstype)");
export const unshare = libc.func("int unshare(int flags)");
export const mount = libc.func(
  "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
);
export const umount2 = libc.func("int umount2(const char *target, int flags)");

export const epollCreate1 = libc.func("int epoll_create1(int flags)");
export const epollCtl = libc.func("int epoll_ctl(int epfd, int op, int fd, const void *event)");
export const epollWait = libc.func(
  "int epoll_wait(int epfd, _Out_ void *events, int maxevents, int timeout)",
);
export const eventfd = libc.func("int eventfd(unsigned int initval, int flags)");

export const mmap = libc.func(
  "void *mmap(void *addr, unsigned long len, int prot, int flags, int fd, long off)",
);
export const munmap = libc.func("int munmap(void *addr, unsigned long len)");
export const getpagesize = libc.func("int getpagesize()");

export const ifNametoindex = libc.func("unsigned int if_nametoindex(const char *name)");

/** errno of the last failed call on this thread; read it right after the -1 return. */
export function lastErrno(): number {
  return koffi.errno();
}

/** addressOf returns a buffer's address for embedding in a kernel struct. Keep `buf` alive until the call returns. */
export function addressOf(buf: Buffer | Uint8Array): bigint {
  return BigInt(koffi.address(buf) as unknown as bigint);
}

export { koffi };

/** malloc_trim(3): give the free memory of every malloc arena back to the kernel (glibc). */
export const mallocTrim = libc.func("int malloc_trim(unsigned long pad)");
