import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { prng } from "../../test/support/random-services.ts";
import { Int32Map } from "./int32-map.ts";

describe("Int32Map", () => {
  test("agrees with a Map over 200,000 random sets and deletes of clustered, negative and zero keys", () => {
    const random = prng(20261208);
    // Few distinct keys, so sets meet deletes: consecutive addresses (one pod CIDR), addresses
    // above 127.255.255.255 (negative as int32), 0 and -1, and keys that differ in high bits only.
    const keys = [
      ...Array.from({ length: 3000 }, (_, i) => (0xc6120000 + i) | 0),
      ...Array.from({ length: 300 }, (_, i) => (i << 20) | 0),
      0,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
    ];
    const model = new Map<number, number>();
    const map = new Int32Map();
    for (let round = 0; round < 200_000; round++) {
      const k = keys[Math.floor(random() * keys.length)]!;
      if (random() < 0.55) {
        const v = 1 + Math.floor(random() * (2 ** 31 - 1));
        model.set(k, v);
        map.set(k, v);
      } else assert.equal(map.delete(k), model.delete(k), `round ${round}: delete ${k}`);
      if (round % 997 === 0 || round > 199_000) {
        assert.equal(map.size, model.size, `round ${round}: size`);
        for (const key of keys) assert.equal(map.get(key), model.get(key) ?? 0, `round ${round}: ${key}`);
      }
    }
    assert.ok(model.size > 1000, `${model.size} keys at the end: the table grew`);
  });

  test("deletes along one probe run keep every later key reachable", () => {
    const map = new Int32Map();
    // 15 keys in a 32-slot table: runs of several slots wherever homes collide.
    const keys = Array.from({ length: 15 }, (_, i) => i * 7919);
    keys.forEach((k, i) => map.set(k, i + 1));
    for (const gone of keys) {
      assert.ok(map.delete(gone));
      assert.equal(map.get(gone), 0);
      for (const k of keys.slice(keys.indexOf(gone) + 1)) assert.equal(map.get(k), keys.indexOf(k) + 1);
    }
    assert.equal(map.size, 0);
  });

  test("a value outside [1, 2^31) is refused; clear empties it", () => {
    const map = new Int32Map();
    for (const bad of [0, -1, 2 ** 31, 1.5, NaN]) assert.throws(() => map.set(1, bad), RangeError);
    map.set(5, 7);
    map.clear();
    assert.equal(map.size, 0);
    assert.equal(map.get(5), 0);
  });
});
