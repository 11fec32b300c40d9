// Lint rules that keep the architecture honest: pure folders never reach the kernel.
import tseslint from "typescript-eslint";
import { importX } from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const kernelImport = {
  patterns: [
    {
      group: ["**/kernel/**", "**/kernel/*", "**/kernel"],
      message: "pure code must not import src/kernel/ (see STYLE.md: the kernel is touched in one place)",
    },
  ],
};

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
      "no-restricted-syntax": ["error", { selector: "TSEnumDeclaration", message: "use `as const` objects instead of enum" }],
    },
  },
  {
    // Pure folders: no syscalls, no netlink, no bpffs. Tested without root.
    files: ["src/model/**", "src/calc/**", "src/fallback/**", "src/policy/**", "src/bpf/asm/**", "src/bpf/elf/**", "src/bpf/btf/**", "src/datapath/codecs/**", "src/netlink/codec/**", "src/readiness/kernel-release.ts", "src/readiness/bpffs-mount.ts", "src/readiness/capabilities.ts", "src/readiness/readiness-report.ts"],
    rules: { "no-restricted-imports": ["error", kernelImport] },
  },
);
