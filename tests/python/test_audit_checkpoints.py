"""Signed checkpoints of the audit log (docs/governance.md, "Checkpoints").

Oracles independent of driftgov: the Merkle tree hash is recomputed here from RFC 9162, section 2.1.1 with hashlib;
the checkpoint hash from its documented canonical text; the signature checked with Python's `cryptography`.
Truncation and forgery are done with deltalake and by hand, and caught by `driftgov audit verify`.
"""
import hashlib
import json

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake

from governance_oracles import public_text, run, secret_text

EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6
EXIT_INVALID = 7


def mth(leaves):
    """RFC 9162, 2.1.1: the Merkle Tree Hash of a list of byte strings."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def canonical(checkpoint):
    text = b"driftgov-audit-checkpoint-v1\n"
    for name in ("target", "tree_size", "root_hash", "time", "signer"):
        value = str(checkpoint[name]).encode()
        text += name.encode() + b" " + str(len(value)).encode() + b" " + value + b"\n"
    return text


@pytest.fixture
def project(tmp_path, driftgov):
    """alice (a user) and ci (a service principal) both operate prod; bob only views it."""
    keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 31]) * 32)
            for index, name in enumerate(["alice", "ci", "bob", "mallory"])}
    (tmp_path / "driftgov.yaml").write_text(f"""project: checkpoint-test
targets:
  prod: {{mode: production, lakehouse: ./lake, default: true}}
principals:
  alice: {{type: user, public_key: "{public_text(keys['alice'])}", roles: {{prod: [viewer, operator]}}}}
  ci: {{type: service_principal, public_key: "{public_text(keys['ci'])}", roles: {{prod: [operator]}}}}
  bob: {{type: user, public_key: "{public_text(keys['bob'])}", roles: {{prod: [viewer]}}}}
monitors:
  sales: {{table: sales}}
""")
    return tmp_path, keys


def append(folder, key, count):
    for index in range(count):
        result = run(folder / "lake" / "governance" / "audit_log", "alice", "test.action", "prod", f"s{index}", "{}",
                     env={"DRIFTGOV_KEY": secret_text(key)}, tool="audit_append_probe")
        assert result.returncode == 0, result.stderr


def as_(keys, name):
    return {"DRIFTGOV_PRINCIPAL": name, "DRIFTGOV_KEY": secret_text(keys[name])}


def audit(folder, *args, env=None):
    return run("audit", *args, "--config", folder / "driftgov.yaml", env=env)


def log_rows(folder):
    if not (folder / "lake" / "governance" / "audit_log").exists():
        return []
    rows = DeltaTable(str(folder / "lake" / "governance" / "audit_log")).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda row: row["seq"])


def test_a_checkpoint_signs_the_rfc9162_root_of_the_log(project):
    folder, keys = project
    for size in (0, 1, 5, 6):  # empty, one leaf, an unbalanced tree of 5 (split at 4), then 6
        append(folder, keys["alice"], size - len(log_rows(folder)))
        result = audit(folder, "checkpoint", "--out", folder / f"c{size}.json", env=as_(keys, "ci"))
        assert result.returncode == 0, result.stderr
        checkpoint = json.loads(result.stdout)
        assert json.loads((folder / f"c{size}.json").read_text()) == checkpoint
        rows = log_rows(folder)
        assert checkpoint["tree_size"] == size == len(rows)
        assert checkpoint["root_hash"] == mth([(row["entry_hash"] + row["signature"]).encode() for row in rows]).hex()
        assert (checkpoint["target"], checkpoint["signer"]) == ("prod", "ci")
        assert checkpoint["checkpoint_hash"] == hashlib.sha256(canonical(checkpoint)).hexdigest()
        keys["ci"].public_key().verify(bytes.fromhex(checkpoint["signature"]), checkpoint["checkpoint_hash"].encode())
    stored = DeltaTable(str(folder / "lake" / "governance" / "audit_checkpoints")).to_pyarrow_table().to_pylist()
    assert sorted((row["seq"], row["tree_size"]) for row in stored) == [(1, 0), (2, 1), (3, 5), (4, 6)]
    assert audit(folder, "verify").stdout.strip() == "OK: 6 entries"


def test_truncation_is_caught_given_a_checkpoint(project):
    folder, keys = project
    append(folder, keys["alice"], 5)
    assert audit(folder, "checkpoint", "--out", folder / "c.json", env=as_(keys, "ci")).returncode == 0
    path = str(folder / "lake" / "governance" / "audit_log")
    schema = DeltaTable(path).to_pyarrow_table().schema
    write_deltalake(path, pa.Table.from_pylist(log_rows(folder)[:3], schema=schema), mode="overwrite")
    # The chain of the 3 entries left is intact; the checkpoint in the table says there were 5.
    result = audit(folder, "verify")
    assert result.returncode == EXIT_INVALID, result.stdout + result.stderr
    assert result.stdout.startswith("FAILED: entry seq 4: entry seq 4 is missing: the checkpoint of 5 entries "
                                    "signed by 'ci'"), result.stdout
    assert "the newest entries were dropped" in result.stdout
    # Whoever truncates the log may drop the checkpoints table too: a checkpoint kept elsewhere still catches it.
    checkpoints = folder / "lake" / "governance" / "audit_checkpoints"
    for file in sorted(checkpoints.rglob("*"), reverse=True):
        file.unlink() if file.is_file() else file.rmdir()
    checkpoints.rmdir()
    assert audit(folder, "verify").returncode == 0  # the chain alone cannot tell
    result = audit(folder, "verify", "--checkpoint", folder / "c.json", "--json")
    assert result.returncode == EXIT_INVALID
    assert json.loads(result.stdout)["bad_seq"] == 4


def test_a_forged_or_edited_checkpoint_is_refused(project):
    folder, keys = project
    append(folder, keys["alice"], 3)
    checkpoint = json.loads(audit(folder, "checkpoint", env=as_(keys, "ci")).stdout)
    edited = {**checkpoint, "tree_size": 2}
    (folder / "edited.json").write_text(json.dumps(edited))
    result = audit(folder, "verify", "--checkpoint", folder / "edited.json")
    assert result.returncode == EXIT_INVALID and "checkpoint_hash does not match its fields" in result.stdout
    forged = {**edited, "checkpoint_hash": hashlib.sha256(canonical(edited)).hexdigest()}
    forged["signature"] = keys["mallory"].sign(forged["checkpoint_hash"].encode()).hex()
    (folder / "forged.json").write_text(json.dumps(forged))
    result = audit(folder, "verify", "--checkpoint", folder / "forged.json")
    assert result.returncode == EXIT_INVALID and "signature is not valid for 'ci'" in result.stdout
    # Signed by a user's own key: checkpoints are a service principal's.
    by_user = {**edited, "signer": "alice"}
    by_user["checkpoint_hash"] = hashlib.sha256(canonical(by_user)).hexdigest()
    by_user["signature"] = keys["alice"].sign(by_user["checkpoint_hash"].encode()).hex()
    (folder / "user.json").write_text(json.dumps(by_user))
    result = audit(folder, "verify", "--checkpoint", folder / "user.json")
    assert result.returncode == EXIT_INVALID and "signer 'alice' is not a service principal" in result.stdout
    (folder / "bad.json").write_text('{"target": "prod"}')
    result = audit(folder, "verify", "--checkpoint", folder / "bad.json")
    assert result.returncode == EXIT_INPUT and "field 'tree_size' must be an integer" in result.stderr


def test_only_an_operating_service_principal_signs_checkpoints(project):
    folder, keys = project
    append(folder, keys["alice"], 1)
    user = audit(folder, "checkpoint", env=as_(keys, "alice"))
    assert user.returncode == EXIT_INPUT and "principal 'alice' is a user" in user.stderr
    viewer = audit(folder, "checkpoint", env=as_(keys, "bob"))
    assert viewer.returncode == EXIT_ACCESS_DENIED
    assert "principal 'bob' needs role 'operator' on target 'prod'" in viewer.stderr
    nobody = audit(folder, "checkpoint")
    assert nobody.returncode == EXIT_INPUT and "--as NAME or DRIFTGOV_PRINCIPAL" in nobody.stderr
    assert not (folder / "lake" / "governance" / "audit_checkpoints" / "_delta_log").exists()


def rewrite_log(folder, rows):
    path = str(folder / "lake" / "governance" / "audit_log")
    schema = DeltaTable(path).to_pyarrow_table().schema
    write_deltalake(path, pa.Table.from_pylist(rows, schema=schema), mode="overwrite")


def test_a_checkpoint_is_refused_over_a_log_that_does_not_verify(project):
    folder, keys = project
    append(folder, keys["alice"], 3)
    rows = log_rows(folder)
    rows[1]["signature"] = keys["mallory"].sign(rows[1]["entry_hash"].encode()).hex()  # a forged signature
    rewrite_log(folder, rows)
    result = audit(folder, "checkpoint", env=as_(keys, "ci"))
    assert result.returncode == EXIT_INVALID
    assert "FAILED: audit checkpoint: the log does not verify: entry seq 2: signature is not valid" in result.stdout
    assert "no checkpoint was signed" in result.stdout
    assert not (folder / "lake" / "governance" / "audit_checkpoints" / "_delta_log").exists()


def test_a_checkpoint_attests_the_signatures_it_covers_and_binds_them(project):
    """After a checkpoint, the covered entries' signatures are not checked again (a later key rotation leaves them
    valid), but changing one of them changes the Merkle root, so verify still fails."""
    folder, keys = project
    append(folder, keys["alice"], 4)
    assert audit(folder, "checkpoint", env=as_(keys, "ci")).returncode == 0
    config = folder / "driftgov.yaml"
    # alice rotates her key: the old entries' signatures no longer match her configured key.
    rotated = config.read_text().replace(public_text(keys["alice"]), public_text(keys["mallory"]))
    config.write_text(rotated)
    attested = audit(folder, "verify")
    assert attested.returncode == 0, attested.stdout + attested.stderr
    assert attested.stdout.startswith("OK: 4 entries")
    every = audit(folder, "verify", "--all-signatures")
    assert every.returncode == EXIT_INVALID
    assert "entry seq 1: signature is not valid for actor 'alice'" in every.stdout
    # An entry after the checkpoint is still checked: one signed with the old key fails.
    append(folder, keys["alice"], 1)
    after = audit(folder, "verify")
    assert after.returncode == EXIT_INVALID and "entry seq 5: signature is not valid" in after.stdout
    # A changed signature inside the covered range: the checkpoint's root no longer matches.
    rows = log_rows(folder)[:4]
    rows[2]["signature"] = keys["mallory"].sign(rows[2]["entry_hash"].encode()).hex()
    rewrite_log(folder, rows)
    changed = audit(folder, "verify")
    assert changed.returncode == EXIT_INVALID
    assert changed.stdout.startswith("FAILED: entry seq ")  # not attested any more: every signature is checked
