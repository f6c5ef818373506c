"""Many writers commit to one Delta table at once: several `driftgov table write` processes appending and
overwriting partitions (hundreds of commits), then driftgov and deltalake side by side. Afterwards the table must
equal the serial history its commits describe (every committed row present exactly once, rows of failed writers
absent), versions must be contiguous, every commit file valid JSON, and Spark must read the result. Real conflicts
must be reported with Spark's exception names."""
import concurrent.futures
import itertools
import json
import subprocess
import sys
import textwrap
import time

import deltalake
import pyspark  # noqa: F401 - the Spark oracle of these tests
import pytest

from conftest import driftgov_binary, run_driftgov
from delta_oracles import (bag, deltalake_rows, driftgov_rows, spark_rows,
                           spark_session)

pytestmark = pytest.mark.interop


COLUMNS = ["id", "writer", "part"]
SPARK_CONFLICTS = ("ConcurrentAppendException", "ConcurrentDeleteReadException", "ConcurrentDeleteDeleteException",
                   "MetadataChangedException", "ProtocolChangedException", "ConcurrentTransactionException")


class IdSource:
    """Unique ids across every writer thread."""

    def __init__(self):
        self._counter = itertools.count(1)

    def take(self, count):
        return [next(self._counter) for _ in range(count)]


def write_batch(path, rows):
    path.write_text("id,writer,part\n" + "".join(f"{r['id']},{r['writer']},{r['part']}\n" for r in rows))
    return path


def driftgov_write(source, table, *options, timeout=300):
    return subprocess.run([str(driftgov_binary()), "table", "write", str(source), str(table), "--json", *options],
                          capture_output=True, text=True, timeout=timeout)


def log_commits(table):
    """version -> list of actions; every commit file must be valid newline-delimited JSON."""
    commits = {}
    for path in (table / "_delta_log").glob("*.json"):
        if not path.name[:20].isdigit() or path.name != f"{path.name[:20]}.json":
            continue
        actions = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert sum("commitInfo" in action for action in actions) == 1, path.name
        commits[int(path.name[:20])] = actions
    return commits


def replay(operations, commits):
    """The rows the table must hold after the committed operations, in version order, with WriteSerializable
    semantics: a partition overwrite removes the rows of its partition that were in the snapshot it read (a blind
    append committed meanwhile survives, as in Spark)."""
    live = {}  # id -> (row, version added)
    for version in sorted(operations):
        operation = operations[version]
        if operation["kind"] == "overwrite":
            info = next(action["commitInfo"] for action in commits[version] if "commitInfo" in action)
            read_version = info["readVersion"]
            for between in range(read_version + 1, version):
                other = operations.get(between)
                # Only blind appends may land in the overwritten partition unseen; anything else is a conflict.
                if other and other["kind"] != "append":
                    touched = {row["part"] for row in other["rows"]}
                    assert operation["part"] not in touched, (version, between)
            for row_id, (row, added) in list(live.items()):
                if row["part"] == operation["part"] and added <= read_version:
                    del live[row_id]
        for row in operation["rows"]:
            assert row["id"] not in live
            live[row["id"]] = (row, version)
    return [row for row, _ in live.values()]


def check_log_shape(table):
    commits = log_commits(table)
    assert sorted(commits) == list(range(len(commits)))
    assert not any(p.name.endswith(".tmp") for p in (table / "_delta_log").iterdir())
    return commits


def test_driftgov_processes_append_and_overwrite_partitions_at_once(tmp_path, driftgov):
    table = tmp_path / "table"
    ids = IdSource()
    seed = [{"id": i, "writer": -1, "part": f"p{i % 4}"} for i in ids.take(8)]
    first = json.loads(run_driftgov("table", "write", write_batch(tmp_path / "seed.csv", seed), table,
                                    "--partition-by", "part", "--json").stdout)
    operations = {first["version"]: {"kind": "append", "rows": seed}}
    failures = []

    def appender(writer, batches):
        for batch in range(batches):
            rows = [{"id": i, "writer": writer, "part": f"p{(i + batch) % 4}"} for i in ids.take(3)]
            result = driftgov_write(write_batch(tmp_path / f"a{writer}-{batch}.csv", rows), table, "--mode", "append")
            assert result.returncode == 0, result.stderr  # a blind append never conflicts with these writers
            operations[json.loads(result.stdout)["version"]] = {"kind": "append", "rows": rows}

    def overwriter(writer, batches):
        for batch in range(batches):
            part = "p0" if batch % 3 else "p1"
            rows = [{"id": i, "writer": writer, "part": part} for i in ids.take(2)]
            result = driftgov_write(write_batch(tmp_path / f"o{writer}-{batch}.csv", rows), table, "--mode",
                                    "overwrite", "--replace-where", f"part={part}")
            if result.returncode == 0:
                operations[json.loads(result.stdout)["version"]] = {"kind": "overwrite", "part": part, "rows": rows}
            else:
                failures.append((rows, result.stderr))

    jobs = [(appender, writer, 40) for writer in range(4)] + [(overwriter, 10 + writer, 16) for writer in range(2)]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        for future in [pool.submit(*job) for job in jobs]:
            future.result()

    commits = check_log_shape(table)
    assert sorted(operations) == sorted(commits), "every reported version is a commit and every commit was reported"
    appends, overwrites = 4 * 40, 2 * 16
    assert len(commits) == 1 + appends + overwrites - len(failures)
    assert len(failures) < overwrites, "some overwrites must win"
    for _, stderr in failures:
        assert any(name in stderr for name in SPARK_CONFLICTS), stderr
    expected = bag(replay(operations, commits), COLUMNS)
    failed_ids = {row["id"] for rows, _ in failures for row in rows}
    assert not failed_ids & {row[0] for row in expected}
    assert deltalake_rows(table, COLUMNS) == expected
    assert spark_rows(table, COLUMNS) == expected
    assert (table / "_delta_log" / "_last_checkpoint").exists()
    assert driftgov_rows(table, COLUMNS) == expected


DELTALAKE_WRITER = textwrap.dedent("""
    import sys, json
    import pyarrow as pa
    from deltalake import write_deltalake
    table, first_id, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    schema = pa.schema([("id", pa.int64()), ("writer", pa.int64()), ("part", pa.string())])
    for batch in range(batches):
        ids = list(range(first_id + batch * 3, first_id + batch * 3 + 3))
        data = pa.table({"id": ids, "writer": [99] * 3, "part": [f"p{i % 4}" for i in ids]}, schema=schema)
        try:
            write_deltalake(table, data, mode="append")
            print(json.dumps({"ok": ids}), flush=True)
        except Exception as error:
            print(json.dumps({"failed": ids, "error": repr(error)}), flush=True)
""")


def test_driftgov_and_deltalake_append_to_one_table_at_once(tmp_path, driftgov):
    table = tmp_path / "table"
    ids = IdSource()
    seed = [{"id": i, "writer": -1, "part": f"p{i % 4}"} for i in ids.take(4)]
    run_driftgov("table", "write", write_batch(tmp_path / "seed.csv", seed), table, "--partition-by", "part")
    committed = list(seed)
    deltalake_first_id = 1_000_000
    other = subprocess.Popen([sys.executable, "-c", DELTALAKE_WRITER, str(table), str(deltalake_first_id), "40"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def appender(writer, batches):
        written = []
        for batch in range(batches):
            rows = [{"id": i, "writer": writer, "part": f"p{i % 4}"} for i in ids.take(3)]
            result = driftgov_write(write_batch(tmp_path / f"a{writer}-{batch}.csv", rows), table, "--mode", "append")
            assert result.returncode == 0, result.stderr
            written += rows
        return written

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(appender, writer, 30) for writer in range(2)]:
            committed += future.result()
    stdout, stderr = other.communicate(timeout=300)
    assert other.returncode == 0, stderr
    reports = [json.loads(line) for line in stdout.splitlines()]
    assert len(reports) == 40
    failed_ids = set()
    for report in reports:
        if "ok" in report:
            committed += [{"id": i, "writer": 99, "part": f"p{i % 4}"} for i in report["ok"]]
        else:
            failed_ids.update(report["failed"])
    assert sum("ok" in report for report in reports) >= 20, "deltalake should mostly win its retries"
    commits = check_log_shape(table)
    engines = {next(a["commitInfo"].get("engineInfo", a["commitInfo"].get("clientVersion", ""))
                    for a in actions if "commitInfo" in a) for actions in commits.values()}
    assert any(e.startswith("driftgov/") for e in engines) and any(not e.startswith("driftgov/") for e in engines)
    expected = bag(committed, COLUMNS)
    assert not failed_ids & {row[0] for row in expected}
    assert deltalake_rows(table, COLUMNS) == expected
    assert spark_rows(table, COLUMNS) == expected
    assert driftgov_rows(table, COLUMNS) == expected


SLOW_ROWS = 1_000_000


def seeded_table(tmp_path):
    table = tmp_path / "table"
    seed = [{"id": i, "writer": -1, "part": f"p{i % 2}"} for i in range(6)]
    run_driftgov("table", "write", write_batch(tmp_path / "seed.csv", seed), table, "--partition-by", "part")
    return table, seed


def slow_rows_and_others(table):
    """(number of rows of the slow writer, bag of every other row): the slow writer's million rows are counted,
    not compared one by one."""
    data = deltalake.DeltaTable(str(table)).to_pyarrow_table()
    writers = data.column("writer").to_pylist()
    others = [row for row, writer in zip(data.to_pylist(), writers) if writer != 1]
    return writers.count(1), bag(others, COLUMNS)


def start_slow_write(tmp_path, table, *options):
    """Starts a writer with enough rows that it is still writing data files when another commit lands, and waits
    until it has read its snapshot and started writing (its first data file appears)."""
    before = set(table.rglob("*.parquet"))
    source = tmp_path / "slow.csv"
    source.write_text("id,writer,part\n" + "".join(f"{100 + i},1,p0\n" for i in range(SLOW_ROWS)))
    process = subprocess.Popen([str(driftgov_binary()), "table", "write", str(source), str(table), "--json",
                                "--file-rows", "20000", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while not (set(table.rglob("*.parquet")) - before):
        assert process.poll() is None, "the slow writer finished before it could be raced"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    return process


@pytest.mark.parametrize("racer, expected_name", [
    (("--mode", "overwrite", "--replace-where", "part=p0"), "ConcurrentAppendException"),
    (("--mode", "overwrite"), "ConcurrentAppendException"),
    (("--mode", "append", "--app-id", "job", "--app-version", "2"), "ConcurrentTransactionException"),
])
def test_conflicting_overwrite_fails_with_spark_exception_name(tmp_path, driftgov, racer, expected_name):
    table, seed = seeded_table(tmp_path)
    slow = start_slow_write(tmp_path, table, "--mode", "overwrite", "--replace-where", "part=p0",
                            "--app-id", "job", "--app-version", "1")
    winner_rows = [{"id": 10_000_000, "writer": 2, "part": "p0"}]
    winner = driftgov_write(write_batch(tmp_path / "winner.csv", winner_rows), table, *racer)
    assert winner.returncode == 0, winner.stderr
    assert slow.wait(timeout=300) != 0, "the slow overwrite read partition p0, which the winner changed"
    stderr = slow.stderr.read()
    assert expected_name in stderr, stderr
    if "--replace-where" in racer:
        survivors = [row for row in seed if row["part"] != "p0"]
    else:
        survivors = [] if "overwrite" in racer else seed
    assert slow_rows_and_others(table) == (0, bag(winner_rows + survivors, COLUMNS))


def test_overwrite_of_other_partition_and_blind_append_do_not_conflict(tmp_path, driftgov):
    table, seed = seeded_table(tmp_path)
    slow = start_slow_write(tmp_path, table, "--mode", "overwrite", "--replace-where", "part=p0")
    other_partition = [{"id": 20_000_000, "writer": 2, "part": "p1"}]
    appended = [{"id": 30_000_000, "writer": 3, "part": "p0"}]
    assert driftgov_write(write_batch(tmp_path / "o.csv", other_partition), table, "--mode", "overwrite",
                          "--replace-where", "part=p1").returncode == 0
    assert driftgov_write(write_batch(tmp_path / "a.csv", appended), table, "--mode", "append").returncode == 0
    assert slow.wait(timeout=300) == 0, slow.stderr.read()
    result = json.loads(slow.stdout.read())
    assert result["version"] == 3 and result["attempts"] == 2
    # WriteSerializable: the blind append is ordered after the overwrite, so its row survives.
    assert slow_rows_and_others(table) == (SLOW_ROWS, bag(other_partition + appended, COLUMNS))


def test_concurrent_delete_read_is_named(tmp_path, driftgov):
    """A whole-table overwrite that adds only to p1 removes p0's files, which a slow p0 overwrite read."""
    table, seed = seeded_table(tmp_path)
    slow = start_slow_write(tmp_path, table, "--mode", "overwrite", "--replace-where", "part=p0")
    winner_rows = [{"id": 7, "writer": 2, "part": "p1"}]
    assert driftgov_write(write_batch(tmp_path / "w.csv", winner_rows), table, "--mode", "overwrite").returncode == 0
    assert slow.wait(timeout=300) != 0
    assert "ConcurrentDeleteReadException" in slow.stderr.read()
    assert slow_rows_and_others(table) == (0, bag(winner_rows, COLUMNS))
