#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang-14) and runs each one for SECONDS (default 20) on its seed
# corpus (fuzz/corpus/<target>/). A crash, leak or sanitizer report fails the run. Longer runs: run a binary in build/fuzz/fuzz with -max_total_time=N.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-20}"
cmake --preset fuzz >/dev/null
build_log="$(mktemp)"
# The build's output is shown only when it fails (a compiler error must not vanish with it).
cmake --build --preset fuzz >"$build_log" 2>&1 || { grep -E "error|Error" "$build_log" | head -40; rm -f "$build_log"; echo "fuzz: build FAILED"; exit 1; }
rm -f "$build_log"
for binary in build/fuzz/fuzz/*_fuzz; do
  name="$(basename "$binary")"
  seeds="fuzz/corpus/$name"
  work="$(mktemp -d)"
  mkdir -p "$seeds"
  echo "fuzz: $name for ${seconds}s"
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    "$work" "$seeds" 2>"$work.log" || { tail -50 "$work.log"; echo "fuzz: $name FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work.log" | sed "s/^/  /"
  rm -rf "$work" "$work.log"
done
