#!/usr/bin/env bash
# Build every BPF object with Debian's clang-19. Output is byte-reproducible (no absolute paths,
# fixed flags), so `--check` rebuilds into a temp dir and fails if any committed object differs.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
if ! command -v "$CLANG" >/dev/null; then
  echo "build bpf: $CLANG not found (apt-get install clang-19)" >&2
  exit 1
fi
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
CFLAGS=(-O2 -g -target bpf -mcpu=v3 -std=gnu11 -Wall -Werror
  -D__TARGET_ARCH_"$ARCH" -I/usr/include/"$MULTIARCH" -Iinclude
  -ffile-prefix-map="$PWD"/= -fdebug-compilation-dir=. -fno-ident)

out=obj
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

sources=(*.c test/*.c)
status=0
for src in "${sources[@]}"; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  "$CLANG" "${CFLAGS[@]}" -c "$src" -o "$out/$name.o"
  if [ $check = 1 ]; then
    if ! cmp -s "$out/$name.o" "obj/$name.o"; then
      echo "check bpf: obj/$name.o differs from a rebuild of $src (run npm run build:bpf and commit)" >&2
      status=1
    fi
  fi
done
if [ $check = 1 ]; then
  for committed in obj/*.o; do
    [ -e "$committed" ] || continue
    [ -e "$out/$(basename "$committed")" ] || { echo "check bpf: $committed has no source" >&2; status=1; }
  done
  [ $status = 0 ] && echo "check bpf: committed objects match their sources"
fi
exit $status
