#!/usr/bin/env bash
# Installs everything driftgov needs on a fresh Debian bookworm machine, then builds it. Idempotent.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mapfile -t packages < <(grep -v '^#' scripts/packages-debian.txt | sed '/^\s*$/d')
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  # No prompts, and no debconf warnings such as "delaying package configuration, since apt-utils is not installed".
  # env passes the settings through sudo, which would otherwise drop them.
  apt_env=(env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes)
  as_root "${apt_env[@]}" apt-get update -qq
  as_root "${apt_env[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python_bin="${DRIFTGOV_PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python_bin" -m venv .venv
fi
stamp=.venv/.requirements-stamp
if [ ! -f "$stamp" ] || ! cmp -s python/requirements-test.txt "$stamp"; then
  echo "setup: installing Python test tooling into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r python/requirements-test.txt
  cp python/requirements-test.txt "$stamp"
fi

# The MLflow server of the MLflow mirror tests, apart from .venv (its pins conflict with the test tooling's).
if [ ! -x .venv-mlflow/bin/python ]; then
  echo "setup: creating .venv-mlflow"
  "$python_bin" -m venv .venv-mlflow
fi
mlflow_stamp=.venv-mlflow/.requirements-stamp
if [ ! -f "$mlflow_stamp" ] || ! cmp -s python/requirements-mlflow.txt "$mlflow_stamp"; then
  echo "setup: installing the MLflow server into .venv-mlflow"
  .venv-mlflow/bin/pip install -q --upgrade pip >/dev/null
  .venv-mlflow/bin/pip install -q -r python/requirements-mlflow.txt
  cp python/requirements-mlflow.txt "$mlflow_stamp"
fi

if [ "${1:-}" != "--no-build" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release
fi
