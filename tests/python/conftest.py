"""Shared fixtures: where the built binaries and the conformance corpora are, and a helper to run the CLI."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("DRIFTGOV_BUILD_DIR", ROOT / "build" / "release"))
# The import root of the Python package: the release build's, also when the suite runs against the ASan build
# (DRIFTGOV_BUILD_DIR), since an instrumented extension would need libasan preloaded into the interpreter.
# DRIFTGOV_PYTHON_BUILD_DIR names another build.
PACKAGE_ROOT = Path(os.environ.get("DRIFTGOV_PYTHON_BUILD_DIR") or ROOT / "build" / "release") / "python"
# The corpora written by other implementations (tests/data/conformance/README.md); the environment variable
# DRIFTGOV_CONFORMANCE_DIR may name another folder with the same layout.
CONFORMANCE_DIR = Path(os.environ.get("DRIFTGOV_CONFORMANCE_DIR") or ROOT / "tests" / "data" / "conformance")
DELTA_OUTCOMES_FILE = Path(__file__).with_name("delta_conformance_outcomes.txt")
# Tables the Delta protocol says a reader must refuse (tests/data/conformance/README.md).
DELTA_MUST_REFUSE = {"deltalog-invalid-protocol-version", "deltalog-state-reconstruction-from-checkpoint-missing-metadata",
                     "deltalog-state-reconstruction-from-checkpoint-missing-protocol",
                     "deltalog-state-reconstruction-without-metadata",
                     "deltalog-state-reconstruction-without-protocol", "no-delta-log-folder", "versions-not-contiguous"}


def conformance_path(*parts) -> Path:
    """A file or non-empty folder of the conformance corpora. A missing one fails the test, or the collection of the
    module when called at import time, with a message saying where the corpora belong: never a skip, never an
    empty parameter list."""
    path = CONFORMANCE_DIR.joinpath(*parts)
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        pytest.fail(f"conformance corpus {path} is missing or empty: the corpora belong in tests/data/conformance "
                    f"of the source tree (see its README.md), or in the folder DRIFTGOV_CONFORMANCE_DIR names",
                    pytrace=False)
    return path


def recorded_delta_outcomes():
    """The outcome recorded for each key of delta_conformance_outcomes.txt (`<key> <outcome>  # comment`)."""
    outcomes = {}
    for line in DELTA_OUTCOMES_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, outcome = line.split()
            outcomes[key] = outcome
    return outcomes


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
