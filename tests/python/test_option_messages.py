"""Options are checked by the library, which names them by field ("alpha must be in (0, 1)"); the CLI spells the
same options as its flags ("--alpha must be in (0, 1)"). The statistics, I/O and Delta layers never name a flag."""
import re

import pytest

from conftest import ROOT, run_driftgov

# A C++ string literal (ordinary or raw strings are not used in these layers), then a flag inside one.
STRING_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def flags_in_string_literals(text, name):
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for literal in STRING_LITERAL.findall(line):
            found += [f"{name}:{number}: {flag}" for flag in FLAG.findall(literal)]
    return found


def test_statistics_io_and_delta_layers_name_no_command_line_flag():
    sources = [path for layer in ("stats", "io", "delta")
               for folder in (ROOT / "src" / layer, ROOT / "include" / "driftgov" / layer)
               for path in sorted(folder.glob("*.[ch]pp"))]
    assert len(sources) > 30
    assert [hit for path in sources for hit in flags_in_string_literals(path.read_text(), path.name)] == []


def test_the_scanner_finds_a_flag():
    # The check above must be able to fail: a message naming --kind is found, a decrement or a lone "--" is not.
    text = 'throw E(fmt::format("--kind names column {}", n));\nfor (;; --k) {}\nf("a -- b", "x\\"--type");\n'
    assert flags_in_string_literals(text, "x.cpp") == ["x.cpp:1: --kind", "x.cpp:3: --type"]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n3,x\n")
    return path


@pytest.mark.parametrize("arguments, message", [
    (["--alpha", "1.5"], "--alpha must be in (0, 1), got 1.5"),
    (["--drift-share", "0"], "--drift-share must be in (0, 1], got 0"),
    (["--proportion-floor", "1"], "--proportion-floor must be in (0, 1), got 1"),
    (["--max-category-bins", "0"], "--max-category-bins: expected >= 1, got 0"),
    (["--null-rate-min-change", "101"], "--null-rate-min-change must be from 0 to 100 percentage points, got 101"),
    (["--small-sample-limit", "-1"], "--small-sample-limit: expected >= 0, got -1"),
    (["--bins", "1"], "--bins must be a whole number from 2 to 10000, got 1"),
    (["--bins", "a=10001"], "--bins a=... must be a whole number from 2 to 10000, got 10001"),
    (["--test", "a=ks", "--threshold", "a=2"], "--threshold a=... must be in (0, 1), got 2"),
    (["--threshold", "a=2"], "--threshold a=... must be in (0, 1), got 2"),  # a's automatic test is KS
    (["--threshold", "a=-1"], "--threshold a=... must be a finite number above 0, got -1"),
    (["--test", "psi", "--threshold", "0"],
     "--threshold must be a finite number above 0, got 0"),
    (["--sketch-k", "7"], "--sketch-k must be from 8 to 65535, got 7"),
    (["--category-cap", "0"], "--category-cap: expected >= 1, got 0"),
    (["--exact-limit", "-1"], "--exact-limit: expected >= 0, got -1"),
    (["--threads", "-1"], "--threads must be from 0 (one per core) to 1024, got -1"),
    (["--threads", "1025"], "--threads must be from 0 (one per core) to 1024, got 1025"),
    (["--infer-rows", "0"], "--infer-rows: expected >= 1, got 0"),
    (["--delimiter", '"'], '--delimiter must differ from the quote character, both are "\\""'),
    (["--kind", "zz=numeric"], "--kind names column 'zz', which the data does not have"),
    (["--test", "a=chi2"], "column 'a': the chi-squared test needs a categorical column, but it is numeric (int64); "
                           "declare it categorical with --kind a=categorical"),
])
def test_compare_names_the_flag(data, arguments, message):
    result = run_driftgov("compare", data, data, *arguments, check=False)
    assert result.returncode == 2, result
    assert result.stderr == f"driftgov: error: {message}\n"


def test_profile_names_the_flag(data, tmp_path):
    result = run_driftgov("profile", data, "-o", tmp_path / "p.json", "--type", "zz=string", check=False)
    assert result.returncode == 2
    assert result.stderr == f"driftgov: error: {data}: --type names column 'zz', which is not in the header\n"
    result = run_driftgov("profile", data, "-o", tmp_path / "p.json", "--sketch-k", "70000", check=False)
    assert result.stderr == "driftgov: error: --sketch-k must be from 8 to 65535, got 70000\n"


def test_conversion_error_suggests_the_type_flag(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("n\n1\n2\nx\n")
    result = run_driftgov("profile", bad, "-o", tmp_path / "p.json", "--infer-rows", "2", check=False)
    assert result.returncode == 2
    assert result.stderr == (f"driftgov: error: {bad} line 4: column 'n': expected an int64 value (inferred from the "
                             "first 2 rows), found 'x'; set the column's type with --type n=string or list the text as "
                             "a null token\n")
    result = run_driftgov("profile", bad, "-o", tmp_path / "p.json", "--type", "n=int64", check=False)
    assert "(set by --type), found 'x'; set the column's type with --type n=string" in result.stderr
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("n\n1\n300\n")
    result = run_driftgov("profile", narrow, "-o", tmp_path / "p.json", "--type", "n=int8", check=False)
    assert result.stderr == (f"driftgov: error: {narrow} line 3: column 'n': '300' is out of range for int8 (-128 to "
                             "127); choose a wider type with --type n=TYPE\n")


def test_different_columns_name_the_columns_flag(tmp_path):
    r = tmp_path / "r.csv"
    r.write_text("a,b\n1,2\n")
    c = tmp_path / "c.csv"
    c.write_text("a\n1\n")
    result = run_driftgov("compare", r, c, check=False)
    assert result.returncode == 2
    assert result.stderr.endswith("choose the columns to compare with --columns\n"), result.stderr


def test_bad_profiling_options_are_reported_when_both_sides_are_stored_profiles(data, tmp_path):
    stored = tmp_path / "p.json"
    run_driftgov("profile", data, "-o", stored)
    for arguments, message in [(["--category-cap", "0"], "--category-cap: expected >= 1, got 0"),
                               (["--infer-rows", "0"], "--infer-rows: expected >= 1, got 0")]:
        result = run_driftgov("compare", stored, stored, *arguments, check=False)
        assert (result.returncode, result.stderr) == (2, f"driftgov: error: {message}\n")


def test_delta_writes_name_the_flags(tmp_path):
    """The Delta writer names its options by field (merge_schema, mode = overwrite); the CLI prints the flags."""
    source = tmp_path / "rows.csv"
    source.write_text("id,label\n1,a\n2,b\n")
    wider = tmp_path / "wider.csv"
    wider.write_text("id,label,extra\n3,c,x\n")
    table = tmp_path / "table"
    run_driftgov("table", "write", source, table)

    def error(*arguments):
        result = run_driftgov("table", "write", *arguments, check=False)
        assert result.returncode == 2, result
        assert result.stderr.startswith("driftgov: error: "), result.stderr
        return result.stderr[len("driftgov: error: "):]

    assert error(source, table) == (f"{table}: the Delta table already exists (version 0); write with --mode append "
                                    "or --mode overwrite\n")
    assert error(source, table, "--mode", "sometimes") == \
        "--mode: 'sometimes' is not one of create, append, overwrite\n"
    assert error(source, table, "--mode", "append", "--overwrite-schema") == \
        f"{table}: --overwrite-schema needs --mode overwrite\n"
    assert error(source, table, "--mode", "append", "--replace-where", "id = 1") == \
        f"{table}: --replace-where needs --mode overwrite\n"
    assert error(source, table, "--mode", "overwrite", "--overwrite-schema", "--replace-where", "id = 1") == \
        f"{table}: --overwrite-schema cannot be combined with a partial overwrite (--replace-where)\n"
    assert error(source, table, "--mode", "overwrite", "--overwrite-schema", "--merge-schema") == \
        f"{table}: choose one of --merge-schema and --overwrite-schema\n"
    assert error(source, table, "--mode", "overwrite", "--replace-where", "nosuch = 1").startswith(
        f"{table}: --replace-where: ")
    mismatch = error(wider, table, "--mode", "append")
    assert mismatch.startswith("schema mismatch: the data does not fit the table (new columns: extra); to add "
                               "columns, write with --merge-schema (or replace the schema with --mode overwrite and "
                               "--overwrite-schema)\n  table schema:\n"), mismatch
