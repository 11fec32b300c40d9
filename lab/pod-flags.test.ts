import assert from "node:assert/strict";
import { test } from "node:test";
import { checkPorts, parseLabelsFlag, parsePortFlag } from "./pod-flags.ts";

test("parseLabelsFlag: k=v lists, prefixed keys, empty values and empty input", () => {
  assert.deepEqual(parseLabelsFlag("pod=a,app.kubernetes.io/name=web,empty="), {
    pod: "a",
    "app.kubernetes.io/name": "web",
    empty: "",
  });
  assert.deepEqual(parseLabelsFlag(""), {});
});

test("parseLabelsFlag: errors name the flag, the value and the reason", () => {
  assert.throws(() => parseLabelsFlag("pod"), /^Error: parse --labels "pod": "pod" is not key=value$/);
  assert.throws(() => parseLabelsFlag("=a"), /"=a" is not key=value/);
  assert.throws(
    () => parseLabelsFlag("pod=a b"),
    /parse --labels "pod=a b": value "a b" is not a label value/,
  );
  assert.throws(() => parseLabelsFlag("-x=1"), /key "-x" is not a label name/);
  assert.throws(() => parseLabelsFlag("Bad_/x=1"), /key prefix "Bad_" is not a DNS subdomain/);
  assert.throws(() => parseLabelsFlag("a=1,a=2"), /key "a" given twice/);
  assert.throws(() => parseLabelsFlag(`k=${"v".repeat(64)}`), /is not a label value/);
});

test("parsePortFlag: named and unnamed, protocol defaulting to TCP and case-insensitive", () => {
  assert.deepEqual(parsePortFlag("serve-80-tcp=80/TCP"), {
    name: "serve-80-tcp",
    containerPort: 80,
    protocol: "TCP",
  });
  assert.deepEqual(parsePortFlag("serve-81-udp=81/udp"), {
    name: "serve-81-udp",
    containerPort: 81,
    protocol: "UDP",
  });
  assert.deepEqual(parsePortFlag("dns=53"), { name: "dns", containerPort: 53, protocol: "TCP" });
  assert.deepEqual(parsePortFlag("9000/SCTP"), { containerPort: 9000, protocol: "SCTP" });
  assert.deepEqual(parsePortFlag("65535"), { containerPort: 65535, protocol: "TCP" });
});

test("parsePortFlag: errors name the flag, the value and the reason", () => {
  assert.throws(
    () => parsePortFlag("web=0/TCP"),
    /^Error: parse --port "web=0\/TCP": port "0" is not 1-65535/,
  );
  assert.throws(() => parsePortFlag("web=65536"), /port "65536" is not 1-65535/);
  assert.throws(() => parsePortFlag("web=http"), /port "http" is not 1-65535/);
  assert.throws(() => parsePortFlag("web=80/ICMP"), /protocol "ICMP" is not TCP, UDP or SCTP/);
  assert.throws(() => parsePortFlag("web=80/TCP/x"), /more than one "\/"/);
  assert.throws(
    () => parsePortFlag("serve-80-tcp-too-long=80"),
    /name "serve-80-tcp-too-long" is not a port name/,
  );
  assert.throws(() => parsePortFlag("Web=80"), /name "Web" is not a port name/);
  assert.throws(() => parsePortFlag("a--b=80"), /name "a--b" is not a port name/);
  assert.throws(() => parsePortFlag("8080=80"), /name "8080" is not a port name/);
});

test("checkPorts: a name or a port/protocol pair given twice is rejected", () => {
  checkPorts([parsePortFlag("a=80/TCP"), parsePortFlag("b=80/UDP")]);
  assert.throws(
    () => checkPorts([parsePortFlag("a=80/TCP"), parsePortFlag("a=81/TCP")]),
    /name "a" given twice/,
  );
  assert.throws(
    () => checkPorts([parsePortFlag("a=80/TCP"), parsePortFlag("b=80")]),
    /port 80\/TCP given twice/,
  );
});
