import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveKind } from "./resource-kinds.ts";

test("resolveKind accepts kubectl's names, short names and group-qualified forms", () => {
  const cases: [string, string | undefined][] = [
    ["svc", "Service"],
    ["service", "Service"],
    ["Services", "Service"],
    ["endpointslice", "EndpointSlice"],
    ["endpointslices.discovery.k8s.io", "EndpointSlice"],
    ["no", "Node"],
    ["nodes", "Node"],
    ["po", "Pod"],
    ["pod", "Pod"],
    ["ns", "Namespace"],
    ["cm", "ConfigMap"],
    ["configmap", "ConfigMap"],
    ["ds", "DaemonSet"],
    ["daemonsets.apps", "DaemonSet"],
    ["felixconfiguration", "FelixConfiguration"],
    ["felixconfigurations", "FelixConfiguration"],
    ["felixconfiguration.p", "FelixConfiguration"],
    ["felixconfigurations.projectcalico.org", "FelixConfiguration"],
    ["felixconfiguration.v3.projectcalico.org", "FelixConfiguration"],
    ["installation", "Installation"],
    ["installation.operator.tigera.io", "Installation"],
    ["installations.operator", "Installation"],
    ["felixconfiguration.operator", undefined],
    ["widget", undefined],
    ["svc.apps", undefined],
  ];
  for (const [text, kind] of cases) assert.equal(resolveKind(text)?.kind, kind, text);
});
