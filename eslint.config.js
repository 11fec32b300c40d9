// Lint rules that keep the architecture honest (ARCHITECTURE.md draws the same layers):
// - no import runs upward: each room lists the rooms it may import (import-x/no-restricted-paths);
// - pure rooms never reach the kernel, netlink, netfilter, the filesystem or a child process;
// - product code never imports tests, and reaches the lab only through lab/index.ts;
// - no import cycles.
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const impure = {
  patterns: [
    {
      group: [
        "**/kernel/**",
        "**/kernel/*",
        "**/kernel",
        "**/netfilter/*",
        "**/bpf/link/*",
        "**/netlink/*.ts",
      ],
      message:
        "pure code must not reach the kernel, netlink, netfilter or tc links (see STYLE.md: the kernel is touched in one place)",
      // Types carry no behaviour: a pure function may take a netlink Link as input.
      allowTypeImports: true,
    },
  ],
  paths: ["node:fs", "node:fs/promises", "node:child_process", "node:http", "koffi"].map((name) => ({
    name,
    message: "pure code does no I/O (see STYLE.md)",
  })),
};

/**
 * LAYERS: room → the rooms (under src/) it may import besides itself. Everything else under src/
 * is forbidden to it, so an upward or sideways import fails lint. Top to bottom:
 *   cli → agent → datapath | fallback | proxy | readiness | host | datastore | netfilter
 *       → bpf | netlink → kernel → errors;  pure: model, calc, datapath/abi, datapath/maps.
 * cli and agent may import anything below them and are not listed.
 */
const LAYERS = {
  errors: [],
  kernel: ["errors"],
  netlink: ["kernel", "errors"],
  bpf: ["netlink", "kernel", "errors"],
  model: ["errors"],
  "datapath/abi": ["bpf/struct-layout.ts"],
  "datapath/maps": ["datapath/abi", "model", "errors"],
  calc: ["datapath/abi", "datapath/maps", "model", "errors"],
  datastore: ["model", "errors"],
  netfilter: ["errors"],
  // DNS answers off the wire (held frames, abi codecs) → learned names; pure: the agent feeds them to calc.
  dns: ["datapath/abi", "model", "errors"],
  host: ["netlink", "calc", "model", "kernel", "errors"],
  readiness: ["bpf", "kernel", "errors"],
  proxy: ["calc", "datapath/abi", "datapath/maps", "model", "errors"],
  fallback: ["calc", "datapath/abi", "datastore", "netfilter", "model", "errors"],
  // flowlogs turns datapath flow events and conntrack counters into Calico-style records.
  flowlogs: ["datapath/abi", "datapath/maps", "model", "errors"],
  // datapath/policy installs the programs src/policy (pure) generates.
  datapath: ["bpf", "netlink", "kernel", "host", "calc", "datastore", "model", "policy", "errors"],
  // The flow graph page reaches the agent only over HTTP (GET /flows) and its browser/ script is
  // bundled for the browser: anything it imported from src/ would end up in the page.
  "flowlogs/web": [],
};

const layerZones = Object.entries(LAYERS).map(([room, may]) => ({
  target: `./src/${room}`,
  from: "./src",
  // A room's own files, its sub-rooms (datapath → datapath/abi) and what it may import.
  except: [`./${room}`, ...may.map((m) => `./${m}`)],
  message: `src/${room} may import only ${may.length ? may.map((m) => `src/${m}`).join(", ") : "nothing else under src/"} (ARCHITECTURE.md)`,
}));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bpf/obj/**", "**/*.js"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
    },
    rules: {
      // Import cycles make load order fragile and layering unreadable.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "use `as const` objects instead of enum" },
      ],
    },
  },
  {
    // Layers, for product code (tests beside it may use test/support and any room).
    files: ["src/**/*.ts", "lab/**/*.ts"],
    ignores: ["**/*.test.ts", "**/*.case.ts"],
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          zones: [
            ...layerZones,
            { target: "./src", from: "./test", message: "product code never imports tests" },
            { target: "./lab", from: "./test", message: "the lab never imports tests" },
            { target: "./src/!(cli)/**", from: "./lab", message: "only src/cli reaches the lab" },
            {
              target: "./src/cli",
              from: "./lab",
              except: ["./index.ts"],
              message: "src/cli reaches the lab only through lab/index.ts",
            },
            { target: "./lab", from: "./src/cli", message: "the lab does not import the CLI" },
          ],
        },
      ],
    },
  },
  {
    // Pure rooms and files: no syscalls, no netlink, no netfilter, no I/O. Tested without root.
    files: [
      "src/model/**",
      "src/calc/**",
      "src/datapath/abi/**",
      "src/datapath/maps/**",
      "src/bpf/elf/**",
      "src/bpf/btf/**",
      "src/netlink/codec/**",
      "src/datastore/cluster-cache.ts",
      "src/fallback/nft-proxy-ruleset.ts",
      "src/fallback/nft-table-scripts.ts",
      "src/fallback/plan-nft-services.ts",
      "src/fallback/select-kube-proxy-cleanup.ts",
      "src/readiness/kernel-release.ts",
      "src/readiness/bpffs-mount.ts",
      "src/readiness/capabilities.ts",
      "src/readiness/readiness-report.ts",
      "src/host/local-workloads.ts",
      "src/datapath/iface-constants.ts",
      "src/datapath/reconcile-entries.ts",
      "src/datapath/plan-entries.ts",
      "src/proxy/nat-deltas.ts",
      "src/flowlogs/web/flow-record-view.ts",
      "src/flowlogs/web/flow-graph-model.ts",
      "src/flowlogs/web/flow-filter.ts",
      "src/flowlogs/web/flow-record-store.ts",
      "src/flowlogs/web/ndjson-lines.ts",
    ],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", impure] },
  },
);
