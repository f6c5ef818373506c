"""Shared fixtures: where the built binaries are, and a helper to run the CLI."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("DRIFTGOV_BUILD_DIR", ROOT / "build" / "release"))
CONFORMANCE_DIR = Path(os.environ.get("DRIFTGOV_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


def driftgov_binary() -> Path:
    return BUILD_DIR / "driftgov"


def tool_binary(name: str) -> Path:
    return BUILD_DIR / "tests" / "unit" / name


def run_driftgov(*args, check=True, timeout=600):
    """Runs the driftgov CLI; returns the CompletedProcess (text mode)."""
    result = subprocess.run([str(driftgov_binary()), *map(str, args)], capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"driftgov {' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def compare_json(reference, current, *extra):
    """Runs `driftgov compare --json -` and returns the parsed result."""
    result = run_driftgov("compare", reference, current, "--json", "-", *extra)
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def driftgov():
    binary = driftgov_binary()
    if not binary.exists():
        pytest.fail(f"{binary} is not built; run scripts/setup.sh first")
    return binary
