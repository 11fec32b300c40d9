import { test } from "node:test";
import assert from "node:assert/strict";
import { Poller } from "./poller.ts";
import { eventfd, write, read, close } from "./libc.ts";

test("Poller calls back on the main thread when a watched fd becomes readable", async () => {
  const poller = new Poller();
  const fd = eventfd(0, 0o4000);
  try {
    const fired = new Promise<number>((resolve) => {
      poller.add(fd, (events) => {
        read(fd, Buffer.alloc(8), 8);
        resolve(events);
      });
    });
    const v = Buffer.alloc(8);
    v.writeBigUInt64LE(5n);
    write(fd, v, 8);
    const events = await fired;
    assert.equal(events & 1, 1);
  } finally {
    poller.remove(fd);
    poller.close();
    close(fd);
  }
});

test("Poller.close() releases a poller that is blocked in epoll_wait", async () => {
  const poller = new Poller();
  const fd = eventfd(0, 0o4000);
  poller.add(fd, () => {});
  poller.close();
  // If close left the wait blocked forever, the runner would hang on the pending async call.
  await new Promise((r) => setTimeout(r, 20));
  close(fd);
});
