import { test } from "node:test";
import assert from "node:assert/strict";
import { findBpffs, parseMounts } from "./bpffs-mount.ts";

const MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
none /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
tmpfs /run/my\\040dir tmpfs rw 0 0
`;

test("findBpffs() finds the bpf filesystem at /sys/fs/bpf", () => {
  const m = findBpffs(parseMounts(MOUNTS));
  assert.equal(m?.source, "none");
  assert.deepEqual(m?.options.includes("mode=700"), true);
});

test("findBpffs() ignores a non-bpf filesystem mounted at the same path", () => {
  assert.equal(findBpffs(parseMounts("tmpfs /sys/fs/bpf tmpfs rw 0 0\n")), undefined);
});

test("parseMounts() decodes octal escapes in paths", () => {
  assert.equal(parseMounts(MOUNTS)[2]?.target, "/run/my dir");
});
