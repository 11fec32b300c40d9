/*
 * tcp-crr: TCP connect-request-response in a loop, timed per connection with CLOCK_MONOTONIC.
 * The lab's Node.js client spends ~0.3–0.5 ms of its own per connection (event loop, sockets
 * as objects, JSON), which is in every path's figure alike and squeezes the ratios toward 1;
 * this one is a few system calls per connection, so the path's own cost shows.
 *
 *   tcp-crr HOST PORT COUNT DEADLINE_MS TIMEOUT_MS
 *
 * Each connection: connect (non-blocking, bounded by TIMEOUT_MS), send a payload, read the
 * traffic server's reply (one JSON line, then the payload echoed back), close. Bounded by COUNT
 * connections and DEADLINE_MS of wall time, whichever comes first. Prints one JSON line:
 *   {"ok":N,"failed":N,"p50_us":X,"p99_us":X,"mean_us":X,"elapsed_us":X,"first_error":"..."}
 * elapsed_us is the wall time of the whole loop (failures included): ok / elapsed is the
 * connection rate of one client that opens its connections back to back.
 * Built by bench/native/native-client.ts with the system cc; bench-only, not product code.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char PAYLOAD[] = "sluice-crr\n";

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* wait_fd polls fd for `events` until the absolute time `until_us`; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, double until_us) {
  for (;;) {
    double left = until_us - now_us();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)(left / 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  }
}

/* one_exchange runs one connection; NULL on success, else a static reason. */
static const char *one_exchange(const struct sockaddr_in *to, int timeout_ms) {
  double until = now_us() + timeout_ms * 1000.0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket";
  const char *err = NULL;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (const struct sockaddr *)to, sizeof *to) < 0 && errno != EINPROGRESS) {
    err = errno == ECONNREFUSED ? "ECONNREFUSED" : "connect";
    goto out;
  }
  int w = wait_fd(fd, POLLOUT, until);
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (w <= 0) {
    err = w == 0 ? "connect timeout" : "poll";
    goto out;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
    err = soerr == ECONNREFUSED ? "ECONNREFUSED" : soerr == EHOSTUNREACH ? "EHOSTUNREACH" : "connect";
    goto out;
  }
  if (send(fd, PAYLOAD, sizeof PAYLOAD - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof PAYLOAD - 1)) {
    err = "send";
    goto out;
  }
  /* The reply: the server's JSON line, then the payload echoed (it ends in a newline too). */
  char buf[4096];
  size_t have = 0;
  int lines = 0;
  while (lines < 2) {
    if (wait_fd(fd, POLLIN, until) <= 0) {
      err = "reply timeout";
      goto out;
    }
    ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      err = "closed before the echo came back";
      goto out;
    }
    for (ssize_t i = 0; i < n; i++)
      if (buf[have + i] == '\n') lines++;
    have += (size_t)n;
    if (have >= sizeof buf - 1) {
      err = "reply too long";
      goto out;
    }
  }
  buf[have] = 0;
  if (have < sizeof PAYLOAD - 1 || strcmp(buf + have - (sizeof PAYLOAD - 1), PAYLOAD) != 0)
    err = "echo mismatch";
out:
  close(fd);
  return err;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: tcp-crr HOST PORT COUNT DEADLINE_MS TIMEOUT_MS\n");
    return 2;
  }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
    fprintf(stderr, "tcp-crr: HOST %s is not an IPv4 address\n", argv[1]);
    return 2;
  }
  long count = atol(argv[3]);
  double deadline = now_us() + atof(argv[4]) * 1000.0;
  int timeout_ms = atoi(argv[5]);
  if (count <= 0 || count > 10000000 || timeout_ms <= 0) {
    fprintf(stderr, "tcp-crr: COUNT must be 1..10000000 and TIMEOUT_MS positive\n");
    return 2;
  }
  double *lat = malloc(sizeof(double) * (size_t)count);
  if (lat == NULL) return 1;
  long ok = 0, failed = 0;
  const char *first_error = NULL;
  double sum = 0;
  double start = now_us();
  for (long i = 0; i < count && now_us() < deadline; i++) {
    double t0 = now_us();
    const char *err = one_exchange(&to, timeout_ms);
    double dt = now_us() - t0;
    if (err == NULL) {
      lat[ok++] = dt;
      sum += dt;
    } else {
      failed++;
      if (first_error == NULL) first_error = err;
    }
  }
  double elapsed = now_us() - start;
  qsort(lat, (size_t)ok, sizeof(double), cmp_double);
  /* Nearest rank, as bench/stats.ts: index ceil(q * n) - 1. */
  double p50 = ok ? lat[(ok + 1) / 2 - 1] : -1;
  double p99 = ok ? lat[(99 * ok + 99) / 100 - 1] : -1;
  printf("{\"ok\":%ld,\"failed\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,\"elapsed_us\":%.1f,"
         "\"first_error\":%s%s%s}\n",
         ok, failed, p50, p99, ok ? sum / ok : -1.0, elapsed, first_error ? "\"" : "", first_error ? first_error : "null",
         first_error ? "\"" : "");
  free(lat);
  return 0;
}
