#!/usr/bin/env bash
# Creates .venv-bench (repository root) with the peer tools bench/end_to_end.py and bench/monitor_bench.py compare
# against (Evidently, NannyML), from bench/requirements.txt. Idempotent: reinstalls only when the requirements file
# changed.
# Usage: bench/setup-bench.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

python_bin="${DRIFTGOV_PYTHON:-python3}"
if [ ! -x .venv-bench/bin/python ]; then
  echo "setup-bench: creating .venv-bench"
  "$python_bin" -m venv .venv-bench
fi
stamp=.venv-bench/.requirements-stamp
if [ ! -f "$stamp" ] || ! cmp -s bench/requirements.txt "$stamp"; then
  echo "setup-bench: installing bench/requirements.txt into .venv-bench"
  .venv-bench/bin/pip install -q --upgrade pip >/dev/null
  .venv-bench/bin/pip install -q -r bench/requirements.txt
  cp bench/requirements.txt "$stamp"
fi
NML_DISABLE_USAGE_LOGGING=1 .venv-bench/bin/python -c 'import evidently, nannyml, pandas
print("setup-bench: evidently", evidently.__version__, "nannyml", nannyml.__version__, "pandas", pandas.__version__)'
