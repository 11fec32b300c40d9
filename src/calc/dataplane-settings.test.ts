import assert from "node:assert/strict";
import { test } from "node:test";
import type { FelixConfiguration } from "../model/felix-configuration.ts";
import { dataplaneSettings, ringBufferBytes } from "./dataplane-settings.ts";

function felix(name: string, spec: Record<string, unknown>): FelixConfiguration {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name },
    spec,
  } as FelixConfiguration;
}

test("dataplaneSettings() without resources is Tunnel mode with Felix's defaults and Calico's map sizes", () => {
  const s = dataplaneSettings();
  assert.equal(s.externalServiceMode, "Tunnel");
  assert.deepEqual(s.ctTimeouts, {
    tcpSynSent: 20,
    tcpEstablished: 3600,
    tcpResetSeen: 40,
    udp: 60,
    icmp: 5,
    generic: 600,
    creationGrace: 10,
  });
  assert.equal(s.vxlanPort, 4789);
  assert.equal(s.vxlanVni, 4096);
  assert.equal(s.vxlanMtu, 0);
  assert.deepEqual(s.mapSizes, {
    sl_ct: 512000,
    sl_nat_fe: 65536,
    sl_nat_be: 262144,
    sl_affinity: 65536,
    sl_routes: 262144,
    sl_ipsets: 1048576,
    sl_pol_events: 1048576,
  });
  assert.equal(s.conntrackDoubleIfFull, true);
  assert.equal(s.interfacePrefixes, undefined);
  assert.equal(s.kubeProxyCleanup, true);
});

test("dataplaneSettings() turns kube-proxy clean-up off with bpfKubeProxyIptablesCleanupEnabled false on the node", () => {
  assert.equal(
    dataplaneSettings(undefined, felix("node.node-1", { bpfKubeProxyIptablesCleanupEnabled: false }))
      .kubeProxyCleanup,
    false,
  );
});

test("dataplaneSettings() applies the default FelixConfiguration, and node.<name> over it", () => {
  const g = felix("default", {
    bpfExternalServiceMode: "DSR",
    bpfMapSizeConntrack: 1000,
    bpfConntrackTimeouts: { udpTimeout: "30s" },
    vxlanMTU: 1400,
    interfacePrefix: "cali,sl",
  });
  const n = felix("node.node-1", {
    bpfMapSizeConntrack: 2000,
    bpfConntrackTimeouts: { tcpEstablished: "2h" },
  });
  const s = dataplaneSettings(g, n);
  assert.equal(s.externalServiceMode, "DSR");
  assert.deepEqual(s.mapSizes, {
    sl_ct: 2000,
    sl_nat_fe: 65536,
    sl_nat_be: 262144,
    sl_affinity: 65536,
    sl_routes: 262144,
    sl_ipsets: 1048576,
    sl_pol_events: 1048576,
  });
  assert.equal(s.ctTimeouts.udp, 30);
  assert.equal(s.ctTimeouts.tcpEstablished, 7200);
  assert.equal(s.vxlanMtu, 1400);
  assert.deepEqual(s.interfacePrefixes, ["cali", "sl"]);
});

test("dataplaneSettings() takes a set bpfMapSize* over Calico's default (the lab's smaller sizes)", () => {
  const s = dataplaneSettings(
    undefined,
    felix("node.node-1", { bpfMapSizeNATBackend: 4096, bpfMapSizeRoute: 1024 }),
  );
  assert.equal(s.mapSizes["sl_nat_be"], 4096);
  assert.equal(s.mapSizes["sl_routes"], 1024);
  assert.equal(s.mapSizes["sl_nat_fe"], 65536);
});

test("dataplaneSettings() sizes sl_pol_events from bpfExportBufferSizeMB, rounded up to a power of two", () => {
  assert.equal(dataplaneSettings().mapSizes["sl_pol_events"], 1 << 20); // Calico's default, 1 MiB
  const size = (mb: number): number | undefined =>
    dataplaneSettings(felix("default", { bpfExportBufferSizeMB: mb })).mapSizes["sl_pol_events"];
  assert.equal(size(2), 2 << 20);
  assert.equal(size(3), 4 << 20);
  assert.equal(size(64), 64 << 20);
  assert.equal(ringBufferBytes(5), 8 << 20);
  assert.equal(
    dataplaneSettings(undefined, felix("node.n1", { bpfMapSizeIPSets: 4096 })).mapSizes["sl_ipsets"],
    4096,
  );
});

test("dataplaneSettings() parses dnsTrustedServers and dnsExtraTTL (default: kube-dns, no extra)", () => {
  assert.deepEqual(dataplaneSettings().dns, {
    trustedServers: [{ kind: "k8s-service", namespace: "kube-system", name: "kube-dns" }],
    extraTtlS: 0,
  });
  const s = dataplaneSettings(
    felix("default", { dnsTrustedServers: ["198.18.0.10", "198.18.0.11:5353"], dnsExtraTTL: "1m" }),
    felix("node.n1", { dnsExtraTTL: "90s" }),
  );
  assert.deepEqual(s.dns, {
    trustedServers: [
      { kind: "address", ip: "198.18.0.10", port: 53 },
      { kind: "address", ip: "198.18.0.11", port: 5353 },
    ],
    extraTtlS: 90,
  });
});
