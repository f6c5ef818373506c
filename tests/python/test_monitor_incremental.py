"""Incremental refreshes (`driftgov monitor run`) give the tables of a full refresh: random sequences of appends,
deletes, overwrites and late label fills made with deltalake, refreshed after each step on target `dev` and
compared with one `--full` refresh on target `full` of the same table. A refresh with nothing new writes nothing;
a refresh killed at any moment leaves readable tables that the next refresh completes; two refreshes at once never
duplicate a row."""
import datetime
import re
import signal
import subprocess
import time

import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import driftgov_binary, run_driftgov
from monitor_oracles import (DRIFT_KEY, PROFILE_KEY, UTC, baseline_of, compare_with_full, keyed, output_table,
                             random_log, read_rows, run_monitor, write_config)

OUTPUTS = ("profile_metrics", "drift_metrics", "breaches")
START = datetime.datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
BREACH = "    breach: [{metric: population_stability_index, op: \">=\", value: 0.25}]\n"


def stamps(rng, n, first_day, days, null_share=0.01):
    out = []
    for _ in range(n):
        if rng.random() < null_share:
            out.append(None)
        else:
            out.append(START + datetime.timedelta(days=first_day, seconds=int(rng.integers(0, days * 86400))))
    return out


def make_monitor(tmp_path, rng, n=300, days=8, granularities=("1 day", "1 week")):
    first = random_log(rng, stamps(rng, n, 0, days))
    write_deltalake(str(tmp_path / "log"), first)
    write_deltalake(str(tmp_path / "train"), baseline_of(random_log(rng, [None] * 200)))
    return write_config(tmp_path, tmp_path / "log", tmp_path / "train", granularities,
                        ["region", "price > 100"], extra=BREACH)


STEPS = ["append", "append_late", "delete", "overwrite", "fill_labels", "update_feature"]


def random_step(rng, table_path, step, kind):
    """One change of the monitored table; returns its description."""
    table = DeltaTable(str(table_path))
    if kind == "append":  # new days
        write_deltalake(str(table_path), random_log(rng, stamps(rng, int(rng.integers(1, 80)), 8 + step, 2)),
                        mode="append")
    elif kind == "append_late":  # rows of old windows
        write_deltalake(str(table_path), random_log(rng, stamps(rng, int(rng.integers(1, 40)), 0, 8)), mode="append")
    elif kind == "delete":
        predicate = str(rng.choice(["qty = 3", "region = 'east'", "price > 150", "promo = 'maybe' AND qty < 2"]))
        table.delete(predicate)
        kind += f" {predicate}"
    elif kind == "overwrite":
        write_deltalake(str(table_path), random_log(rng, stamps(rng, 200, int(rng.integers(0, 4)), 6)),
                        mode="overwrite")
    elif kind == "fill_labels":  # labels arriving late, for some rows
        qty = int(rng.integers(0, 6))
        table.update(predicate=f"label IS NULL AND qty = {qty}", updates={"label": "4.5"})
        kind += f" qty={qty}"
    else:
        table.update(predicate="region = 'north'", updates={"promo": "'yes'"})
    return kind


@pytest.mark.parametrize("seed,granularities", [(11, ["1 day", "1 week"]), (12, ["1 week", "1 month"]),
                                                (13, ["1 day", "1 month"])])
def test_incremental_refreshes_equal_a_full_refresh(tmp_path, seed, granularities):
    """Every kind of change once, in a random order, then random ones."""
    rng = np.random.default_rng(seed)
    config = make_monitor(tmp_path, rng, granularities=granularities)
    summary = run_monitor(config)
    assert summary["full_refresh"] and summary["state"] == "SUCCESS"
    history = []
    kinds = list(rng.permutation(STEPS)) + list(rng.choice(STEPS, 2))
    for step, kind in enumerate(kinds):
        version = DeltaTable(str(tmp_path / "log")).version()
        history.append(random_step(rng, tmp_path / "log", step, kind))
        summary = run_monitor(config)
        if DeltaTable(str(tmp_path / "log")).version() == version:  # a delete or update that matched nothing
            assert summary["state"] == "UP_TO_DATE", history
        else:
            assert summary["state"] == "SUCCESS" and not summary["full_refresh"], history
        compare_with_full(tmp_path, config)


def test_incremental_refresh_reads_only_new_files(tmp_path):
    rng = np.random.default_rng(5)
    config = make_monitor(tmp_path, rng)
    run_monitor(config)
    write_deltalake(str(tmp_path / "log"), random_log(rng, stamps(rng, 17, 9, 1, null_share=0)), mode="append")
    summary = run_monitor(config)
    assert (summary["rows_read"], summary["files_read"], summary["windows_recomputed"]) == (17, 1, 0)
    compare_with_full(tmp_path, config)


def output_versions(tmp_path):
    tables = [output_table(tmp_path, name) for name in OUTPUTS]
    tables += [tmp_path / "lake" / "monitoring" / "refreshes", tmp_path / "lake" / "monitoring" / "_driftgov" / "m_state"]
    return {str(t): DeltaTable(str(t)).version() for t in tables}


def test_refresh_without_a_new_commit_writes_nothing(tmp_path):
    rng = np.random.default_rng(3)
    config = make_monitor(tmp_path, rng)
    run_monitor(config)
    before = output_versions(tmp_path)
    result = run_driftgov("monitor", "run", "m", "--config", config)
    assert "up to date" in result.stdout
    summary = run_monitor(config)
    assert summary["state"] == "UP_TO_DATE"
    assert output_versions(tmp_path) == before
    # A commit that changes nothing of the data (an empty delete) is a new version: processed once, then up to date.
    DeltaTable(str(tmp_path / "log")).delete("qty = 99")
    if DeltaTable(str(tmp_path / "log")).version() > 0:
        run_monitor(config)
        assert run_monitor(config)["state"] == "UP_TO_DATE"


# ---------------------------------------------------------------------------------------------------------------
# Killed and concurrent refreshes

def big_monitor(tmp_path, rows=30_000):
    rng = np.random.default_rng(99)
    n = rows
    ts = START + np.arange(n) * datetime.timedelta(seconds=20 * 86400 // n)
    table = pa.table({
        "ts": pa.array(ts.tolist(), type=pa.timestamp("us", tz="UTC")),
        "region": pa.array(rng.choice(["north", "south", "east", "west"], n)),
        "price": pa.array(rng.normal(100, 30, n)),
        "qty": pa.array(rng.integers(0, 6, n)),
        "promo": pa.array(rng.choice(["yes", "no"], n)),
        "model_version": pa.array(rng.choice(["v1", "v2"], n)),
        "prediction": pa.array(rng.normal(5, 1, n)),
        "label": pa.array(rng.normal(5, 1, n)),
    })
    write_deltalake(str(tmp_path / "log"), table)
    write_deltalake(str(tmp_path / "train"), baseline_of(table.slice(0, 5000)))
    return write_config(tmp_path, tmp_path / "log", tmp_path / "train", ["1 day", "1 week"],
                        ["region", "price > 100"], extra=BREACH)


def start_refresh(config, *args):
    return subprocess.Popen([str(driftgov_binary()), "monitor", "run", "m", "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def has_a_committed_version(path):
    # A writer killed during a table's first commit leaves _delta_log with a temporary file and no version: that is
    # no table yet (the Delta protocol's tables begin at 00000000000000000000.json), and the next refresh creates it.
    log = path / "_delta_log"
    return log.is_dir() and any(re.fullmatch(r"\d{20}\.json", entry.name) for entry in log.iterdir())


def assert_readable_without_duplicates(tmp_path):
    for name, key in (("profile_metrics", PROFILE_KEY), ("drift_metrics", DRIFT_KEY), ("breaches", ("breach_id",))):
        path = output_table(tmp_path, name)
        if has_a_committed_version(path):
            keyed(read_rows(path), key)
    for path in (tmp_path / "lake" / "monitoring" / "refreshes", tmp_path / "lake" / "monitoring" / "_driftgov" / "m_state"):
        if has_a_committed_version(path):
            DeltaTable(str(path)).to_pyarrow_table()


def test_killed_refreshes_leave_readable_tables_that_the_next_refresh_completes(tmp_path):
    config = big_monitor(tmp_path)
    began = time.monotonic()
    run_monitor(config, "--target", "full", "--full")
    duration = time.monotonic() - began
    rng = np.random.default_rng(42)
    killed = []
    for attempt in range(6):
        if attempt % 2 == 1:  # a new commit for the next (incremental) refresh to process
            write_deltalake(str(tmp_path / "log"), random_log(rng, stamps(rng, 3000, 10 + attempt, 5)), mode="append")
        process = start_refresh(config, *(["--full"] if attempt == 4 else []))
        time.sleep(float(rng.uniform(0.05, 0.95)) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.returncode == -signal.SIGKILL:
            killed.append(attempt)
        assert_readable_without_duplicates(tmp_path)
    assert killed, "no refresh was killed before it finished"
    summary = run_monitor(config)
    assert summary["state"] in ("SUCCESS", "UP_TO_DATE")
    assert_readable_without_duplicates(tmp_path)
    compare_with_full(tmp_path, config, sketched=True)
    # Every refresh that started has a final state; the killed ones read FAILED "interrupted".
    refreshes = DeltaTable(str(tmp_path / "lake" / "monitoring" / "refreshes")).to_pyarrow_table().to_pylist()
    final = {}
    for row in refreshes:
        if row["monitor_name"] == "m" and row["target"] == "dev":
            if row["state"] not in ("RUNNING", "PENDING") or row["refresh_id"] not in final:
                final[row["refresh_id"]] = row
    interrupted = [r for r in final.values() if r["state"] == "FAILED"]
    assert all(r["state"] in ("SUCCESS", "FAILED") for r in final.values()), final
    assert all("interrupted" in r["message"] for r in interrupted), interrupted
    assert interrupted, f"killed attempts {killed}, yet no refresh reads FAILED"
    history = run_driftgov("monitor", "history", "m", "--config", config).stdout
    for r in interrupted:
        assert r["refresh_id"] in history


def test_two_concurrent_refreshes(tmp_path):
    config = big_monitor(tmp_path, rows=20_000)
    first, second = start_refresh(config), start_refresh(config)
    outcomes = sorted([(p.wait(timeout=300), p.stderr.read()) for p in (first, second)], key=lambda o: o[0])
    assert outcomes[0][0] == 0, outcomes
    assert outcomes[1][0] == 5, outcomes
    assert "being refreshed by another process" in outcomes[1][1]
    assert_readable_without_duplicates(tmp_path)
    # With --wait, the second waits for the first and then finds nothing new (or processes the new commit).
    write_deltalake(str(tmp_path / "log"), random_log(np.random.default_rng(1), stamps(np.random.default_rng(2), 500, 21, 2)),
                    mode="append")
    first, second = start_refresh(config, "--wait", "120"), start_refresh(config, "--wait", "120")
    codes = [p.wait(timeout=300) for p in (first, second)]
    assert codes == [0, 0], [p.stderr.read() for p in (first, second)]
    assert_readable_without_duplicates(tmp_path)
    compare_with_full(tmp_path, config, sketched=True)
