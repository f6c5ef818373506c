"""Incidents opened by monitor breaches (docs/governance.md, "Incidents").

Oracles independent of driftgov: the incidents table and the breaches table are read with deltalake (delta-rs), the
incidents table also with DuckDB;
record hashes are recomputed with hashlib from the canonical serialization docs/governance.md documents and the
signatures checked with Python's `cryptography`; the expected breaches follow from the monitor's rule by hand (a
daily time-series monitor whose rule `count >= 1` fires once per day window a refresh writes, on the whole-table
row). Tampering is done with
deltalake and caught by `driftgov incident verify`.
"""
import datetime
import hashlib
import json
import os
import subprocess

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake

from conftest import tool_binary
from delta_oracles import bag, duckdb_rows
from governance_oracles import public_text, run, secret_text

EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6
EXIT_INVALID = 7
FIELDS = ("seq", "incident_id", "time", "actor", "target", "event", "monitor", "model", "state", "previous_state",
          "reason", "details", "breach_ids", "prev_hash")


def micros(value):
    """A timestamp as deltalake returns it, in microseconds since the epoch."""
    return int(value.timestamp() * 1_000_000) if hasattr(value, "timestamp") else int(value)


def canonical(row):
    """docs/governance.md, "Incidents": the audit log's length-prefixed lines under "driftgov-incident-v1"."""
    text = b"driftgov-incident-v1\n"
    for name in FIELDS:
        value = row[name]
        if name == "time":
            value = micros(value)
        value = str(value).encode()
        text += name.encode() + b" " + str(len(value)).encode() + b" " + value + b"\n"
    return text


@pytest.fixture
def project(tmp_path, driftgov):
    """alice operates prod, sam is its steward, bob only views it, carol holds nothing; one daily monitor whose rule
    (row count >= 1) fires once per day window written. The table holds two days."""
    keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 11]) * 32)
            for index, name in enumerate(["alice", "sam", "bob", "carol", "mallory"])}
    write_deltalake(str(tmp_path / "lake" / "sales"), sales_rows([1, 1, 2]))
    principals = "".join(f"""  {name}:
    type: user
    public_key: "{public_text(keys[name])}"
    roles: {roles}
""" for name, roles in [("alice", "{prod: [viewer, operator]}"), ("sam", "{prod: [viewer, steward]}"),
                        ("bob", "{prod: [viewer]}"), ("carol", "{}")])
    (tmp_path / "driftgov.yaml").write_text(f"""project: incident-test
targets:
  prod: {{mode: production, lakehouse: ./lake, default: true}}
principals:
{principals}monitors:
  sales:
    table: sales
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    breach:
      - {{metric: count, op: ">=", value: 1}}
""")
    return tmp_path, keys


def sales_rows(days):
    """One row per entry of `days`, at noon of that day of March 2026 (UTC)."""
    stamps = [datetime.datetime(2026, 3, day, 12, tzinfo=datetime.timezone.utc) for day in days]
    return pa.table({"ts": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                     "price": [float(day) for day in days]})


def as_(keys, name):
    return {"DRIFTGOV_PRINCIPAL": name, "DRIFTGOV_KEY": secret_text(keys[name])}


def config(folder):
    return folder / "driftgov.yaml"


def refresh(folder, keys):
    result = run("monitor", "run", "sales", "--config", config(folder), "--json", env=as_(keys, "alice"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def add_rows(folder, day=3):
    """A row of a new day: the next incremental refresh writes that day's window only."""
    write_deltalake(str(folder / "lake" / "sales"), sales_rows([day]), mode="append")


def incident_rows(folder):
    rows = DeltaTable(str(folder / "lake" / "governance" / "incidents")).to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda row: row["seq"])


def breach_ids_by_refresh(folder):
    table = DeltaTable(str(folder / "lake" / "monitoring" / "sales_breaches")).to_pyarrow_table().to_pylist()
    found = {}
    for row in table:
        found.setdefault(row["refresh_id"], []).append(row["breach_id"])
    return found


def incident(folder, *args, env=None):
    return run("incident", *args, "--config", config(folder), env=env)


def rewrite_incidents(folder, rows):
    path = str(folder / "lake" / "governance" / "incidents")
    schema = DeltaTable(path).to_pyarrow_table().schema
    write_deltalake(path, pa.Table.from_pylist(rows, schema=schema), mode="overwrite")


def test_a_breach_opens_one_incident_and_the_next_breach_attaches_to_it(project):
    folder, keys = project
    first = refresh(folder, keys)
    add_rows(folder)
    second = refresh(folder, keys)
    breaches = breach_ids_by_refresh(folder)
    # The rule fires once per day window written: days 1 and 2, then day 3 (read back with deltalake).
    assert [len(breaches[first["refresh_id"]]), len(breaches[second["refresh_id"]])] == [2, 1]
    assert first["incidents"] == [{"incident_id": "INC-1", "opened": True, "breach_ids": breaches[first["refresh_id"]]}]
    assert second["incidents"] == [{"incident_id": "INC-1", "opened": False,
                                    "breach_ids": breaches[second["refresh_id"]]}]

    rows = incident_rows(folder)
    assert [(r["seq"], r["incident_id"], r["event"], r["state"], r["previous_state"]) for r in rows] == \
        [(1, "INC-1", "open", "open", ""), (2, "INC-1", "attach", "open", "open")]
    assert {r["actor"] for r in rows} == {"alice"} and {r["target"] for r in rows} == {"prod"}
    assert {r["monitor"] for r in rows} == {"sales"} and {r["model"] for r in rows} == {""}
    assert [json.loads(r["breach_ids"]) for r in rows] == [breaches[first["refresh_id"]],
                                                            breaches[second["refresh_id"]]]
    assert json.loads(rows[0]["details"])["refresh_id"] == first["refresh_id"]
    # DuckDB reads the same values from the table's Parquet files.
    columns = ["seq", "incident_id", "event", "state", "breach_ids", "record_hash", "signature"]
    assert duckdb_rows(folder / "lake" / "governance" / "incidents", columns) == bag(rows, columns)
    # Hashes recomputed with hashlib, chained, and signed by alice's key (checked by cryptography).
    previous = "0" * 64
    for row in rows:
        assert row["prev_hash"] == previous
        assert row["record_hash"] == hashlib.sha256(canonical(row)).hexdigest()
        keys["alice"].public_key().verify(bytes.fromhex(row["signature"]), row["record_hash"].encode())
        previous = row["record_hash"]

    listed = json.loads(incident(folder, "list", "--json").stdout)
    assert [(i["incident_id"], i["state"], i["monitor"], i["model"], i["opened_by"]) for i in listed] == \
        [("INC-1", "open", "sales", None, "alice")]
    assert listed[0]["breach_ids"] == breaches[first["refresh_id"]] + breaches[second["refresh_id"]]
    # Each event also appended a signed audit entry after the refresh's own.
    log = json.loads(run("audit", "log", "--json", "--config", config(folder)).stdout)
    assert [e["action"] for e in log] == ["monitor.refresh", "incident.open", "monitor.refresh", "incident.attach"]
    assert json.loads(log[1]["details"])["record_hash"] == rows[0]["record_hash"]
    assert incident(folder, "verify").stdout.strip() == "OK: 2 incident records"
    assert run("audit", "verify", "--config", config(folder)).returncode == 0


def test_close_records_who_and_why_and_the_next_breach_opens_a_new_incident(project):
    folder, keys = project
    refresh(folder, keys)
    closed = incident(folder, "close", "INC-1", "--reason", "seasonal, expected", env=as_(keys, "sam"))
    assert closed.returncode == 0, closed.stderr
    shown = json.loads(incident(folder, "show", "INC-1", "--json").stdout)
    assert shown["state"] == "closed"
    assert [(h["event"], h["previous_state"], h["state"], h["actor"]) for h in shown["history"]] == \
        [("open", None, "open", "alice"), ("transition", "open", "closed", "sam")]
    assert shown["history"][1]["reason"] == "seasonal, expected"
    row = incident_rows(folder)[1]
    keys["sam"].public_key().verify(bytes.fromhex(row["signature"]), row["record_hash"].encode())
    assert row["record_hash"] == hashlib.sha256(canonical(row)).hexdigest()
    # A closed incident is final: the refusal names the incident, its state and the requested one.
    again = incident(folder, "close", "INC-1", "--reason", "twice", env=as_(keys, "sam"))
    assert again.returncode == EXIT_INPUT
    assert "incident INC-1 is 'closed'; it cannot move to 'closed'" in again.stderr
    assert len(incident_rows(folder)) == 2
    add_rows(folder, 4)
    assert refresh(folder, keys)["incidents"][0] == {**refresh_outcome(folder, "INC-2"), "opened": True}
    listed = json.loads(incident(folder, "list", "--state", "open", "--json").stdout)
    assert [i["incident_id"] for i in listed] == ["INC-2"]
    assert [i["incident_id"] for i in json.loads(incident(folder, "list", "--json").stdout)] == ["INC-1", "INC-2"]
    assert incident(folder, "list", "--state", "opne").stderr.count("did you mean 'open'") == 1
    log = json.loads(run("audit", "log", "--json", "--config", config(folder)).stdout)
    assert [e["action"] for e in log] == ["monitor.refresh", "incident.open", "incident.closed", "monitor.refresh",
                                          "incident.open"]
    assert log[2]["actor"] == "sam" and log[2]["subject"] == "INC-1"


def refresh_outcome(folder, incident_id):
    rows = [r for r in incident_rows(folder) if r["incident_id"] == incident_id]
    return {"incident_id": incident_id, "breach_ids": json.loads(rows[-1]["breach_ids"])}


def test_role_refusals_name_principal_role_and_target(project):
    folder, keys = project
    refresh(folder, keys)
    for name in ("bob", "alice"):  # a viewer, an operator: neither is a steward
        refused = incident(folder, "close", "INC-1", "--reason", "x", env=as_(keys, name))
        assert refused.returncode == EXIT_ACCESS_DENIED, refused.stderr
        assert f"principal '{name}' needs role 'steward' on target 'prod'" in refused.stderr
    for verb in (["list"], ["show", "INC-1"], ["verify"]):
        refused = incident(folder, *verb, env={"DRIFTGOV_PRINCIPAL": "carol"})
        assert refused.returncode == EXIT_ACCESS_DENIED, refused.stderr
        assert "principal 'carol' needs role 'viewer' on target 'prod'" in refused.stderr
    assert incident(folder, "list", env={"DRIFTGOV_PRINCIPAL": "bob"}).returncode == 0
    nobody = incident(folder, "close", "INC-1", "--reason", "x")
    assert nobody.returncode == EXIT_INPUT and "name the acting principal" in nobody.stderr
    unknown = incident(folder, "show", "INC-9")
    assert unknown.returncode == EXIT_INPUT and "no incident 'INC-9'" in unknown.stderr
    assert len(incident_rows(folder)) == 1  # nothing written by a refusal
    # Governance on means a refresh has a signer: a monitor run naming none is refused before it refreshes.
    add_rows(folder)
    unsigned = run("monitor", "run", "sales", "--config", config(folder))
    assert unsigned.returncode == EXIT_INPUT and "--as NAME or DRIFTGOV_PRINCIPAL" in unsigned.stderr
    assert len(breach_ids_by_refresh(folder)) == 1


def test_without_principals_no_incident_is_opened(project):
    folder, keys = project
    text = config(folder).read_text()
    start, end = text.index("principals:"), text.index("monitors:")
    config(folder).write_text(text[:start] + text[end:])
    result = run("monitor", "run", "sales", "--config", config(folder), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["breaches"] and json.loads(result.stdout)[0]["incidents"] == []
    assert not (folder / "lake" / "governance").exists()


def test_a_tampered_incident_row_is_named(project):
    folder, keys = project
    refresh(folder, keys)
    add_rows(folder)
    refresh(folder, keys)
    assert incident(folder, "close", "INC-1", "--reason", "done", env=as_(keys, "sam")).returncode == 0
    original = incident_rows(folder)

    edited = [dict(r) for r in original]
    edited[2]["reason"] = "nothing to see"
    rewrite_incidents(folder, edited)
    result = incident(folder, "verify")
    assert result.returncode == EXIT_INVALID, result.stdout + result.stderr
    assert "record seq 3 (incident INC-1): record_hash does not match" in result.stdout
    # `audit verify` checks the incidents too: one command for the whole governance record.
    audit = run("audit", "verify", "--config", config(folder))
    assert audit.returncode == EXIT_INVALID, audit.stdout + audit.stderr
    assert audit.stdout.splitlines() == [
        "OK: 5 entries", "FAILED: record seq 3 (incident INC-1): record_hash does not match the record's fields (the "
                         "record was edited) (3 records)"]

    # A forger who re-hashes the edit cannot sign it with sam's key.
    forged = [dict(r) for r in original]
    forged[2]["reason"] = "nothing to see"
    forged[2]["record_hash"] = hashlib.sha256(canonical(forged[2])).hexdigest()
    forged[2]["signature"] = keys["mallory"].sign(forged[2]["record_hash"].encode()).hex()
    rewrite_incidents(folder, forged)
    result = incident(folder, "verify")
    assert result.returncode == EXIT_INVALID
    assert "record seq 3 (incident INC-1): signature is not valid for actor 'sam'" in result.stdout

    # A dropped attach row leaves a gap.
    rewrite_incidents(folder, [original[0], original[2]])
    result = incident(folder, "verify", "--json")
    assert result.returncode == EXIT_INVALID
    verdict = json.loads(result.stdout)
    assert (verdict["bad_seq"], verdict["incident_id"], verdict["ok"]) == (2, "INC-1", False)
    assert "record seq 2 is missing" in verdict["problem"]

    # A signed but illegal history: sam's own key signs a jump from open to promoted.
    illegal = [dict(r) for r in original]
    illegal[2]["state"] = "promoted"
    illegal[2]["record_hash"] = hashlib.sha256(canonical(illegal[2])).hexdigest()
    illegal[2]["signature"] = keys["sam"].sign(illegal[2]["record_hash"].encode()).hex()
    rewrite_incidents(folder, illegal)
    result = incident(folder, "verify")
    assert result.returncode == EXIT_INVALID
    assert "record seq 3 (incident INC-1): 'open' -> 'promoted' is not a legal transition" in result.stdout

    # Dropping the newest record leaves a chain that holds; the audit entry signed for it still names it.
    rewrite_incidents(folder, original[:2])
    result = incident(folder, "verify")
    assert result.returncode == EXIT_INVALID
    assert result.stdout.startswith("FAILED: record seq 3 (incident INC-1): the record audit entry seq 5 "
                                    "(incident.closed) signed for is missing"), result.stdout

    rewrite_incidents(folder, original)
    assert incident(folder, "verify").returncode == 0


def test_concurrent_openers_produce_exactly_one_incident(project):
    folder, keys = project
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    env["DRIFTGOV_KEY"] = secret_text(keys["alice"])
    processes = [subprocess.Popen([str(tool_binary("incident_breach_probe")), str(folder / "lake"), "prod", "alice",
                                   "sales", "m1", f"breach-{index}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=env) for index in range(6)]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outcomes.append(out.split())
    assert sorted(kind for _, kind in outcomes) == ["attached"] * 5 + ["opened"]
    assert {incident_id for incident_id, _ in outcomes} == {"INC-1"}
    rows = incident_rows(folder)
    assert [r["seq"] for r in rows] == list(range(1, 7))
    assert [r["event"] for r in rows] == ["open"] + ["attach"] * 5
    assert sorted(json.loads(r["breach_ids"])[0] for r in rows) == [f"breach-{i}" for i in range(6)]
    # A breach recorded already is never recorded again.
    again = run(folder / "lake", "prod", "alice", "sales", "m1", "breach-3", env={"DRIFTGOV_KEY": env["DRIFTGOV_KEY"]},
                tool="incident_breach_probe")
    assert again.stdout.split() == ["-", "none"] and len(incident_rows(folder)) == 6
    # Another model of the monitor has its own incident.
    other = run(folder / "lake", "prod", "alice", "sales", "m2", "breach-x", env={"DRIFTGOV_KEY": env["DRIFTGOV_KEY"]},
                tool="incident_breach_probe")
    assert other.stdout.split() == ["INC-2", "opened"]
    assert incident(folder, "verify").stdout.strip() == "OK: 7 incident records"


def test_breaches_of_each_model_open_their_own_incident(project):
    """An inference-log monitor with a model id column: breaches carry the model id (or `*` for every model); each
    (monitor, model) gets one incident holding exactly that model's breaches, as the breaches table says."""
    folder, keys = project
    stamps = [datetime.datetime(2026, 3, day, hour, tzinfo=datetime.timezone.utc) for day in (1, 2) for hour in (1, 2)]
    write_deltalake(str(folder / "lake" / "scored"), pa.table({
        "ts": pa.array(stamps, pa.timestamp("us", tz="UTC")), "price": [1.0, 2.0, 3.0, 4.0],
        "model_version": ["v1", "v2", "v1", "v2"], "prediction": [1.0, 2.0, 3.0, 4.0]}))
    text = config(folder).read_text()
    config(folder).write_text(text + """  scored:
    table: scored
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day"]
    model_id_col: model_version
    prediction_col: prediction
    problem_type: regression
    breach:
      - {metric: count, op: ">=", value: 1}
""")
    result = run("monitor", "run", "scored", "--config", config(folder), "--json", env=as_(keys, "alice"))
    assert result.returncode == 0, result.stderr
    breaches = DeltaTable(str(folder / "lake" / "monitoring" / "scored_breaches")).to_pyarrow_table().to_pylist()
    by_model = {}
    for row in breaches:
        by_model.setdefault(row["model_version"], set()).add(row["breach_id"])
    assert set(by_model) == {"v1", "v2", "*"}  # two days, each with v1, v2 and all models
    listed = json.loads(incident(folder, "list", "--monitor", "scored", "--json").stdout)
    assert {i["model"]: set(i["breach_ids"]) for i in listed} == by_model
    assert all(i["state"] == "open" for i in listed) and len(listed) == 3
    assert json.loads(incident(folder, "list", "--monitor", "sales", "--json").stdout) == []
