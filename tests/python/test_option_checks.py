"""Numeric options out of range exit 2 with the option, the bound and the value given (DRIFTGOV_USER_CHECK_GE)."""
import pytest

from conftest import run_driftgov


@pytest.mark.parametrize("arguments, message", [
    (["--row-group-rows", "0"], "convert: --row-group-rows: expected >= 1, got 0"),
    (["--infer-rows", "-5"], "--infer-rows: expected >= 1, got -5"),
])
def test_option_below_its_bound_names_option_bound_and_value(tmp_path, arguments, message):
    source = tmp_path / "in.csv"
    source.write_text("a\n1\n2\n")
    result = run_driftgov("convert", source, tmp_path / "out.parquet", *arguments, check=False)
    assert result.returncode == 2, result.stderr
    assert f"driftgov: error: {message}\n" in result.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_file_rows_below_its_bound(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a\n1\n")
    result = run_driftgov("convert", source, tmp_path / "table", "--file-rows", "0", check=False)
    assert result.returncode == 2, result.stderr
    assert "driftgov: error: --file-rows: expected >= 1, got 0\n" in result.stderr
