"""Crash safety: writers killed (SIGKILL) at random instants leave a table that opens at a committed version, whose
rows are exactly those of the committed appends (read by driftgov and by deltalake), with no torn commit files."""
import json
import random
import signal
import subprocess
import time

import pytest

from conftest import driftgov_binary, run_driftgov

pytestmark = pytest.mark.interop

deltalake = pytest.importorskip("deltalake")


def test_killed_writers_leave_a_consistent_table(tmp_path, driftgov):
    table = tmp_path / "t"
    rows_per_write = 20000
    source = tmp_path / "rows.csv"
    source.write_text("id,part\n" + "".join(f"{i},{i % 3}\n" for i in range(rows_per_write)))
    run_driftgov("table", "write", source, table, "--partition-by", "part", "--file-rows", "5000",
                 "--property", "delta.checkpointInterval=4")
    generator = random.Random(20261123)
    killed = 0
    for attempt in range(25):
        process = subprocess.Popen([str(driftgov_binary()), "table", "write", str(source), str(table), "--mode",
                                    "append", "--file-rows", "5000"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(generator.uniform(0.0, 0.25))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        # After every kill the table opens and its row count is whole appends only.
        info = json.loads(run_driftgov("table", "info", table, "--json").stdout)
        records = sum(f["numRecords"] for f in info["files"])
        assert records % rows_per_write == 0, (attempt, records)
    assert killed > 0, "no writer was interrupted; the timing window is too short"
    log = table / "_delta_log"
    commits = sorted(p for p in log.glob("*.json"))
    for commit in commits:
        for line in commit.read_text().splitlines():
            json.loads(line)  # every commit file is whole
    versions = [int(p.name[:20]) for p in commits]
    assert versions == list(range(len(versions)))
    ours = run_driftgov("cat", table, "--format", "jsonl").stdout.splitlines()
    frame = deltalake.DeltaTable(str(table)).to_pandas()
    assert len(ours) == len(frame) == rows_per_write * len(versions)
    assert sorted(frame["id"].value_counts().unique()) == [len(versions)]
