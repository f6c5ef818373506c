#!/usr/bin/env bash
# Runs every test: unit tests (release and ASan/UBSan builds), the Python suites against independent oracles
# (fast, then the slower interop suite with Spark, deltalake, DuckDB and large data), and a short fuzz run.
# Usage: scripts/test.sh [--fast]   (--fast: release unit tests and the fast Python suite only)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fast=0
[ "${1:-}" = "--fast" ] && fast=1

step() { echo; echo "== $*"; }

run_pytest() {
  # pytest exits 5 when a selection holds no tests; that is not a failure here.
  local status=0
  .venv/bin/python -m pytest "$@" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
}

step "release build and unit tests"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -j2

step "Python suite (fast) against scipy, numpy, pyarrow, DuckDB"
DRIFTGOV_BUILD_DIR="$root/build/release" run_pytest -m "not interop" -q

if [ "$fast" = 1 ]; then exit 0; fi

step "ASan/UBSan build and unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan -j2

step "Python suite (fast) against the ASan/UBSan build"
ASAN_OPTIONS=detect_leaks=0 DRIFTGOV_BUILD_DIR="$root/build/asan" run_pytest -m "not interop" -q -p no:cacheprovider

step "interop suite (Spark, deltalake, DuckDB, large data)"
DRIFTGOV_BUILD_DIR="$root/build/release" run_pytest -m interop -q

step "fuzzing (short run)"
scripts/fuzz.sh "${DRIFTGOV_FUZZ_SECONDS:-15}"

echo
echo "all tests passed"
