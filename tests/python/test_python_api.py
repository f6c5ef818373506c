"""The Python package (docs/python.md) against independent paths: the CLI on the same data written to Parquet by
pyarrow (files, the Parquet reader, the CLI's option parsing), scipy and numpy for the statistics, and pyarrow,
pandas and polars as producers of the Arrow C stream."""
import errno
import json
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import polars
import pytest
from scipy import stats

from conftest import ROOT, run_driftgov
from python_package import PACKAGE_ROOT, assert_documents_equal, driftgov, without_sources


def make_tables(rows_reference=6000, rows_current=5000, seed=7):
    rng = np.random.default_rng(seed)

    def side(rows, shift, null_share):
        price = rng.normal(100 + shift, 15, rows)
        quantity = rng.poisson(3 + shift / 10, rows).astype(np.int64)
        nullable = pa.array(rng.integers(0, 50, rows), pa.int64(), mask=rng.random(rows) < null_share)
        region = rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1] if shift == 0
                            else [0.25, 0.25, 0.25, 0.25])
        flag = rng.random(rows) < (0.3 + shift / 100)
        comment = pa.array([None if i % 11 == 0 else f"c{int(v)}" for i, v in enumerate(rng.integers(0, 30, rows))],
                           pa.string())
        return pa.table({"price": price, "quantity": quantity, "nullable": nullable, "region": region,
                         "flag": flag, "comment": comment})

    return side(rows_reference, 0, 0.05), side(rows_current, 4, 0.2)


@pytest.fixture(scope="module")
def tables():
    return make_tables()


@pytest.fixture(scope="module")
def cli_result(tables, tmp_path_factory):
    folder = tmp_path_factory.mktemp("python_api")
    reference, current = tables
    pq.write_table(reference, folder / "reference.parquet")
    pq.write_table(current, folder / "current.parquet")
    output = folder / "result.json"
    run_driftgov("compare", folder / "reference.parquet", folder / "current.parquet", "--json", output, "-q")
    return json.loads(output.read_text())


def as_pandas(table):
    """pandas' nullable dtypes (Int64, boolean, string) and a categorical column, as notebooks hold data."""
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
                                          pa.string(): pd.StringDtype()}.get)
    frame["region"] = frame["region"].astype("category")
    return frame


def as_polars(table):
    return polars.from_arrow(table)


def as_batches(table):
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=1000))


class ArrayOnly:
    """A producer with only __arrow_c_array__ (a single record batch), as some libraries export."""

    def __init__(self, table):
        self._batch = table.combine_chunks().to_batches()[0]

    def __arrow_c_array__(self, requested_schema=None):
        return self._batch.__arrow_c_array__(requested_schema)


PRODUCERS = {"array_only": ArrayOnly, "pyarrow_table": lambda table: table, "pyarrow_reader": as_batches, "pandas": as_pandas,
             "polars": as_polars, "record_batch": lambda table: table.combine_chunks().to_batches()[0]}


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_compare_equals_cli_json(tables, cli_result, producer):
    reference, current = tables
    convert = PRODUCERS[producer]
    result = driftgov.compare(convert(reference), convert(current))
    assert_documents_equal(without_sources(result.to_dict()), without_sources(cli_result))
    assert json.loads(result.to_json()) == result.to_dict()
    assert result.dataset_drift is cli_result["dataset"]["dataset_drift"]
    assert result.columns["price"]["drifted"] is True
    assert result.to_dict()["reference"]["rows"] == reference.num_rows


def test_statistics_match_scipy_and_numpy(tables):
    reference, current = tables
    result = driftgov.compare(reference, current, test={"price": "ks", "quantity": "psi"})
    ref_price = reference["price"].to_numpy()
    cur_price = current["price"].to_numpy()
    expected = stats.ks_2samp(ref_price, cur_price, method="auto")
    ks = result.columns["price"]["ks_test"]
    assert ks["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert ks["pvalue"] == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)
    assert result.columns["price"]["test"]["name"] == "ks_test"

    # PSI on the result's bins, recomputed with numpy: bin i holds (edges[i-1], edges[i]].
    column = result.columns["quantity"]
    edges = np.array(column["bins"]["edges"])
    ref_q = reference["quantity"].to_numpy()
    cur_q = current["quantity"].to_numpy()
    bins = len(edges) + 1
    r = np.bincount(np.searchsorted(edges, ref_q, side="left"), minlength=bins) / len(ref_q)
    c = np.bincount(np.searchsorted(edges, cur_q, side="left"), minlength=bins) / len(cur_q)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    assert column["population_stability_index"] == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-9)
    assert column["test"]["name"] == "population_stability_index"

    frame = result.to_pandas()
    row = frame.set_index("column").loc["price"]
    assert row["statistic"] == pytest.approx(expected.statistic, rel=1e-12)
    assert list(frame["column"]) == [field.name for field in reference.schema]
    html_text = result._repr_html_()
    assert "<table>" in html_text and "price" in html_text and "DRIFT" in html_text


def profile_fields(profile):
    """The exact fields of every column of a profile's JSON (counts, nulls, extremes, category counts); `profile` is
    a Profile or a profile file's bytes."""
    document = json.loads(profile if isinstance(profile, bytes) else profile.to_bytes())
    assert document["format"] == "driftgov.profile"
    fields = {}
    for column in document["columns"]:
        exact = {key: column[key] for key in ("name", "type", "kind", "count", "null_count") if key in column}
        for key in ("min", "max", "nan_count", "zero_count", "categories"):
            for holder in (column, column.get("numeric") or {}, column.get("categorical") or {}):
                if key in holder:
                    exact[key] = holder[key]
        fields[column["name"]] = exact
    return document["row_count"], fields


def test_profile_round_trip_and_cli_format(tables, tmp_path):
    reference, _ = tables
    profile = driftgov.profile(reference)
    assert profile.row_count == reference.num_rows
    assert profile.column_names == reference.column_names
    again = driftgov.Profile.from_bytes(profile.to_bytes())
    assert again.to_bytes() == profile.to_bytes()
    path = tmp_path / "reference.profile.json"
    profile.save(str(path))
    assert path.read_bytes() == profile.to_bytes()
    assert driftgov.Profile.load(str(path)).to_bytes() == profile.to_bytes()
    # The CLI reads the saved file as a stored profile, and its own profile of the same data has the same exact
    # fields.
    pq.write_table(reference, tmp_path / "reference.parquet")
    run_driftgov("profile", tmp_path / "reference.parquet", "-o", tmp_path / "cli.profile.json")
    cli_profile = (tmp_path / "cli.profile.json").read_bytes()
    assert profile_fields(profile) == profile_fields(cli_profile)
    output = tmp_path / "stored.json"
    run_driftgov("compare", path, tmp_path / "reference.parquet", "--json", output, "-q")
    stored = json.loads(output.read_text())
    assert stored["reference"]["source"] == str(path)
    assert stored["dataset"]["dataset_drift"] is False
    # A profile compared in Python equals the CLI's comparison of the same stored profile.
    in_python = driftgov.compare(driftgov.Profile.load(str(path)), reference)
    assert_documents_equal(without_sources(in_python.to_dict()), without_sources(stored))


def test_profile_save_and_load_take_a_path_like(tables, tmp_path):
    """Profile.save and Profile.load accept os.PathLike (pathlib.Path, any object with __fspath__) as well as str."""
    profile = driftgov.profile(tables[0])

    class Location:  # an os.PathLike that is not a pathlib.Path
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return str(self.path)

    path = tmp_path / "path.profile.json"
    profile.save(path)
    assert path.read_bytes() == profile.to_bytes()
    assert driftgov.Profile.load(path).to_bytes() == profile.to_bytes()
    other = Location(tmp_path / "fspath.profile.json")
    profile.save(other)
    assert (tmp_path / "fspath.profile.json").read_bytes() == profile.to_bytes()
    assert driftgov.Profile.load(other).to_bytes() == profile.to_bytes()
    with pytest.raises(TypeError):
        profile.save(42)


def test_merge_of_halves_equals_whole(tables):
    reference, _ = tables
    half = reference.num_rows // 2
    whole = driftgov.profile(reference)
    merged = driftgov.profile(reference.slice(0, half)).merge(driftgov.profile(reference.slice(half)))
    assert profile_fields(merged) == profile_fields(whole)
    means = {c["name"]: (c.get("numeric") or c).get("mean") for c in json.loads(merged.to_bytes())["columns"]}
    assert means["price"] == pytest.approx(float(np.mean(reference["price"].to_numpy())), rel=1e-12)


def test_pandas_index_is_not_profiled(tables):
    """A filtered or re-indexed DataFrame has an index other than a range, which pandas' own Arrow conversion adds as
    a column (__index_level_0__); driftgov profiles the frame's columns only, with the rows pyarrow counts."""
    reference, current = (table.to_pandas() for table in tables)
    filtered = reference[reference["region"] == "west"]
    indexed = current.set_index("quantity")
    assert "__index_level_0__" in pa.RecordBatchReader.from_stream(filtered).schema.names  # what pandas exports
    profile = driftgov.profile(filtered)
    assert profile.column_names == list(reference.columns)
    assert profile.row_count == pc.sum(pc.equal(tables[0]["region"], "west")).as_py()
    assert driftgov.profile(indexed).column_names == [c for c in current.columns if c != "quantity"]
    result = driftgov.compare(filtered, current[current["flag"]])
    assert list(result) == list(reference.columns)


def test_pandas_float_nan_is_a_null_as_in_pandas_parquet(tmp_path):
    """NaN in a pandas float column is pandas' missing value. driftgov hands the column over as it is and counts its
    NaN as nulls, where pyarrow's conversion (and so the Parquet file pandas writes) turns them into nulls first: the
    profile and the comparison equal the CLI's of that Parquet file, and the counts equal numpy's. NaN in an Arrow
    float column stays a NaN value."""
    rng = np.random.default_rng(11)

    def frame(rows, shift):
        wide = rng.normal(10 + shift, 2, rows)
        wide[rng.random(rows) < 0.1] = np.nan
        narrow = rng.normal(shift, 1, rows).astype(np.float32)
        narrow[::7] = np.nan
        code = rng.integers(0, 4, rows).astype(np.float64)
        code[rng.random(rows) < 0.2] = np.nan
        return pd.DataFrame({"wide": wide, "label": rng.choice(["a", "b"], rows), "narrow": narrow, "code": code,
                             7: rng.integers(0, 9, rows)})

    reference, current = frame(4000, 0), frame(3000, 1)
    kinds = {"code": "categorical"}
    paths = []
    for name, side in (("reference", reference), ("current", current)):
        paths.append(tmp_path / f"{name}.parquet")
        side.to_parquet(paths[-1], index=False)
    output = tmp_path / "cli.json"
    run_driftgov("compare", *paths, "--kind", "code=categorical", "--json", output, "-q")
    result = driftgov.compare(reference, current, kind=kinds)
    assert_documents_equal(without_sources(result.to_dict()), without_sources(json.loads(output.read_text())))

    profile = json.loads(driftgov.profile(reference, kind=kinds).to_bytes())
    columns = {column["name"]: column for column in profile["columns"]}
    assert list(columns) == ["wide", "label", "narrow", "code", "7"]
    for name in ("wide", "narrow"):
        assert columns[name]["null_count"] == int(reference[name].isna().sum()) > 0
        assert columns[name]["numeric"]["nan_count"] == 0
        assert columns[name]["numeric"]["min"] == pytest.approx(float(np.nanmin(reference[name])))
    assert columns["code"]["null_count"] == int(reference["code"].isna().sum()) > 0
    expected = {str(value): count for value, count in reference["code"].dropna().map(lambda v: f"{v:g}")
                .value_counts().items()}
    assert dict(map(tuple, columns["code"]["categorical"]["counts"])) == expected

    arrow = json.loads(driftgov.profile(pa.table({"wide": reference["wide"].to_numpy()})).to_bytes())["columns"][0]
    assert arrow["null_count"] == 0
    assert arrow["numeric"]["nan_count"] == int(reference["wide"].isna().sum())


def test_pandas_frames_of_one_block_and_repeated_names():
    """A frame made from one 2-D array (its columns strided views of one block) profiles column by column; a frame
    with a repeated column name is refused naming it, as pyarrow's conversion refuses it."""
    values = np.arange(30, dtype=np.float64).reshape(10, 3)
    values[2, 1] = np.nan
    block = pd.DataFrame(values, columns=["a", "b", "c"])
    profile = json.loads(driftgov.profile(block).to_bytes())
    assert [column["numeric"]["max"] for column in profile["columns"]] == [27.0, 28.0, 29.0]
    assert [column["null_count"] for column in profile["columns"]] == [0, 1, 0]
    with pytest.raises(ValueError, match=r"Duplicate column names.*'a', 'a'"):
        driftgov.profile(pd.DataFrame(values, columns=["a", "a", "c"]))


def test_pandas_object_strings_equal_pyarrows_conversion():
    """pandas object columns of strings are read from the str objects by driftgov itself; the profile equals that of
    pyarrow's conversion of the same frame, for missing values of every kind pandas uses (None, NaN, pandas.NA),
    UTF-8 beyond ASCII, empty strings, str subclasses and a frame made of one 2-D object block (strided columns).
    Columns that are not all strings (or not strings at all) take pyarrow's conversion: its types and its errors."""
    words = np.array(["north", "", "süd", "東", "🙂", "west", "x" * 40], dtype=object)
    rng = np.random.default_rng(5)
    picked = words[rng.integers(0, len(words), 3000)]
    missing = rng.random(3000)
    picked[missing < 0.05] = None
    picked[(missing >= 0.05) & (missing < 0.08)] = np.nan
    picked[(missing >= 0.08) & (missing < 0.1)] = pd.NA
    frame = pd.DataFrame({"text": picked, "sub": np.array([np.str_(w) for w in words[rng.integers(0, 7, 3000)]],
                                                          dtype=object),
                          "numbers": pd.Series(rng.integers(0, 5, 3000), dtype=object),
                          "empty": pd.Series([None] * 3000, dtype=object)})
    block = pd.DataFrame(np.array([picked, picked[::-1]], dtype=object).T, columns=["first", "second"])
    for data in (frame, block):
        ours = json.loads(driftgov.profile(data).to_bytes())
        theirs = json.loads(driftgov.profile(pa.Table.from_pandas(data, preserve_index=False)).to_bytes())
        assert ours["columns"] == theirs["columns"]
    def own_conversion(values):
        return driftgov._core._strings_from_objects(values.__array_interface__, len(values), "c", pd.NA)

    assert own_conversion(frame["text"].to_numpy()) is not None and own_conversion(block["second"].to_numpy())
    assert own_conversion(frame["numbers"].to_numpy()) is None and own_conversion(frame["empty"].to_numpy()) is None
    columns = {column["name"]: column for column in json.loads(driftgov.profile(frame).to_bytes())["columns"]}
    assert columns["text"]["null_count"] == int(frame["text"].isna().sum()) > 0
    expected = frame["text"].dropna().value_counts()
    assert dict(map(tuple, columns["text"]["categorical"]["counts"])) == {key: int(value) for key, value in
                                                                        expected.items()}
    assert columns["numbers"]["type"] != "string" and columns["empty"]["null_count"] == 3000
    with pytest.raises(pa.ArrowTypeError, match="column mixed"):
        driftgov.profile(pd.DataFrame({"mixed": np.array(["a", 1.5, "b"], dtype=object)}))
    with pytest.raises(Exception, match="surrogate"):
        driftgov.profile(pd.DataFrame({"bad": np.array(["a", "\ud800"], dtype=object)}))


def test_dictionary_large_and_view_strings_equal_plain_strings(tmp_path):
    rng = np.random.default_rng(3)
    words = rng.choice(["alpha", "beta", "gamma", "a string longer than twelve bytes"], 3000)
    mask = rng.random(3000) < 0.1
    plain = pa.array(words, pa.string(), mask=mask)
    table = pa.table({"plain": plain, "dictionary": plain.dictionary_encode(),
                      "large": plain.cast(pa.large_string()), "view": plain.cast(pa.string_view())})
    document = json.loads(driftgov.profile(table).to_bytes())
    by_name = {column["name"]: column for column in document["columns"]}
    expected = {key: value for key, value in by_name["plain"].items() if key != "name"}
    for name in ("dictionary", "large", "view"):
        assert {key: value for key, value in by_name[name].items() if key != "name"} == expected, name
    counts = pd.Series(words[~mask]).value_counts()
    assert by_name["plain"]["null_count"] == int(mask.sum())
    # A pandas categorical arrives as a dictionary array too; the profile counts each category as pandas does.
    frame = pd.DataFrame({"plain": pd.Categorical(np.where(mask, None, words))})
    categorical = json.loads(driftgov.profile(frame).to_bytes())["columns"][0]
    assert categorical["null_count"] == int(mask.sum())
    assert {k: v for k, v in categorical.items() if k not in ("name", "type")} == \
        {k: v for k, v in by_name["plain"].items() if k not in ("name", "type")}
    assert counts.sum() == 3000 - int(mask.sum())


@pytest.mark.parametrize("offset_type", [pa.string(), pa.large_string()])
def test_string_slices_and_null_slots_that_span_bytes(offset_type):
    """Strings are imported a slice at a time: offsets rebased, bytes copied in one piece. A slice starting inside
    the array, nulls whose slots are empty, and nulls whose slots span bytes (Arrow allows it) must all count as
    pandas counts the same values; offsets that decrease are refused naming the column."""
    rng = np.random.default_rng(9)
    words = rng.choice(["north", "south", "", "a value longer than sixteen bytes"], 5000)
    mask = rng.random(5000) < 0.2
    plain = pa.array(words, offset_type, mask=mask)
    width = np.int32 if offset_type == pa.string() else np.int64
    # The same values and validity, but each null slot spans the bytes "NULL" (which must not be counted).
    data, offsets, starts = [], [0], 0
    for word, null in zip(words, mask):
        text = b"NULL" if null else word.encode()
        data.append(text)
        starts += len(text)
        offsets.append(starts)
    spanning = pa.Array.from_buffers(offset_type, 5000, [plain.buffers()[0], pa.py_buffer(np.array(offsets, width)),
                                                         pa.py_buffer(b"".join(data))], null_count=int(mask.sum()))
    spanning.validate(full=True)
    for array in (plain, spanning):
        for start in (0, 1234):
            piece = array.slice(start)
            column = json.loads(driftgov.profile(pa.table({"s": piece})).to_bytes())["columns"][0]
            expected = pd.Series(words[start:][~mask[start:]]).value_counts()
            assert column["null_count"] == int(mask[start:].sum())
            assert dict((k, v) for k, v in column["categorical"]["counts"]) == expected.to_dict()
    offsets[10], offsets[11] = offsets[11], offsets[10] - 1
    broken = pa.Array.from_buffers(offset_type, 5000, [None, pa.py_buffer(np.array(offsets, width)),
                                                       pa.py_buffer(b"".join(data))])
    with pytest.raises(driftgov.InputError, match="column 's'.*offsets"):
        driftgov.profile(pa.table({"s": broken}))


def test_unsigned_dates_and_timestamps_match_the_parquet_reader(tmp_path):
    table = pa.table({
        "u8": pa.array([0, 255, None, 7], pa.uint8()), "u64": pa.array([0, 2**64 - 1, 5, None], pa.uint64()),
        "day": pa.array([0, -1, 19000, None], pa.date32()),
        "at": pa.array([0, 1_700_000_000, None, -5], pa.timestamp("s", tz="UTC")),
        "local": pa.array([1, 2, 3, 4], pa.timestamp("us")),
        "money": pa.array([None, 1, 2, 3], pa.decimal128(10, 2)), "f32": pa.array([1.5, None, -2.25, 0], pa.float32()),
    })
    pq.write_table(table, tmp_path / "types.parquet")
    run_driftgov("profile", tmp_path / "types.parquet", "-o", tmp_path / "types.profile.json")
    cli = (tmp_path / "types.profile.json").read_bytes()
    assert profile_fields(driftgov.profile(table)) == profile_fields(cli)


def test_unsupported_type_is_refused_naming_column_and_type():
    table = pa.table({"fine": [1, 2], "nested": pa.array([{"a": 1}, {"a": 2}])})
    with pytest.raises(driftgov.UnsupportedError) as raised:
        driftgov.profile(table)
    message = str(raised.value)
    assert "column 'nested'" in message and "struct" in message and "'+s'" in message
    assert isinstance(raised.value, ValueError)
    # Only selected columns need a supported type.
    assert driftgov.profile(table, columns=["fine"]).column_names == ["fine"]
    with pytest.raises(driftgov.UnsupportedError, match="column 'half'.*float16"):
        driftgov.profile(pa.table({"half": pa.array(np.array([1, 2], np.float16))}))
    with pytest.raises(driftgov.InputError, match="no column 'missing'"):
        driftgov.profile(table, columns=["missing"])


def cli_error(tmp_path, *args):
    reference = tmp_path / "one.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), reference)
    result = run_driftgov("compare", reference, reference, "-q", *args, check=False)
    assert result.returncode == 2, result.stderr
    return result.stderr.strip().removeprefix("driftgov: error: ")


@pytest.mark.parametrize("options, flags, spelled", [
    ({"alpha": 1.5}, ["--alpha", "1.5"], ("--alpha", "alpha")),
    ({"drift_share": 0.0}, ["--drift-share", "0"], ("--drift-share", "drift_share")),
    ({"bins": 1}, ["--bins", "1"], ("--bins", "bins")),
    ({"bins": {"x": 1}}, ["--bins", "x=1"], ("--bins x=...", "bins['x']")),
    ({"exact_limit": -1}, ["--exact-limit", "-1"], ("--exact-limit", "exact_limit")),
    ({"sketch_k": 1}, ["--sketch-k", "1"], ("--sketch-k", "sketch_k")),
    ({"exclude": ["nope"]}, ["--exclude", "nope"], ("--exclude", "exclude")),
    ({"proportion_floor": 2.0}, ["--proportion-floor", "2"], ("--proportion-floor", "proportion_floor")),
    ({"threshold": 0.2}, ["--threshold", "0.2"], ("-", "")),
])
def test_bad_option_raises_value_error_with_the_cli_message(tmp_path, options, flags, spelled):
    expected = cli_error(tmp_path, *flags).replace(*spelled)
    data = pa.table({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError) as raised:
        driftgov.compare(data, data, **options)
    assert str(raised.value) == expected
    assert spelled[1] in str(raised.value)


def test_bad_names_raise_value_error_naming_the_option(tmp_path):
    data = pa.table({"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="correction"):
        driftgov.compare(data, data, correction="sometimes")
    with pytest.raises(ValueError, match=r"test\['x'\]"):
        driftgov.compare(data, data, test={"x": "coin-flip"})
    with pytest.raises(ValueError, match=r"kind\['x'\]"):
        driftgov.profile(data, kind={"x": "ordinal"})
    with pytest.raises(ValueError, match="threads"):
        driftgov.profile(data, threads=-1)
    with pytest.raises(ValueError, match="^threshold without a column needs test; use alpha"):
        driftgov.compare(data, data, threshold=0.2)
    with pytest.raises(TypeError):
        driftgov.compare(data, data, bins="ten")
    with pytest.raises(driftgov.InputError, match="Arrow PyCapsule"):
        driftgov.profile([1, 2, 3])
    missing = tmp_path / "missing" / "profile.json"
    with pytest.raises(driftgov.InputError, match="missing/profile.json: cannot open"):
        driftgov.Profile.load(str(missing))
    # A regular file where a folder is needed: the file system refuses (ENOTDIR), whoever runs the test.
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError) as raised:
        driftgov.profile(data).save(str(tmp_path / "file" / "profile.json"))
    assert isinstance(raised.value, driftgov.StorageError) and str(tmp_path / "file") in str(raised.value)
    assert raised.value.errno == errno.ENOTDIR
    with pytest.raises(driftgov.InputError, match="profile bytes: not valid JSON"):
        driftgov.Profile.from_bytes(b"{not json")


def test_profiling_releases_the_gil():
    rows = 3_000_000
    table = pa.table({"x": np.random.default_rng(1).normal(size=rows), "y": np.arange(rows)})
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=count)
    thread.start()
    started = time.perf_counter()
    driftgov.profile(table, exact_limit=rows, threads=1)
    finished = time.perf_counter()
    stop.set()
    thread.join()
    during = [tick for tick in ticks if started < tick < finished]
    # With the GIL held for the whole call the thread could not tick at all while it ran.
    assert finished - started > 0.05
    assert len(during) >= 10, (len(during), finished - started)


@pytest.mark.interop
def test_wheel_builds_and_installs_in_a_fresh_environment(tmp_path):
    """`pip wheel .` builds the package with the C++ core (through the project's ccache) and the wheel installs and
    imports in a fresh virtual environment."""
    # A fresh CMake build folder beside build/release (the depth ccache's relative paths need to hit the cache).
    build_folder = ROOT / "build" / "python-wheel-test"
    shutil.rmtree(build_folder, ignore_errors=True)
    started = time.monotonic()
    wheels = tmp_path / "wheels"
    try:
        build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-build-isolation", "--no-deps",
                                "-C", f"build-dir={build_folder}", "-w", str(wheels)],
                               capture_output=True, text=True, timeout=3600)
    finally:
        shutil.rmtree(build_folder, ignore_errors=True)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    print(f"pip wheel took {time.monotonic() - started:.0f} s")
    built = list(wheels.glob("driftgov-*.whl"))
    assert len(built) == 1, built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", str(built[0])],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    profile_bytes = driftgov.profile(pa.table({"x": [1.0, 2.0, 4.0]})).to_bytes()
    check = subprocess.run([str(python), "-c", "import sys, driftgov; p = driftgov.Profile.from_bytes(sys.stdin.buffer"
                            ".read()); print(driftgov.__file__, p.row_count, p.column_names)"],
                           input=profile_bytes, capture_output=True, timeout=120, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    location, rows, names = check.stdout.decode().split(" ", 2)
    assert str(venv) in location and rows == "3" and names.strip() == "['x']"
