"""Row-group pruning by min/max statistics, checked against the row groups' real contents as pyarrow reads them.

Pruning may keep a group needlessly but must never drop one holding a value in the range. With sorted data written
with statistics, it must also drop every group whose values all lie outside the range.
"""
import random
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import tool_binary


def kept_groups(path, column, kind, lower, upper):
    result = subprocess.run([str(tool_binary("parquet_prune_probe")), str(path), column, kind,
                             "-" if lower is None else str(lower), "-" if upper is None else str(upper)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [int(line) for line in result.stdout.split()]


def groups_with_values_in(path, column, lower, upper):
    """Row groups holding at least one non-null value of `column` within [lower, upper], per pyarrow."""
    parquet = pq.ParquetFile(path)
    found = []
    for group in range(parquet.num_row_groups):
        values = parquet.read_row_group(group, columns=[column]).column(0)
        mask = pc.is_valid(values)
        if lower is not None:
            mask = pc.and_(mask, pc.greater_equal(values, lower))
        if upper is not None:
            mask = pc.and_(mask, pc.less_equal(values, upper))
        if pc.any(mask).as_py():
            found.append(group)
    return found


@pytest.fixture(scope="module")
def sorted_file(tmp_path_factory):
    rng = random.Random(7)
    rows = 5000
    ints = sorted(rng.randint(-10**12, 10**12) for _ in range(rows))
    doubles = sorted(rng.uniform(-1e3, 1e3) for _ in range(rows))
    names = sorted(f"name-{rng.randint(0, 10**6):07d}" for _ in range(rows))
    table = pa.table({
        "id": pa.array([None if i % 97 == 0 else v for i, v in enumerate(ints)], pa.int64()),
        "score": pa.array(doubles, pa.float64()),
        "name": pa.array(names, pa.string()),
        "small": pa.array([v % 100 for v in range(rows)], pa.uint8()),
        "empty": pa.array([None] * rows, pa.int32()),
    })
    path = tmp_path_factory.mktemp("prune") / "sorted.parquet"
    pq.write_table(table, path, row_group_size=400)
    return path, table


@pytest.mark.parametrize("seed", range(12))
def test_pruning_keeps_exactly_the_groups_that_can_match(sorted_file, seed):
    path, table = sorted_file
    rng = random.Random(seed)
    column, kind = rng.choice([("id", "int"), ("score", "double"), ("name", "string")])
    values = sorted(v for v in table.column(column).to_pylist() if v is not None)
    lower, upper = sorted(rng.sample(values, 2))
    if rng.random() < 0.3:
        lower = None
    elif rng.random() < 0.3:
        upper = None
    expected = groups_with_values_in(path, column, lower, upper)
    assert kept_groups(path, column, kind, lower, upper) == expected


def test_all_null_groups_are_dropped_and_unsigned_order_is_respected(sorted_file):
    path, _ = sorted_file
    assert kept_groups(path, "empty", "int", 0, None) == []
    # uint8 values 0..99 in every group: a range above 99 matches nothing, 50..60 matches every group.
    assert kept_groups(path, "small", "int", 200, None) == []
    assert kept_groups(path, "small", "int", 50, 60) == groups_with_values_in(path, "small", 50, 60)


def test_a_bound_of_the_wrong_kind_is_an_input_error(sorted_file):
    path, _ = sorted_file
    result = subprocess.run([str(tool_binary("parquet_prune_probe")), str(path), "name", "int", "3", "-"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "column 'name'" in result.stderr and "string" in result.stderr
