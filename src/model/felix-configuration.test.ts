import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectInvalid, expectValid } from "../../test/support/validation.ts";
import type { FelixConfiguration } from "./felix-configuration.ts";
import { effectiveFelixConfiguration, FELIX_DEFAULTS } from "./felix-configuration-values.ts";

function felix(spec: Record<string, unknown>, name = "default"): unknown {
  return { apiVersion: "projectcalico.org/v3", kind: "FelixConfiguration", metadata: { name }, spec };
}

function parsed(spec: Record<string, unknown>, name?: string): FelixConfiguration {
  const r = expectValid(felix(spec, name));
  assert.equal(r.kind, "FelixConfiguration");
  return r as FelixConfiguration;
}

describe("FelixConfiguration", () => {
  test("keeps only what the user set (Calico applies defaults in Felix)", () => {
    assert.deepEqual(parsed({ bpfExternalServiceMode: "DSR" }).spec, { bpfExternalServiceMode: "DSR" });
  });

  test("accepts Calico's case-insensitive enums and canonicalises them", () => {
    const spec = parsed({
      bpfExternalServiceMode: "dsr",
      bpfLogLevel: "debug",
      bpfConnectTimeLoadBalancing: "tcp",
    }).spec;
    assert.equal(spec.bpfExternalServiceMode, "DSR");
    assert.equal(spec.bpfLogLevel, "Debug");
    assert.equal(spec.bpfConnectTimeLoadBalancing, "TCP");
  });

  test("accepts every eBPF field the how-to and the agent use, and other Calico fields", () => {
    parsed({
      bpfEnabled: true,
      bpfExternalServiceMode: "Tunnel",
      bpfKubeProxyIptablesCleanupEnabled: false,
      bpfConnectTimeLoadBalancingEnabled: true,
      bpfDataIfacePattern: "^(eth|ens).*",
      bpfLogLevel: "Off",
      bpfMapSizeConntrack: 1024,
      bpfMapSizeNATFrontend: 1024,
      bpfMapSizeNATBackend: 1024,
      bpfMapSizeNATAffinity: 1024,
      bpfMapSizeRoute: 1024,
      bpfMapSizeIPSets: 1024,
      bpfKubeProxyMinSyncPeriod: "500ms",
      bpfConntrackTimeouts: { tcpEstablished: "2h", tcpFinsSeen: "Auto" },
      vxlanMTU: 1410,
      vxlanPort: 4789,
      vxlanVNI: 4096,
      failsafeInboundHostPorts: [
        { protocol: "TCP", port: 22 },
        { port: 6443, net: "198.18.0.0/15" },
      ],
      failsafeOutboundHostPorts: [],
      healthPort: 9099,
      prometheusMetricsEnabled: true,
      prometheusMetricsPort: 9091,
      ipv6Support: false,
      chainInsertMode: "Append",
    });
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ["a misspelt field", { bpfExternalServicesMode: "DSR" }, "spec.bpfExternalServicesMode", "unknown field"],
    [
      "an unknown service mode",
      { bpfExternalServiceMode: "Direct" },
      "spec.bpfExternalServiceMode",
      'must be one of "Tunnel", "DSR", got "Direct"',
    ],
    [
      "a string for a boolean",
      { bpfKubeProxyIptablesCleanupEnabled: "false" },
      "spec.bpfKubeProxyIptablesCleanupEnabled",
      'expected boolean, got string "false"',
    ],
    ["a bad log level", { bpfLogLevel: "Trace" }, "spec.bpfLogLevel", 'got "Trace"'],
    ["a zero map size", { bpfMapSizeNATFrontend: 0 }, "spec.bpfMapSizeNATFrontend", "at least 1"],
    ["a fractional map size", { bpfMapSizeConntrack: 1.5 }, "spec.bpfMapSizeConntrack", "expected integer"],
    ["an export buffer of 0 MiB", { bpfExportBufferSizeMB: 0 }, "spec.bpfExportBufferSizeMB", "at least 1"],
    [
      "an export buffer over 1 GiB",
      { bpfExportBufferSizeMB: 2048 },
      "spec.bpfExportBufferSizeMB",
      "at most 1024",
    ],
    ["a VXLAN port out of range", { vxlanPort: 70000 }, "spec.vxlanPort", "at most 65535"],
    ["a VNI wider than 24 bits", { vxlanVNI: 16777216 }, "spec.vxlanVNI", "at most 16777215"],
    [
      "a bad sync period",
      { bpfKubeProxyMinSyncPeriod: "1 second" },
      "spec.bpfKubeProxyMinSyncPeriod",
      'invalid duration "1 second"',
    ],
    [
      "a bad conntrack timeout",
      { bpfConntrackTimeouts: { udpTimeout: "soon" } },
      "spec.bpfConntrackTimeouts.udpTimeout",
      'invalid timeout "soon"',
    ],
    [
      "an unknown conntrack timeout",
      { bpfConntrackTimeouts: { sctpTimeout: "1s" } },
      "spec.bpfConntrackTimeouts.sctpTimeout",
      "unknown field",
    ],
    [
      "a regex that does not compile",
      { bpfDataIfacePattern: "^(eth" },
      "spec.bpfDataIfacePattern",
      "invalid regular expression",
    ],
    [
      "a failsafe port without a port",
      { failsafeInboundHostPorts: [{ protocol: "TCP" }] },
      "spec.failsafeInboundHostPorts[0].port",
      "required",
    ],
    [
      "a failsafe port with a bad net",
      { failsafeOutboundHostPorts: [{ port: 53, net: "10.0.0.0/99" }] },
      "spec.failsafeOutboundHostPorts[0].net",
      "prefix must be 0-32",
    ],
    ["a bad health port", { healthPort: -1 }, "spec.healthPort", "at least 0"],
    [
      "a flow log aggregation level above 3",
      { flowLogsFileAggregationKindForAllowed: 4 },
      "spec.flowLogsFileAggregationKindForAllowed",
      "must be 0 (none), 1 (source port), 2 (pod prefix) or 3",
    ],
    [
      "a flow log aggregation level given as a word",
      { flowLogsFileAggregationKindForDenied: "lots" },
      "spec.flowLogsFileAggregationKindForDenied",
      "expected number",
    ],
    [
      "a bad flush interval",
      { flowLogsFlushInterval: "soon" },
      "spec.flowLogsFlushInterval",
      "invalid duration",
    ],
    [
      "a relative flow log directory",
      { flowLogsFileDirectory: "logs/flows" },
      "spec.flowLogsFileDirectory",
      "must be an absolute path",
    ],
    ["zero flow log files", { flowLogsFileMaxFiles: 0 }, "spec.flowLogsFileMaxFiles", "at least 1"],
    [
      "a zero flow log file size",
      { flowLogsFileMaxFileSizeMB: 0 },
      "spec.flowLogsFileMaxFileSizeMB",
      "at least 1",
    ],
    [
      "a non-boolean include flag",
      { flowLogsFileIncludeLabels: "yes" },
      "spec.flowLogsFileIncludeLabels",
      "expected boolean",
    ],
  ];
  for (const [what, spec, field, reason] of invalid) {
    test(`rejects ${what}`, () => expectInvalid(felix(spec), field, reason, "FelixConfiguration default"));
  }
});

describe("flow log fields", () => {
  test("accepts Calico's flow log fields and defaults them as Felix does", () => {
    const spec = parsed({
      flowLogsFlushInterval: "15s",
      flowLogsFileEnabled: true,
      flowLogsFileDirectory: "/var/log/sluice/flows",
      flowLogsFileMaxFiles: 3,
      flowLogsFileMaxFileSizeMB: 1,
      flowLogsFileAggregationKindForAllowed: 0,
      flowLogsFileAggregationKindForDenied: 3,
      flowLogsFileIncludeLabels: true,
      flowLogsFileIncludePolicies: true,
      flowLogsFileIncludeService: true,
    }).spec;
    assert.equal(spec.flowLogsFileAggregationKindForDenied, 3);
    const v = effectiveFelixConfiguration();
    assert.equal(v.flowLogsFlushInterval, "300s");
    assert.equal(v.flowLogsFileEnabled, false);
    assert.equal(v.flowLogsFileDirectory, "/var/log/calico/flowlogs");
    assert.equal(v.flowLogsFileMaxFiles, 5);
    assert.equal(v.flowLogsFileMaxFileSizeMB, 100);
    assert.equal(v.flowLogsFileAggregationKindForAllowed, 2);
    assert.equal(v.flowLogsFileAggregationKindForDenied, 1);
  });
});

describe("effectiveFelixConfiguration", () => {
  test("is Felix's published defaults when nothing is set", () => {
    const v = effectiveFelixConfiguration();
    assert.equal(v.bpfEnabled, false);
    assert.equal(v.bpfExternalServiceMode, "Tunnel");
    assert.equal(v.bpfKubeProxyIptablesCleanupEnabled, true);
    assert.equal(v.bpfDataIfacePattern, "^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan|bond).*)");
    assert.equal(v.bpfLogLevel, "Off");
    assert.equal(v.bpfMapSizeNATFrontend, 65536);
    assert.equal(v.bpfMapSizeNATBackend, 262144);
    assert.equal(v.bpfMapSizeConntrack, 512000);
    assert.equal(v.vxlanPort, 4789);
    assert.equal(v.vxlanVNI, 4096);
    assert.equal(v.healthPort, 9099);
    assert.equal(v.prometheusMetricsPort, 9091);
    assert.deepEqual(v.failsafeInboundHostPorts.slice(0, 2), [
      { protocol: "TCP", port: 22 },
      { protocol: "UDP", port: 68 },
    ]);
    assert.equal(v.bpfConntrackTimeouts.tcpEstablished, "1h");
  });

  test("layers node over global over defaults, field by field", () => {
    const global = parsed({
      bpfExternalServiceMode: "DSR",
      vxlanMTU: 1400,
      bpfConntrackTimeouts: { udpTimeout: "30s" },
    });
    const node = parsed({ vxlanMTU: 1350, bpfConntrackTimeouts: { icmpTimeout: "1s" } }, "node.node-1");
    const v = effectiveFelixConfiguration(global, node);
    assert.equal(v.bpfExternalServiceMode, "DSR");
    assert.equal(v.vxlanMTU, 1350);
    assert.deepEqual(v.bpfConntrackTimeouts, {
      ...FELIX_DEFAULTS.bpfConntrackTimeouts,
      udpTimeout: "30s",
      icmpTimeout: "1s",
    });
  });

  test("maps the legacy bpfConnectTimeLoadBalancingEnabled flag like Felix", () => {
    assert.equal(
      effectiveFelixConfiguration(parsed({ bpfConnectTimeLoadBalancingEnabled: false }))
        .bpfConnectTimeLoadBalancing,
      "Disabled",
    );
    const both = parsed({ bpfConnectTimeLoadBalancingEnabled: false, bpfConnectTimeLoadBalancing: "TCP" });
    assert.equal(effectiveFelixConfiguration(both).bpfConnectTimeLoadBalancing, "TCP");
  });

  test("defaults a failsafe port's protocol to TCP", () => {
    const v = effectiveFelixConfiguration(parsed({ failsafeInboundHostPorts: [{ port: 2222 }] }));
    assert.deepEqual(v.failsafeInboundHostPorts, [{ protocol: "TCP", port: 2222 }]);
  });
});

describe("DNS policy fields", () => {
  test("accepts Calico's dnsTrustedServers forms and dnsExtraTTL; defaults to kube-dns and 0s", () => {
    const spec = {
      dnsTrustedServers: ["198.18.0.10", "198.18.0.11:5353", "[fd00::a]:53", "k8s-service:dns/coredns"],
      dnsExtraTTL: "30s",
    };
    const v = effectiveFelixConfiguration(parsed(spec));
    assert.deepEqual(v.dnsTrustedServers, spec.dnsTrustedServers);
    assert.equal(v.dnsExtraTTL, "30s");
    const d = effectiveFelixConfiguration();
    assert.deepEqual(d.dnsTrustedServers, ["k8s-service:kube-dns"]);
    assert.equal(d.dnsExtraTTL, "0s");
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    [
      "a trusted server that is no address",
      { dnsTrustedServers: ["dns.example"] },
      "spec.dnsTrustedServers[0]",
      'expected an IP, "<IP>:<port>"',
    ],
    [
      "a trusted server port out of range",
      { dnsTrustedServers: ["198.18.0.10", "198.18.0.11:70000"] },
      "spec.dnsTrustedServers[1]",
      "port 70000 is not in 1-65535",
    ],
    [
      "a bad IP with a port",
      { dnsTrustedServers: ["198.18.0.300:53"] },
      "spec.dnsTrustedServers[0]",
      "is not an IP address",
    ],
    [
      "a Service reference with a bad name",
      { dnsTrustedServers: ["k8s-service:kube-system/Kube_DNS"] },
      "spec.dnsTrustedServers[0]",
      "Service name",
    ],
    [
      "a Service reference with too many parts",
      { dnsTrustedServers: ["k8s-service:a/b/c"] },
      "spec.dnsTrustedServers[0]",
      "k8s-service:<namespace>/<name>",
    ],
    ["a dnsExtraTTL that is no duration", { dnsExtraTTL: "30" }, "spec.dnsExtraTTL", ""],
  ];
  for (const [what, spec, field, reason] of invalid) {
    test(`rejects ${what}`, () => expectInvalid(felix(spec), field, reason, "FelixConfiguration default"));
  }
});
