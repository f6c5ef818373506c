"""Crash safety of `driftgov table write`, every outcome checked: writers of appends, partition overwrites and full
overwrites killed with SIGKILL at random instants (seeded), many times, on a table that checkpoints every other
commit. After every kill the table must open in driftgov and deltalake at the same version and hold exactly the rows
of the operations committed so far (a killed write is all or nothing); stray data and temporary files must do no
harm, every commit file is whole, versions have no gap, and the next write must succeed. Spark reads the end
result."""
import json
import random
import signal
import statistics
import subprocess
import time

import deltalake
import pyspark  # noqa: F401 - the Spark oracle of these tests
import pytest

from conftest import driftgov_binary, run_driftgov
from delta_oracles import bag, deltalake_rows, driftgov_info, driftgov_rows, spark_rows

pytestmark = pytest.mark.interop


COLUMNS = ["id", "part", "payload"]
SEED = 20261123
KILLS = 60


def write_batch(path, rows):
    path.write_text("id,part,payload\n" + "".join(f"{r['id']},{r['part']},{r['payload']}\n" for r in rows))
    return path


def batch_rows(first_id, count, random_state):
    return [{"id": first_id + i, "part": f"p{random_state.randrange(3)}", "payload": f"v{random_state.random():.6f}"}
            for i in range(count)]


def writer_command(source, table, operation):
    options = ["--mode", "append"] if operation == "append" else ["--mode", "overwrite"]
    if operation == "replace":
        options += ["--replace-where", "part=p1"]
    return [str(driftgov_binary()), "table", "write", str(source), str(table), "--json", "--file-rows", "400",
            *options]


def apply(rows, operation, batch):
    if operation == "append":
        return rows + batch
    if operation == "replace":
        return [row for row in rows if row["part"] != "p1"] + batch
    return list(batch)


def test_killed_writers_leave_a_committed_version(tmp_path, driftgov):
    random_state = random.Random(SEED)
    table = tmp_path / "table"
    first = batch_rows(0, 50, random_state)
    run_driftgov("table", "write", write_batch(tmp_path / "first.csv", first), table, "--partition-by", "part",
                 "--property", "delta.checkpointInterval=2")
    rows, version, next_id = list(first), 0, 1000

    # How long an undisturbed write takes here, so that kill delays cover every phase of a write.
    durations = []
    for attempt in range(3):
        batch = batch_rows(next_id, 900, random_state)
        next_id += 1000
        started = time.monotonic()
        subprocess.run(writer_command(write_batch(tmp_path / f"t{attempt}.csv", batch), table, "append"), check=True,
                       capture_output=True)
        durations.append(time.monotonic() - started)
        rows, version = apply(rows, "append", batch), version + 1
    typical = statistics.median(durations)

    outcomes = {"killed before commit": 0, "killed after commit": 0, "finished": 0}
    for kill in range(KILLS):
        operation = random_state.choice(["append"] * 5 + ["replace", "overwrite"])
        batch = batch_rows(next_id, random_state.choice([1, 40, 900]), random_state)
        if operation == "replace":
            batch = [row | {"part": "p1"} for row in batch]
        next_id += 1000
        process = subprocess.Popen(writer_command(write_batch(tmp_path / f"k{kill}.csv", batch), table, operation),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(random_state.uniform(0, 1.3 * typical))
        process.send_signal(signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
        latest = driftgov_info(table)["version"]
        assert deltalake.DeltaTable(str(table)).version() == latest, f"kill {kill}"
        if process.returncode == 0:
            assert json.loads(stdout)["version"] == version + 1, stderr
            outcomes["finished"] += 1
        else:
            assert process.returncode == -signal.SIGKILL, stderr
            assert latest in (version, version + 1), f"kill {kill}"
            outcomes["killed after commit" if latest == version + 1 else "killed before commit"] += 1
        if latest == version + 1:
            rows, version = apply(rows, operation, batch), latest
        assert deltalake_rows(table, COLUMNS) == bag(rows, COLUMNS), f"kill {kill} ({operation})"
        if kill % 10 == 0:
            assert driftgov_rows(table, COLUMNS) == bag(rows, COLUMNS), f"kill {kill}"
        info = driftgov_info(table)
        assert sum(f["numRecords"] for f in info["files"]) == len(rows)

    assert outcomes["killed before commit"] >= 5 and outcomes["finished"] >= 3, outcomes
    # Stray files of dead writers are still there, and no reader counts them.
    referenced = {f["path"] for f in driftgov_info(table)["files"]}
    on_disk = {str(p.relative_to(table)) for p in table.rglob("*.parquet") if "_delta_log" not in p.parts}
    assert on_disk - {deltalake_path for deltalake_path in _decoded(referenced)}, "expected stray data files"

    # No torn commit: every line of every commit file is a whole JSON action, and versions have no gap.
    commits = sorted((table / "_delta_log").glob("*.json"))
    for commit in commits:
        for line in commit.read_text().splitlines():
            json.loads(line)
    assert [int(path.name[:20]) for path in commits] == list(range(version + 1))

    final = batch_rows(next_id, 10, random_state)
    run_driftgov("table", "write", write_batch(tmp_path / "final.csv", final), table, "--mode", "append")
    rows, version = rows + final, version + 1
    assert driftgov_info(table)["version"] == version
    assert deltalake_rows(table, COLUMNS) == bag(rows, COLUMNS)
    assert spark_rows(table, COLUMNS) == bag(rows, COLUMNS)
    assert driftgov_rows(table, COLUMNS) == bag(rows, COLUMNS)


def _decoded(paths):
    from urllib.parse import unquote

    return {unquote(path) for path in paths}
