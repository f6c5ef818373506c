"""In-commit timestamps (PROTOCOL.md, "In-Commit Timestamps") in their final form and in Delta 3.2's preview form,
and appends into narrower table columns (Spark's ANSI store assignment, docs/delta.md "Schema").

Time travel by timestamp is checked against Spark's `timestampAsOf` on tables whose commit files were given other
modification times (as a copy or a restore from backup does): Spark answers from the in-commit timestamps, and so
must driftgov, in both forms of the feature."""
import datetime
import json
import os
import random
import shutil

import pytest

from conftest import run_driftgov
from delta_oracles import bag, deltalake_rows, driftgov_rows, spark_session

pytest.importorskip("deltalake")

COMMIT_SUFFIX = ".json"
PREVIEW_PROPERTIES = ("delta.enableInCommitTimestamps", "delta.inCommitTimestampEnablementVersion",
                      "delta.inCommitTimestampEnablementTimestamp")


def _commit_files(table):
    log = table / "_delta_log"
    return sorted(path for path in log.iterdir()
                  if path.name.endswith(COMMIT_SUFFIX) and path.name[:20].isdigit() and len(path.name) == 25)


def _log_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _latest_configuration(table):
    configuration = {}
    for path in _commit_files(table):
        for action in _log_lines(path):
            if "metaData" in action:
                configuration = action["metaData"].get("configuration", {})
    return configuration


def _protocol_timestamps(table):
    """Each commit's timestamp as the protocol's reader recommendations define it, computed here from the log and
    the file system: (version, milliseconds, is an in-commit timestamp)."""
    configuration = _latest_configuration(table)

    def setting(name):
        return configuration.get(name, configuration.get(name + "-preview"))

    enabled = setting("delta.enableInCommitTimestamps") == "true"
    enablement_version = int(setting("delta.inCommitTimestampEnablementVersion") or 0)
    stamps = []
    previous_file_time = None
    for path in _commit_files(table):
        version = int(path.name[:20])
        if enabled and version >= enablement_version:
            infos = [action["commitInfo"] for action in _log_lines(path) if "commitInfo" in action]
            stamps.append((version, infos[0]["inCommitTimestamp"], True))
            continue
        file_time = os.stat(path).st_mtime_ns // 1_000_000
        if previous_file_time is not None and file_time <= previous_file_time:
            file_time = previous_file_time + 1  # Spark makes file times strictly increasing
        previous_file_time = file_time
        stamps.append((version, file_time, False))
    return stamps


def _text(milliseconds):
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{milliseconds % 1000:03d}"


def _spark_ids_as_of(table, milliseconds):
    """The ids Spark reads at `timestampAsOf`, or None when Spark refuses the timestamp."""
    from pyspark.errors import PySparkException
    from py4j.protocol import Py4JJavaError

    try:
        rows = (spark_session().read.format("delta").option("timestampAsOf", _text(milliseconds))
                .load(str(table)).collect())
    except (PySparkException, Py4JJavaError) as error:
        message = str(error)
        assert "timestamp" in message.lower(), message
        return None
    return bag([row.asDict() for row in rows], ["id"])


def _moved_copy(source, destination, preview, file_times_ms):
    """A copy of a table whose commit files carry `file_times_ms`; with `preview` the log says what Delta 3.2
    writes: the writer feature inCommitTimestamp-preview and the -preview table properties."""
    shutil.copytree(source, destination)
    for checksum in (destination / "_delta_log").glob("*.crc"):
        checksum.unlink()  # a checksum repeats metadata and protocol; the rewritten log would contradict it
    if preview:
        for path in _commit_files(destination):
            actions = _log_lines(path)
            for action in actions:
                if "protocol" in action and "writerFeatures" in action["protocol"]:
                    action["protocol"]["writerFeatures"] = [
                        "inCommitTimestamp-preview" if feature == "inCommitTimestamp" else feature
                        for feature in action["protocol"]["writerFeatures"]]
                if "metaData" in action:
                    configuration = action["metaData"]["configuration"]
                    action["metaData"]["configuration"] = {
                        (key + "-preview" if key in PREVIEW_PROPERTIES else key): value
                        for key, value in configuration.items()}
            path.write_text("".join(json.dumps(action, separators=(",", ":")) + "\n" for action in actions))
    for path, milliseconds in zip(_commit_files(destination), file_times_ms):
        os.utime(path, ns=(milliseconds * 1_000_000, milliseconds * 1_000_000))
    return destination


def _append_ids(table, start, count):
    spark_session().range(start, start + count).coalesce(1).write.format("delta").mode("append").save(str(table))


@pytest.fixture(scope="module")
def ict_tables(tmp_path_factory):
    """Spark tables with in-commit timestamps from creation and enabled at version 2; every commit adds a
    distinct number of rows."""
    root = tmp_path_factory.mktemp("ict")
    spark = spark_session()
    from_creation = root / "from_creation"
    (spark.range(0, 10).coalesce(1).write.format("delta").option("delta.enableInCommitTimestamps", "true")
     .save(str(from_creation)))
    _append_ids(from_creation, 10, 20)
    _append_ids(from_creation, 30, 30)
    _append_ids(from_creation, 60, 40)

    enabled_later = root / "enabled_later"
    spark.range(0, 10).coalesce(1).write.format("delta").save(str(enabled_later))
    _append_ids(enabled_later, 10, 20)
    spark.sql(f"ALTER TABLE delta.`{enabled_later}` SET TBLPROPERTIES ('delta.enableInCommitTimestamps' = 'true')")
    _append_ids(enabled_later, 30, 40)
    _append_ids(enabled_later, 70, 50)
    assert _latest_configuration(enabled_later)["delta.inCommitTimestampEnablementVersion"] == "2"
    return {"from_creation": from_creation, "enabled_later": enabled_later}


YEAR_MS = 365 * 86_400_000


@pytest.mark.interop
@pytest.mark.parametrize("name", ["from_creation", "enabled_later"])
def test_time_travel_by_in_commit_timestamp_survives_moved_file_times(ict_tables, tmp_path, name):
    source = ict_tables[name]
    now = _protocol_timestamps(source)[-1][1]
    # File times far in the past and future, shuffled: what a copy or a restore can leave behind.
    file_times = [now + offset for offset in (-20 * YEAR_MS, 15 * YEAR_MS, -3 * YEAR_MS, 40 * YEAR_MS, -86_400_000)]
    random.Random(7).shuffle(file_times)
    final = _moved_copy(source, tmp_path / "final", False, file_times)
    preview = _moved_copy(source, tmp_path / "preview", True, file_times)
    assert any("inCommitTimestamp-preview" in path.read_text() for path in _commit_files(preview))

    stamps = _protocol_timestamps(final)
    assert stamps == _protocol_timestamps(preview)
    enablement = min(version for version, _, in_commit in stamps if in_commit)
    enablement_time = next(ms for version, ms, _ in stamps if version == enablement)
    checked = 0
    for _, stamp, _ in stamps:
        for probe in (stamp - 500, stamp, stamp + 500):
            expected_ids = _spark_ids_as_of(final, probe)
            # The protocol's rule, computed here: from the enablement timestamp on only the commits with
            # in-commit timestamps count, before it only the ones without.
            candidates = [(v, ms) for v, ms, in_commit in stamps if in_commit == (probe >= enablement_time)]
            at_or_before = [v for v, ms in candidates if ms <= probe]
            after_latest = probe >= enablement_time and probe > stamps[-1][1]
            expected_version = None if not at_or_before or after_latest else at_or_before[-1]
            assert (expected_version is None) == (expected_ids is None), (probe, expected_version)
            for table in (final, preview):
                source_name = f"{table}@ts={_text(probe)}Z"
                info = run_driftgov("table", "info", source_name, "--json", check=False)
                if expected_version is None:
                    assert info.returncode != 0, (source_name, info.stdout)
                    assert "timestamp" in info.stderr, info.stderr
                    continue
                assert info.returncode == 0, info.stderr
                assert json.loads(info.stdout)["version"] == expected_version, (source_name, stamps)
                assert driftgov_rows(source_name, ["id"]) == expected_ids
                assert deltalake_rows(table, ["id"], version=expected_version) == expected_ids
                checked += 1
    assert checked >= 2 * len(stamps)

    # History shows the same timestamps: in-commit ones where they exist.
    for table in (final, preview):
        history = json.loads(run_driftgov("table", "history", table, "--json").stdout)
        shown = {entry["version"]: entry["timestamp"] for entry in history}
        for version, stamp, _ in stamps:
            assert shown[version] == _text(stamp).replace(" ", "T") + "Z", (version, shown, stamps)


@pytest.mark.interop
@pytest.mark.parametrize("preview", [False, True], ids=["final", "preview"])
def test_driftgov_refuses_to_append_to_in_commit_timestamp_tables(ict_tables, tmp_path, preview):
    """driftgov does not write in-commit timestamps, so it must not commit to a table that requires them."""
    source = ict_tables["from_creation"]
    table = _moved_copy(source, tmp_path / "table", preview, [0] * len(_commit_files(source)))
    before = [path.name for path in _commit_files(table)]
    data = tmp_path / "more.csv"
    data.write_text("id\n1000\n1001\n")
    result = run_driftgov("table", "write", data, table, "--mode", "append", check=False)
    assert result.returncode != 0
    feature = "inCommitTimestamp-preview" if preview else "inCommitTimestamp"
    assert f"'{feature}'" in result.stderr, result.stderr
    assert [path.name for path in _commit_files(table)] == before
    assert sorted(path.name for path in table.glob("*.parquet")) == sorted(path.name for path in source.glob("*.parquet"))
