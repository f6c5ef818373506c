"""`driftgov audit verify` end to end on a real audit-log Delta table of --entries entries (default 1,000,000), as a
process on one core (issue 14's goal: 1M entries in under 10 s).

1. The table is built directly (not by a million CLI calls): each entry chained and signed exactly as
   docs/governance.md specifies (canonical text, SHA-256 with hashlib, Ed25519 with `cryptography`), written with
   deltalake in files of --rows-per-file entries (a compacted log; appends by `driftgov` write one file per entry).
2. `driftgov audit checkpoint --out FILE` (a service principal) signs a checkpoint of all but the newest --after
   entries; then --after more entries are appended.
3. Timed, each as a fresh process pinned to CPU 0 (`taskset -c 0`), CPU time (user + system) from wait4:
   `audit verify --checkpoint FILE` (the checkpoint's prefix attested, the newest entries' signatures checked) and
   `audit verify --all-signatures` (every Ed25519 signature).

Usage: .venv/bin/python bench/audit_verify_bench.py [--driftgov build/release/driftgov] [--entries 1000000]
       [--after 1000] [--repetitions 3] [--work DIR]
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from deltalake import write_deltalake

FIELDS = ("seq", "time", "actor", "action", "target", "subject", "details", "prev_hash")
SCHEMA = pa.schema([pa.field("seq", pa.int64(), False), pa.field("time", pa.timestamp("us", tz="UTC"), False)]
                   + [pa.field(name, pa.string(), False) for name in
                      ("actor", "action", "target", "subject", "details", "prev_hash", "entry_hash", "signature")])
START_US = 1767225600000000  # 2026-01-01T00:00:00Z


def canonical(entry):
    """docs/governance.md, "Canonical serialization"."""
    text = b"driftgov-audit-v1\n"
    for name in FIELDS:
        value = str(entry[name]).encode()
        text += name.encode() + b" " + str(len(value)).encode() + b" " + value + b"\n"
    return text


def entries(key, first_seq, count, previous):
    """`count` monitor-refresh entries from seq `first_seq`, chained after `previous` and signed by `key`."""
    rows = {name: [] for name in SCHEMA.names}
    for seq in range(first_seq, first_seq + count):
        entry = {"seq": seq, "time": START_US + seq * 60_000_000, "actor": "ci", "action": "monitor.refresh",
                 "target": "prod", "subject": "demand_forecast",
                 "details": json.dumps({"monitor": "demand_forecast", "refresh_id": f"{seq:016x}", "state": "SUCCESS",
                                        "table_version_from": seq - 1, "table_version_to": seq},
                                       separators=(",", ":")),
                 "prev_hash": previous}
        entry["entry_hash"] = previous = hashlib.sha256(canonical(entry)).hexdigest()
        entry["signature"] = key.sign(previous.encode()).hex()
        for name in SCHEMA.names:
            rows[name].append(entry[name])
    rows["time"] = [datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc) for us in rows["time"]]
    return pa.table(rows, schema=SCHEMA), previous


def append(table, key, first_seq, count, previous, rows_per_file):
    for begin in range(0, count, rows_per_file):
        batch, previous = entries(key, first_seq + begin, min(rows_per_file, count - begin), previous)
        write_deltalake(str(table), batch, mode="append")
    return previous


def timed(argv, env):
    """(CPU seconds user + system, wall seconds, completed process) of one run pinned to CPU 0."""
    start = time.perf_counter()
    process = subprocess.Popen(["taskset", "-c", "0", *argv], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, wall, subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driftgov", default="build/release/driftgov")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--after", type=int, default=1000, help="entries appended after the checkpoint")
    parser.add_argument("--rows-per-file", type=int, default=100_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--work", help="folder to build in (default: a temporary folder, removed)")
    args = parser.parse_args()
    driftgov = str(Path(args.driftgov).resolve())
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="driftgov-audit-bench-"))
    shutil.rmtree(work / "lake", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    (work / "driftgov.yaml").write_text(f"""project: audit-bench
targets:
  prod: {{mode: production, lakehouse: ./lake, default: true}}
principals:
  ci: {{type: service_principal, public_key: "ed25519:{public}", roles: {{prod: [viewer, operator]}}}}
monitors: {{}}
""")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")},
           "DRIFTGOV_PRINCIPAL": "ci",
           "DRIFTGOV_KEY": "ed25519-secret:" + base64.b64encode(key.private_bytes_raw()).decode()}
    table = work / "lake" / "governance" / "audit_log"
    config = ["--config", str(work / "driftgov.yaml")]

    start = time.perf_counter()
    previous = append(table, key, 1, args.entries - args.after, "0" * 64, args.rows_per_file)
    print(f"built {args.entries - args.after} entries in {time.perf_counter() - start:.1f} s", flush=True)
    checkpoint = work / "checkpoint.json"
    cpu, wall, run = timed([driftgov, "audit", "checkpoint", "--out", str(checkpoint), *config], env)
    assert run.returncode == 0, run.stdout + run.stderr
    print(f"audit checkpoint of {args.entries - args.after} entries: {cpu:.2f} s CPU, {wall:.2f} s wall", flush=True)
    append(table, key, args.entries - args.after + 1, args.after, previous, args.rows_per_file)

    results = {}
    for name, extra in (("audit verify --checkpoint FILE", ["--checkpoint", str(checkpoint)]),
                        ("audit verify --all-signatures", ["--all-signatures"])):
        cpus, walls = [], []
        for _ in range(args.repetitions):
            cpu, wall, run = timed([driftgov, "audit", "verify", *extra, *config], env)
            assert run.returncode == 0 and f"OK: {args.entries} entries" in run.stdout, run.stdout + run.stderr
            cpus.append(cpu)
            walls.append(wall)
        results[name] = {"cpu_s": statistics.median(cpus), "cpu_min_s": min(cpus), "cpu_max_s": max(cpus),
                         "wall_s": statistics.median(walls)}
        print(f"{name}: CPU {results[name]['cpu_s']:.2f} s (median of {args.repetitions}; "
              f"{min(cpus):.2f}-{max(cpus):.2f}), wall {results[name]['wall_s']:.2f} s", flush=True)
    print(json.dumps({"entries": args.entries, "after_checkpoint": args.after, "rows_per_file": args.rows_per_file,
                      "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                      "load": os.getloadavg(), "results": results}, indent=2))
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
