"""Principals' keys, role refusals and the signed, hash-chained audit log (docs/governance.md).

Oracles independent of driftgov: file modes from os.stat; Ed25519 from Python's `cryptography` (keys derived from
the seed, signatures verified with Ed25519PublicKey.verify); entry hashes recomputed with hashlib from the canonical
serialization docs/governance.md documents; tampering done with pyarrow and deltalake, each caught by
`driftgov audit verify`, which names the entry.
"""
import base64
import hashlib
import json
import os
import stat
import subprocess

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from deltalake import DeltaTable, write_deltalake

from conftest import tool_binary
from governance_oracles import public_text, run, secret_text

EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6
EXIT_AUDIT_INVALID = 7


def canonical(entry):
    """docs/governance.md, "Canonical serialization"."""
    text = b"driftgov-audit-v1\n"
    for name in ("seq", "time", "actor", "action", "target", "subject", "details", "prev_hash"):
        value = str(entry[name]).encode()
        text += name.encode() + b" " + str(len(value)).encode() + b" " + value + b"\n"
    return text


@pytest.fixture
def project(tmp_path, driftgov):
    """A project with three principals: alice (viewer, operator on prod), bob (viewer only), carol (no roles), and a
    snapshot monitor over a small Delta table."""
    keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 1]) * 32)
            for index, name in enumerate(["alice", "bob", "carol", "mallory"])}
    write_deltalake(str(tmp_path / "lake" / "sales"),
                    pa.table({"price": [1.0, 2.0, 3.0, 4.0], "region": ["n", "s", "n", "w"]}))
    (tmp_path / "driftgov.yaml").write_text(f"""project: governance-test
targets:
  dev: {{mode: development, lakehouse: ./dev-lake}}
  prod: {{mode: production, lakehouse: ./lake, default: true}}
principals:
  alice:
    type: user
    public_key: "{public_text(keys['alice'])}"
    roles: {{prod: [viewer, operator], dev: [admin]}}
  bob:
    type: user
    public_key: "{public_text(keys['bob'])}"
    roles: {{prod: [viewer]}}
  carol:
    type: service_principal
    public_key: "{public_text(keys['carol'])}"
monitors:
  sales:
    table: sales
""")
    return tmp_path, keys


def audit(project_dir, *args, env=None):
    return run("audit", *args, "--config", project_dir / "driftgov.yaml", env=env)


def append(project_dir, key, actor="alice", subject="s", details='{"n": 1}'):
    result = run(project_dir / "lake" / "governance" / "audit_log", actor, "test.action", "prod", subject, details,
                 env={"DRIFTGOV_KEY": secret_text(key)}, tool="audit_append_probe")
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def entries(project_dir):
    result = audit(project_dir, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def table_rows(project_dir):
    return DeltaTable(str(project_dir / "lake" / "governance" / "audit_log")).to_pyarrow_table().to_pylist()


def rewrite_table(project_dir, rows):
    path = project_dir / "lake" / "governance" / "audit_log"
    schema = DeltaTable(str(path)).to_pyarrow_table().schema
    write_deltalake(str(path), pa.Table.from_pylist(rows, schema=schema), mode="overwrite")


def verify_fails_at(project_dir, seq, words):
    result = audit(project_dir, "verify")
    assert result.returncode == EXIT_AUDIT_INVALID, result.stdout + result.stderr
    assert f"entry seq {seq}:" in result.stdout, result.stdout
    assert words in result.stdout, result.stdout


# ------------------------------------------------------------------------------------------------------ keys

def test_keygen_writes_an_owner_only_key_that_cryptography_derives_the_same_public_key_from(tmp_path, driftgov):
    result = run("principal", "keygen", "ci-bot", "--out", tmp_path / "keys")
    assert result.returncode == 0, result.stderr
    key_file, pub_file = tmp_path / "keys" / "ci-bot.key", tmp_path / "keys" / "ci-bot.pub"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(pub_file).st_mode) == 0o666 & ~umask  # an ordinary file, readable by others
    secret = key_file.read_text().strip()
    assert secret.startswith("ed25519-secret:")
    seed = base64.b64decode(secret.split(":", 1)[1], validate=True)
    assert len(seed) == 32
    expected_public = public_text(Ed25519PrivateKey.from_private_bytes(seed))
    assert pub_file.read_text().strip() == expected_public
    assert f'public_key: "{expected_public}"' in result.stdout
    # No temporary file is left beside the keys, and an existing key is never replaced.
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["ci-bot.key", "ci-bot.pub"]
    again = run("principal", "keygen", "ci-bot", "--out", tmp_path / "keys")
    assert again.returncode == EXIT_INPUT and "exists already" in again.stderr
    assert key_file.read_text().strip() == secret


def test_a_group_readable_key_file_is_refused_naming_file_mode_and_fix(project):
    folder, keys = project
    key_file = folder / "alice.key"
    key_file.write_text(secret_text(keys["alice"]))
    key_file.chmod(0o644)
    result = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--as", "alice",
                 env={"DRIFTGOV_KEY_FILE": str(key_file)})
    assert result.returncode == EXIT_INPUT, result.stderr
    assert str(key_file) in result.stderr and "0644" in result.stderr and f"chmod 600 {key_file}" in result.stderr
    assert not (folder / "lake" / "monitoring").exists()  # refused before refreshing
    key_file.chmod(0o600)
    result = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--as", "alice",
                 env={"DRIFTGOV_KEY_FILE": str(key_file)})
    assert result.returncode == 0, result.stderr


def test_a_key_that_is_not_the_principals_is_refused_naming_both_keys(project):
    folder, keys = project
    result = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml",
                 env={"DRIFTGOV_PRINCIPAL": "alice", "DRIFTGOV_KEY": secret_text(keys["mallory"])})
    assert result.returncode == EXIT_INPUT, result.stderr
    assert public_text(keys["mallory"]) in result.stderr and public_text(keys["alice"]) in result.stderr
    assert "'alice'" in result.stderr
    assert not (folder / "lake" / "monitoring").exists()


def test_monitor_run_with_a_ci_secret_signs_one_audit_entry_per_refresh(project):
    folder, keys = project
    env = {"DRIFTGOV_PRINCIPAL": "alice", "DRIFTGOV_KEY": secret_text(keys["alice"])}
    first = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--json", env=env)
    assert first.returncode == 0, first.stderr
    refresh_id = json.loads(first.stdout)[0]["refresh_id"]
    # No new commit: the refresh writes nothing and logs nothing.
    assert run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", env=env).returncode == 0
    write_deltalake(str(folder / "lake" / "sales"), pa.table({"price": [5.0], "region": ["s"]}), mode="append")
    second = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--json", env=env)
    assert second.returncode == 0, second.stderr
    logged = entries(folder)
    assert [e["seq"] for e in logged] == [1, 2]
    assert [e["action"] for e in logged] == ["monitor.refresh"] * 2
    assert {e["actor"] for e in logged} == {"alice"} and {e["target"] for e in logged} == {"prod"}
    details = [json.loads(e["details"]) for e in logged]
    assert details[0]["refresh_id"] == refresh_id and details[0]["monitor"] == "sales"
    assert (details[0]["table_version_to"], details[1]["table_version_to"]) == (0, 1)
    assert run("audit", "verify", "--config", folder / "driftgov.yaml").stdout.strip() == "OK: 2 entries"


# ------------------------------------------------------------------------------------------ the chain, by oracle

def test_entry_hashes_chain_and_signatures_verify_with_hashlib_and_cryptography(project):
    folder, keys = project
    for index in range(3):
        append(folder, keys["alice"], subject=f"subject {index} é", details=json.dumps({"i": index, "text": "a\nb"}))
    rows = sorted(table_rows(folder), key=lambda row: row["seq"])
    assert [row["seq"] for row in rows] == [1, 2, 3]
    previous = "0" * 64
    public_key = keys["alice"].public_key()
    for row in rows:
        fields = dict(row)
        fields["time"] = int(pd.Timestamp(row["time"]).value // 1000)  # microseconds since the epoch
        assert row["prev_hash"] == previous
        assert hashlib.sha256(canonical(fields)).hexdigest() == row["entry_hash"]
        public_key.verify(bytes.fromhex(row["signature"]), row["entry_hash"].encode())  # raises when invalid
        previous = row["entry_hash"]
    assert audit(folder, "verify").stdout.strip() == "OK: 3 entries"


# ------------------------------------------------------------------------------------------------- tampering

@pytest.fixture
def log5(project):
    folder, keys = project
    for index in range(1, 6):
        append(folder, keys["alice"], subject=f"s{index}")
    assert audit(folder, "verify").returncode == 0
    return folder, keys


def test_a_single_byte_edit_in_a_data_file_is_caught(log5):
    folder, _ = log5
    table = DeltaTable(str(folder / "lake" / "governance" / "audit_log"))
    edited = 0
    for uri in table.file_uris():
        path = uri.removeprefix("file://")
        data = pq.read_table(path)
        if 3 in data.column("seq").to_pylist():
            subjects = ["s4" if s == "s3" else s for s in data.column("subject").to_pylist()]
            data = data.set_column(data.schema.get_field_index("subject"), data.schema.field("subject"),
                                   pa.array(subjects, pa.string()))
            pq.write_table(data, path)  # same file name
            edited += 1
    assert edited == 1
    verify_fails_at(folder, 3, "edited")


def test_a_dropped_entry_is_caught(log5):
    folder, _ = log5
    rewrite_table(folder, [row for row in table_rows(folder) if row["seq"] != 3])
    verify_fails_at(folder, 3, "missing")


def test_swapped_entries_are_caught(log5):
    folder, _ = log5
    rows = table_rows(folder)
    for row in rows:
        row["seq"] = {2: 3, 3: 2}.get(row["seq"], row["seq"])
    rewrite_table(folder, rows)
    verify_fails_at(folder, 2, "edited")


def test_a_reordering_with_recomputed_hashes_is_caught_by_the_signature(log5):
    folder, _ = log5
    rows = sorted(table_rows(folder), key=lambda row: row["seq"])
    rows[1], rows[2] = rows[2], rows[1]
    rewrite_table(folder, rechain(rows))
    verify_fails_at(folder, 2, "signature is not valid for actor 'alice'")


def test_a_duplicated_entry_is_caught(log5):
    folder, _ = log5
    rows = table_rows(folder)
    rewrite_table(folder, rows + [next(row for row in rows if row["seq"] == 4)])
    verify_fails_at(folder, 4, "more than once")


def rechain(rows):
    """What a forger can do without keys: renumber the rows in order and recompute prev_hash and entry_hash."""
    previous = "0" * 64
    for seq, row in enumerate(rows, start=1):
        row["seq"], row["prev_hash"] = seq, previous
        fields = dict(row, time=int(pd.Timestamp(row["time"]).value // 1000))
        row["entry_hash"] = previous = hashlib.sha256(canonical(fields)).hexdigest()
    return rows


def test_an_inserted_entry_is_caught(log5):
    folder, keys = log5
    rows = sorted(table_rows(folder), key=lambda row: row["seq"])
    forged = dict(rows[1], subject="forged")
    rows = rechain(rows[:2] + [forged] + rows[2:])
    rows[2]["signature"] = keys["alice"].sign(rows[2]["entry_hash"].encode()).hex()  # even with alice's own key
    rewrite_table(folder, rows)
    # The forged entry itself is sound; the entries after it were renumbered, which only their signer could sign.
    verify_fails_at(folder, 4, "signature is not valid for actor 'alice'")


def test_an_entry_signed_with_another_key_is_caught(log5):
    folder, keys = log5
    assert append(folder, keys["mallory"], actor="alice") == 6
    verify_fails_at(folder, 6, f"signature is not valid for actor 'alice' (public key {public_text(keys['alice'])})")


def test_an_entry_by_an_unknown_actor_is_caught(log5):
    folder, keys = log5
    append(folder, keys["mallory"], actor="mallory")
    verify_fails_at(folder, 6, "actor 'mallory' is not a principal")


# --------------------------------------------------------------------------------------------------- refusals

def test_role_refusals_name_principal_role_and_target(project):
    folder, keys = project
    config = folder / "driftgov.yaml"
    # bob holds viewer on prod only: he may read the log but not run a monitor there.
    assert run("audit", "log", "--config", config, "--as", "bob").returncode == 0
    refused = run("monitor", "run", "sales", "--config", config, "--as", "bob",
                  env={"DRIFTGOV_KEY": secret_text(keys["bob"])})
    assert refused.returncode == EXIT_ACCESS_DENIED
    assert "principal 'bob' needs role 'operator' on target 'prod'" in refused.stderr
    # carol holds nothing; alice is admin on dev, but admin does not imply viewer.
    for who, target in (("carol", "prod"), ("alice", "dev")):
        refused = run("audit", "verify", "--config", config, "--target", target, env={"DRIFTGOV_PRINCIPAL": who})
        assert refused.returncode == EXIT_ACCESS_DENIED
        assert f"principal '{who}' needs role 'viewer' on target '{target}'" in refused.stderr
    unknown = run("audit", "log", "--config", config, "--as", "alcie")
    assert unknown.returncode == EXIT_INPUT and "did you mean 'alice'" in unknown.stderr
    assert not (folder / "lake" / "monitoring").exists()


def test_concurrent_appends_stay_one_chain(project):
    folder, keys = project
    table = folder / "lake" / "governance" / "audit_log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    environment["DRIFTGOV_KEY"] = secret_text(keys["alice"])
    script = " ; ".join(f"{tool_binary('audit_append_probe')} {table} alice test.action prod w{{}}-{i} '{{{{}}}}'"
                        for i in range(5))
    writers = [subprocess.Popen(["sh", "-c", script.format(*[w] * 5)], env=environment, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for w in range(4)]
    seqs = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        seqs += [int(line) for line in out.split()]
    assert sorted(seqs) == list(range(1, 21))  # every append got its own seq
    rows = table_rows(folder)
    assert sorted(row["seq"] for row in rows) == list(range(1, 21))
    assert sorted(row["subject"] for row in rows) == sorted(f"w{w}-{i}" for w in range(4) for i in range(5))
    assert audit(folder, "verify").stdout.strip() == "OK: 20 entries"
