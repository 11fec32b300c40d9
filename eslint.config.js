// Lint rules that keep the architecture honest: pure folders never reach the kernel.
import tseslint from "typescript-eslint";

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
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-syntax": ["error", { selector: "TSEnumDeclaration", message: "use `as const` objects instead of enum" }],
    },
  },
  {
    // Pure folders: no syscalls, no netlink, no bpffs. Tested without root.
    files: ["src/model/**", "src/calc/**", "src/policy/**", "src/bpf/asm/**", "src/bpf/elf/**", "src/bpf/btf/**", "src/datapath/codecs/**"],
    rules: { "no-restricted-imports": ["error", kernelImport] },
  },
);
