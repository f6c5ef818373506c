"""`driftgov convert SOURCE DEST` with a Delta destination, checked with deltalake (delta-rs)."""
import pandas as pd
import pytest
from deltalake import DeltaTable

from conftest import run_driftgov


def test_convert_creates_appends_and_evolves_delta_tables(tmp_path):
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    pd.DataFrame({"id": [1, 2, 3], "city": ["Oslo", "Lima", None]}).to_csv(first, index=False)
    pd.DataFrame({"id": [4, 5], "city": ["Pune", "Kyiv"], "score": [0.5, 1.5]}).to_csv(second, index=False)
    table = tmp_path / "events"

    run_driftgov("convert", first, table)
    refused = run_driftgov("convert", first, table, check=False)
    assert refused.returncode == 2 and "already exists" in refused.stderr

    mismatch = run_driftgov("convert", second, table, "--mode", "append", check=False)
    assert mismatch.returncode == 2 and "score" in mismatch.stderr  # schema enforcement names the new column

    run_driftgov("convert", second, table, "--mode", "append", "--merge-schema")
    dt = DeltaTable(str(table))
    assert dt.version() == 1
    rows = dt.to_pyarrow_table().to_pandas().sort_values("id")
    assert rows["id"].tolist() == [1, 2, 3, 4, 5]
    assert rows["score"].isna().tolist() == [True, True, True, False, False]
    assert DeltaTable(str(table), version=0).to_pyarrow_table().num_rows == 3

    run_driftgov("convert", first, table, "--mode", "overwrite", "--overwrite-schema")
    assert DeltaTable(str(table)).to_pyarrow_table().column_names == ["id", "city"]


def test_delta_options_are_refused_for_file_destinations(tmp_path):
    source = tmp_path / "a.csv"
    pd.DataFrame({"x": [1]}).to_csv(source, index=False)
    result = run_driftgov("convert", source, tmp_path / "out.parquet", "--mode", "append", check=False)
    assert result.returncode == 2 and "Delta" in result.stderr
