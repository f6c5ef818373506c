"""The driftgov Python package under test, shared by the Python API suites, and the comparison of JSON documents
they use."""
import sys

import pytest

from conftest import PACKAGE_ROOT

if not (PACKAGE_ROOT / "driftgov" / "__init__.py").exists():
    pytest.fail(f"{PACKAGE_ROOT}/driftgov is missing: build the release preset (DRIFTGOV_BUILD_PYTHON is on there)",
                pytrace=False)
sys.path.insert(0, str(PACKAGE_ROOT))
import driftgov  # noqa: E402,F401

# Fields of the compare document that name where the data came from: a file for the CLI, an object in memory here.
SOURCE_FIELDS = {"reference", "current"}


def assert_documents_equal(actual, expected, path="$"):
    """Equal structure and values; floating-point numbers within 1e-9 relative (profiles merge partial moments in
    an order that depends on how the rows were split into batches)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), f"{path}: keys {set(actual) ^ set(expected)}"
        for key in expected:
            assert_documents_equal(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: lengths differ"
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_documents_equal(a, e, f"{path}[{index}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12), f"{path}: {actual} != {expected}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def without_sources(document):
    return {key: value for key, value in document.items() if key not in SOURCE_FIELDS}
