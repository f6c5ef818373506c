"""A full disk is a storage failure, not bad input: every writing verb exits 4 naming the output path and the
system's reason, and leaves the previous state (no half file under the final name, no temporary file).

The disk is a real tmpfs of 64 KiB mounted for the test; it needs root and a kernel that lets the test mount
one, and is skipped otherwise with the reason.

A checkpoint that fails after its commit is the exception: the write succeeded, so it exits 0 with a warning.
"""
import contextlib
import errno
import json
import os
import subprocess
from pathlib import Path

import deltalake
import numpy as np
import pyarrow.csv
import pytest

from conftest import run_driftgov

TMPFS_BYTES = 64 * 1024


@contextlib.contextmanager
def tmpfs(mount_point: Path, options: str):
    """A tmpfs mounted at `mount_point` for the block; skips the test, naming the reason, when it cannot be."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs holding `previous.txt`, filled so that less than one 4 KiB page is free."""
    with tmpfs(tmp_path / "disk", f"size={TMPFS_BYTES}") as mount_point:
        (mount_point / "previous.txt").write_text("previous contents\n")
        fillers = 0
        while True:
            try:
                (mount_point / f"filler-{fillers}").write_bytes(b"\0" * 4096)
                fillers += 1
            except OSError as error:
                assert error.errno == errno.ENOSPC
                (mount_point / f"filler-{fillers}").unlink(missing_ok=True)
                break
        assert fillers > 0
        yield mount_point


def write_inputs(folder: Path):
    """Two CSV files of 20000 rows of random doubles (incompressible, so every output passes 4 KiB)."""
    generator = np.random.default_rng(7)
    paths = []
    for name, shift in (("reference.csv", 0.0), ("current.csv", 0.5)):
        values = generator.normal(shift, 1.0, size=(20000, 4))
        lines = ["a,b,c,d"] + [",".join(f"{value:.17g}" for value in row) for row in values]
        path = folder / name
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def files_on(disk: Path):
    return sorted(str(path.relative_to(disk)) for path in disk.rglob("*") if path.is_file())


@pytest.mark.parametrize("verb", ["convert-csv", "convert-parquet", "convert-delta", "profile", "compare-json"])
def test_full_disk_exits_4_and_leaves_the_previous_state(full_disk, tmp_path, verb):
    reference, current = write_inputs(tmp_path)
    before = files_on(full_disk)
    commands = {
        "convert-csv": (full_disk / "out.csv", ["convert", reference, full_disk / "out.csv"]),
        "convert-parquet": (full_disk / "out.parquet", ["convert", reference, full_disk / "out.parquet"]),
        "convert-delta": (full_disk / "table", ["convert", reference, full_disk / "table"]),
        "profile": (full_disk / "reference.json", ["profile", reference, "--output", full_disk / "reference.json"]),
        "compare-json": (full_disk / "result.json", ["compare", reference, current, "--json", full_disk / "result.json"]),
    }
    output, arguments = commands[verb]
    result = run_driftgov(*arguments, check=False)
    assert result.returncode == 4, result.stderr
    assert str(output) in result.stderr
    assert os.strerror(errno.ENOSPC) in result.stderr
    assert (full_disk / "previous.txt").read_text() == "previous contents\n"
    assert files_on(full_disk) == before  # no half file, no temporary file


def test_read_only_file_system_exits_4(tmp_path):
    reference, _ = write_inputs(tmp_path)
    with tmpfs(tmp_path / "readonly", f"ro,size={TMPFS_BYTES}") as mount_point:
        output = mount_point / "out.parquet"
        result = run_driftgov("convert", reference, output, check=False)
        assert result.returncode == 4, result.stderr
        assert str(output) in result.stderr
        assert os.strerror(errno.EROFS) in result.stderr


def test_checkpoint_failing_after_the_commit_is_a_warning(tmp_path):
    """The commit stands when the checkpoint after it cannot be written (Spark logs such a failure and goes on):
    exit 0, a warning on stderr naming the checkpoint and the system's reason, every row readable by deltalake,
    no temporary file. A folder where the checkpoint file would go makes its rename into place fail (EISDIR)."""
    source = tmp_path / "rows.csv"
    source.write_text("id,label\n1,a\n2,b\n3,c\n")
    table = tmp_path / "table"
    log = table / "_delta_log"
    run_driftgov("convert", source, table, "--property", "delta.checkpointInterval=2")
    run_driftgov("convert", source, table, "--mode", "append")
    (log / "00000000000000000002.checkpoint.parquet").mkdir()
    result = run_driftgov("convert", source, table, "--mode", "append", check=False)
    assert result.returncode == 0, result.stderr
    assert f"{table}: committed version 2" in result.stdout
    warning = result.stderr.strip()
    assert warning.startswith(f"driftgov: warning: {table}: version 2 is committed, but its checkpoint was not written")
    assert str(log / "00000000000000000002.checkpoint.parquet") in warning
    assert os.strerror(errno.EISDIR) in warning
    assert len(warning.splitlines()) == 1

    # `table write --json` says the same in its result.
    run_driftgov("table", "write", source, table, "--mode", "append")
    (log / "00000000000000000004.checkpoint.parquet").mkdir()
    result = run_driftgov("table", "write", source, table, "--mode", "append", "--json", check=False)
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    assert written["version"] == 4 and written["checkpoint"] is False
    assert written["checkpoint_error"].startswith("version 4 is committed, but its checkpoint was not written")
    assert os.strerror(errno.EISDIR) in written["checkpoint_error"]
    assert "driftgov: warning:" in result.stderr

    expected = sorted(pyarrow.csv.read_csv(source).to_pylist() * 5, key=lambda row: (row["id"], row["label"]))
    delta_table = deltalake.DeltaTable(str(table))
    assert delta_table.version() == 4
    assert sorted(delta_table.to_pyarrow_table().to_pylist(), key=lambda row: (row["id"], row["label"])) == expected
    assert not [path for path in table.rglob("*") if path.name.endswith(".tmp")]
