"""A governed project for the approval and registry tests (docs/governance.md, "Approvals", "Model registry and
promotion"), and the oracles both use: rows read with deltalake, hashes recomputed with hashlib from the documented
canonical text, signatures checked with Python's `cryptography`, evaluation digests recomputed from the record.

Principals of target prod: alice operates the monitors, sam is the steward, tess trains (and could approve), tom
trains and approves, ann and abe approve, olga deploys (operator), bob only views, mallory holds nothing, ada
administers (registers the model in service).
"""
import datetime
import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake

from governance_oracles import public_text, run, secret_text

EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6
EXIT_INVALID = 7

ROLES = {"alice": "[viewer, operator]", "sam": "[viewer, steward]", "tess": "[viewer, trainer, approver]",
         "tom": "[trainer, approver]", "ann": "[viewer, approver]", "abe": "[approver]", "olga": "[viewer, operator]",
         "bob": "[viewer]", "mallory": "[]", "ada": "[viewer, admin]"}
APPROVAL_FIELDS = ("seq", "request_id", "time", "actor", "target", "event", "action", "incident_id", "model",
                   "model_version", "evaluation_digest", "artefact_sha256", "excluded", "expires", "comment",
                   "details", "prev_hash")
REGISTRY_FIELDS = ("seq", "time", "actor", "target", "event", "model", "version", "alias", "artefact_sha256",
                   "artefact", "training_table", "training_version", "evaluation_digest", "incident_id", "approvals",
                   "details", "prev_hash")


REMEDIATION = """    remediation:
      target: staging
      features:
        - {table: features, keys: [id], timestamp: ts, columns: [a, b]}
      labels: {table: labels, keys: [id], timestamp: ts, label: y}
"""


class Project:
    def __init__(self, folder, required=1, expires="72h"):
        self.folder = folder
        self.keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 41]) * 32)
                     for index, name in enumerate(ROLES)}
        self.lake = folder / "lake"
        write_deltalake(str(self.lake / "sales"), sales_rows([1, 2]))
        # The remediation sources: features and labels joined at the label's time into the staged retraining set.
        data = frame(7)
        stamps = pa.array([datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.timezone.utc)] * len(data),
                          pa.timestamp("us", tz="UTC"))
        ids = pa.array(range(len(data)), pa.int64())
        write_deltalake(str(self.lake / "features"), pa.table({"id": ids, "ts": stamps, "a": data.a, "b": data.b}))
        write_deltalake(str(self.lake / "labels"), pa.table({"id": ids, "ts": stamps,
                                                             "y": pa.array(data.y, pa.int64())}))
        self.write_config(required, expires)
        data.to_csv(folder / "train.csv", index=False)
        frame(8).to_csv(folder / "holdout.csv", index=False)
        (folder / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                       "rounds": 6, "seed": 1, "params": {"max_depth": 2}}))
        (folder / "champion.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                          "rounds": 1, "seed": 1, "params": {"max_depth": 1}}))
        champion = self.ok("model", "train", folder / "train.csv", "--trainer-config", folder / "champion.json",
                           "--out", folder / "champion", "--json", config=False)
        self.champion = json.loads(champion.stdout)["artefact"]["path"]

    def write_config(self, required=1, expires="72h", extra=""):
        principals = "".join(f"""  {name}:
    type: {"service_principal" if name == "olga" else "user"}
    public_key: "{public_text(self.keys[name])}"
    roles: {{prod: {roles}}}
""" for name, roles in ROLES.items())
        (self.folder / "driftgov.yaml").write_text(f"""project: approvals
targets:
  prod: {{mode: production, lakehouse: ./lake, default: true}}
  staging: {{mode: development, lakehouse: ./staging}}
principals:
{principals}governance:
  approvals: {{required: {required}, expires: "{expires}"}}
{extra}monitors:
  sales:
    table: sales
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    breach:
      - {{metric: count, op: ">=", value: 1}}
{REMEDIATION}  sales_b:
    table: sales
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    breach:
      - {{metric: count, op: ">=", value: 1}}
{REMEDIATION}""")

    def env(self, name, key_of=None):
        return {"DRIFTGOV_PRINCIPAL": name, "DRIFTGOV_KEY": secret_text(self.keys[key_of or name])}

    def run(self, *args, as_=None, config=True, key_of=None):
        extra = ["--config", self.folder / "driftgov.yaml"] if config else []
        return run(*args, *extra, env=self.env(as_, key_of) if as_ else None)

    def ok(self, *args, as_=None, config=True):
        result = self.run(*args, as_=as_, config=config)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def open_incident(self, monitor="sales", day=None):
        """A monitor refresh whose breach opens an incident; returns its id."""
        if day is not None:
            write_deltalake(str(self.lake / "sales"), sales_rows([day]), mode="append")
        refreshed = json.loads(self.ok("monitor", "run", monitor, "--json", as_="alice").stdout)[0]
        return refreshed["incidents"][0]["incident_id"]

    def evaluated(self, incident, name="challenger"):
        """Moves `incident` from open to evaluated: the steward stages its retraining set, tess trains the challenger
        on it and evaluates it. Returns (artefact path, evaluation record path)."""
        staged = json.loads(self.ok("incident", "stage", incident, "--json", as_="sam").stdout)
        assert staged["state"] == "staged", staged
        monitor = [r["monitor"] for r in self.rows("governance", "incidents") if r["incident_id"] == incident][0]
        candidate = self.folder / "staging" / "remediation" / monitor / "candidate"
        trained = self.ok("model", "train", candidate, "--trainer-config", self.folder / "train.json",
                          "--out", self.folder / "staging" / name, "--json", "--incident", incident, as_="tess")
        artefact = json.loads(trained.stdout)["artefact"]["path"]
        record = self.folder / f"{name}-{incident}.eval.json"
        self.ok("evaluate", "--holdout", self.folder / "holdout.csv", "--label", "y", "--champion", self.champion,
                "--challenger", artefact, "--bootstrap", "0", "--out", record, "--incident", incident, as_="tess")
        return artefact, record

    def approved(self, incident, approvers=("ann",), requester="tom", name="challenger"):
        artefact, record = self.evaluated(incident, name)
        self.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, as_=requester)
        for approver in approvers:
            self.ok("approval", "approve", incident, "--comment", "looks right", as_=approver)
        return artefact, record

    def rows(self, *path):
        location = self.lake.joinpath(*path)
        if not (location / "_delta_log").exists():
            return []
        return sorted(DeltaTable(str(location)).to_pyarrow_table().to_pylist(), key=lambda row: row["seq"])

    def approval_rows(self):
        return self.rows("governance", "approvals")

    def registry_rows(self):
        return self.rows("registry", "events")

    def incident_state(self, incident):
        states = [row["state"] for row in self.rows("governance", "incidents") if row["incident_id"] == incident]
        return states[-1]


def frame(seed, n=400):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = ((df.a + 0.5 * df.b + rng.normal(size=n) * 0.5) > 0).astype(int)
    return df


def sales_rows(days):
    stamps = [datetime.datetime(2026, 3, day, 12, tzinfo=datetime.timezone.utc) for day in days]
    return pa.table({"ts": pa.array(stamps, pa.timestamp("us", tz="UTC")), "price": [float(d) for d in days]})


def micros(value):
    return int(value.timestamp() * 1_000_000) if hasattr(value, "timestamp") else int(value)


def canonical(header, fields, row):
    """docs/governance.md: the header line, then `<name> <byte length> <value>\\n` per field (times in microseconds)."""
    text = header.encode() + b"\n"
    for name in fields:
        value = row[name]
        if name in ("time", "expires"):
            value = micros(value)
        value = str(value).encode()
        text += name.encode() + b" " + str(len(value)).encode() + b" " + value + b"\n"
    return text


def check_chain(rows, header, fields, hash_column, keys):
    """Every row's hash recomputed with hashlib, chained, and signed by its actor's key (cryptography raises)."""
    previous = "0" * 64
    for index, row in enumerate(rows):
        assert row["seq"] == index + 1
        assert row["prev_hash"] == previous
        assert row[hash_column] == hashlib.sha256(canonical(header, fields, row)).hexdigest()
        keys[row["actor"]].public_key().verify(bytes.fromhex(row["signature"]), row[hash_column].encode())
        previous = row[hash_column]


def evaluation_digest(path):
    """docs/evaluation.md: SHA-256 of the record without digest and signature, keys sorted, no white space."""
    record = json.loads(path.read_text())
    record.pop("digest")
    record.pop("signature")
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def rewrite(project, rows, *path):
    """Replaces a table's rows (a tamperer with write access to the lakehouse), keeping its schema."""
    location = str(project.lake.joinpath(*path))
    schema = DeltaTable(location).to_pyarrow_table().schema
    write_deltalake(location, pa.Table.from_pylist(rows, schema=schema), mode="overwrite")
