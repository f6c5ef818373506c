#!/usr/bin/env bash
# Runs every test: unit tests (release and ASan/UBSan builds), the Python suites against independent oracles
# (fast, then the slower interop suite with Spark, deltalake, DuckDB and large data), and a short fuzz run.
# Usage: scripts/test.sh [--fast]   (--fast: release unit tests and the fast Python suite only)
# Each suite writes a JUnit report to build/test-reports/; its skipped tests are counted and listed, and the run
# fails when a suite skips more tests than its budget in tests/skip-budget.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fast=0
[ "${1:-}" = "--fast" ] && fast=1

reports="$root/build/test-reports"
mkdir -p "$reports"
skip_summary=()

step() { echo; echo "== $*"; }

# The fast suites run on every core (pytest-xdist), a test file per worker so that module fixtures are built once.
# The interop suite stays in one process: it shares one Spark session.
parallel=(-n "${DRIFTGOV_TEST_WORKERS:-$(nproc)}" --dist loadfile)

check_skips() {  # SUITE: counts the skips in the suite's JUnit report against tests/skip-budget.txt
  local output status=0
  output="$(.venv/bin/python scripts/check_skips.py "$1" "$reports/$1.xml" 2>&1)" || status=$?
  echo "$output"
  skip_summary+=("$(echo "$output" | head -n 1)")
  if [ "$status" -ne 0 ]; then exit "$status"; fi
}

run_ctest() {  # SUITE PRESET
  local suite="$1" preset="$2"
  shift 2
  rm -f "$reports/$suite.xml"
  ctest --preset "$preset" -j2 --output-junit "$reports/$suite.xml" "$@"
  check_skips "$suite"
}

run_pytest() {  # SUITE PYTEST-ARGUMENTS...
  # pytest exits 5 when a selection holds no tests; that is not a failure here.
  local suite="$1" status=0
  shift
  rm -f "$reports/$suite.xml"
  .venv/bin/python -m pytest --junitxml="$reports/$suite.xml" "$@" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
  check_skips "$suite"
}

print_skip_summary() {
  echo
  echo "== skipped tests per suite (budgets in tests/skip-budget.txt)"
  printf '%s\n' "${skip_summary[@]}"
}

step "release build and unit tests"
cmake --preset release >/dev/null
cmake --build --preset release
run_ctest release-ctest release

step "Python suite (fast) against scipy, numpy, pyarrow, DuckDB"
DRIFTGOV_BUILD_DIR="$root/build/release" run_pytest fast-pytest -m "not interop" -q "${parallel[@]}"

if [ "$fast" = 1 ]; then print_skip_summary; exit 0; fi

step "ASan/UBSan build and unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
# Leaks in third-party libraries only, listed with their reasons, are suppressed.
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$root/tests/lsan-suppressions.txt:print_suppressions=0" \
  run_ctest asan-ctest asan

step "Python suite (fast) against the ASan/UBSan build"
ASAN_OPTIONS=detect_leaks=0 DRIFTGOV_BUILD_DIR="$root/build/asan" run_pytest asan-pytest -m "not interop" -q \
  -p no:cacheprovider "${parallel[@]}"

step "interop suite (Spark, deltalake, DuckDB, large data)"
DRIFTGOV_BUILD_DIR="$root/build/release" run_pytest interop-pytest -m interop -q

step "fuzzing (short run)"
scripts/fuzz.sh "${DRIFTGOV_FUZZ_SECONDS:-15}"

print_skip_summary
echo
echo "all tests passed"
