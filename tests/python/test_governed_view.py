"""The governed view (docs/governance.md, "The governed view"): one row per model version and event, joining the
drift event, the staged set, the training, the evaluation, the approvals and the registry.

Oracles independent of driftgov: every expected value is read from the governance tables with deltalake (incidents,
approvals, registry, the monitor's refreshes), from the evaluation record file (digest recomputed with hashlib) and
from the artefact's bytes (hashlib); the Delta form is queried with DuckDB (over deltalake's Arrow) and, in the
interop suite, with Spark SQL.
"""
import json
from datetime import datetime, timezone

import duckdb
import pytest
from deltalake import DeltaTable

from approval_chain import Project, evaluation_digest, file_sha256


def micros(value):
    if isinstance(value, datetime):
        return int(value.replace(tzinfo=value.tzinfo or timezone.utc).timestamp() * 1_000_000) + 0
    return value


def iso(us):
    seconds, micro = divmod(us, 1_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{micro:06d}Z"


@pytest.fixture(scope="module")
def promoted(tmp_path_factory, driftgov):
    """An incident taken from breach to promotion: staged, trained, evaluated, approved by ann, promoted by olga."""
    project = Project(tmp_path_factory.mktemp("view"))
    incident = project.open_incident()
    artefact, record = project.approved(incident, approvers=("ann",), requester="tom")
    project.ok("model", "promote", incident, "--model", "churn", as_="olga")
    return project, incident, artefact, record


def view(project, *args, as_="bob"):
    result = project.run("governance", "view", *args, as_=as_)
    assert result.returncode == 0, result.stderr
    return result


def test_the_view_holds_every_event_of_the_chain_with_its_provenance(promoted):
    project, incident, artefact, record = promoted
    rows = json.loads(view(project, "--format", "json").stdout)

    incident_rows = [r for r in project.rows("governance", "incidents") if r["incident_id"] == incident]
    approval_rows = [r for r in project.approval_rows() if r["incident_id"] == incident]
    registry_rows = [r for r in project.registry_rows() if r["incident_id"] == incident]
    expected_events = sorted(
        [(micros(r["time"]), 0, r["seq"], "incident." + (r["state"] if r["event"] == "transition" else r["event"]))
         for r in incident_rows] +
        [(micros(r["time"]), 1, r["seq"], "approval." + r["event"]) for r in approval_rows] +
        [(micros(r["time"]), 2, r["seq"], "registry." + r["event"]) for r in registry_rows])
    assert [r["event"] for r in rows] == [e[3] for e in expected_events]
    assert [r["event_time"] for r in rows] == [iso(e[0]) for e in expected_events]
    assert "incident.staged" in [r["event"] for r in rows] and "registry.alias_set" in [r["event"] for r in rows]

    last = rows[-1]
    opening = incident_rows[0]
    assert last["incident_id"] == incident and last["monitor"] == "sales"
    assert last["breach_ids"] == [b for r in incident_rows for b in json.loads(r["breach_ids"])]
    assert last["drift_detected_at"] == iso(micros(opening["time"]))
    refresh_id = json.loads(opening["details"])["refresh_id"]
    assert last["refresh_id"] == refresh_id
    refreshes = DeltaTable(str(project.lake / "monitoring" / "refreshes")).to_pyarrow_table().to_pylist()
    assert last["feature_pipeline_version"] == [r["config_hash"] for r in refreshes if r["refresh_id"] == refresh_id][-1]

    candidate = project.folder / "staging" / "remediation" / "sales" / "candidate"
    assert last["staged_table"] == str(candidate)
    assert last["staged_version"] == DeltaTable(str(candidate)).version()
    assert last["staged_rows"] == len(DeltaTable(str(candidate)).to_pyarrow_table())
    assert last["validation_passed"] is True and last["validation_failed"] == []

    assert last["artefact_sha256"] == file_sha256(artefact)
    assert last["training_table"] == str(candidate) and last["trained_by"] == "tess" and last["trainer"] == "xgboost"
    evaluation = json.loads(record.read_text())
    assert last["evaluation_record"] == str(record)
    assert last["evaluation_digest"] == evaluation_digest(record)
    assert last["evaluation_passed"] is evaluation["passed"]
    assert last["model_code_version"] == "xgboost; " + evaluation["harness"]["scoring_code"]
    assert last["metrics"] == {metric: {k: v for k, v in values.items()
                                        if k in ("champion", "challenger", "difference", "ci_low", "ci_high")}
                               for metric, values in evaluation["overall"].items()}

    request = [r for r in approval_rows if r["event"] == "request"][0]
    assert last["approval_request_id"] == request["request_id"]
    assert last["approvers"] == [r["actor"] for r in approval_rows if r["event"] == "approve"] == ["ann"]
    alias_set = [r for r in registry_rows if r["event"] == "alias_set"][0]
    assert (last["registered_model"], last["model_version"], last["alias"]) == ("churn", alias_set["version"], "champion")
    assert last["promoted_at"] == iso(micros(alias_set["time"]))
    assert last["rolled_back_at"] is None
    # Context accumulates: the opening row knows the drift, not yet the training.
    assert rows[0]["refresh_id"] == refresh_id and rows[0]["artefact_sha256"] is None


def test_the_model_filter_keeps_the_incidents_that_led_to_the_model(promoted):
    project, incident, artefact, record = promoted
    everything = json.loads(view(project, "--format", "json").stdout)
    churn = json.loads(view(project, "--format", "json", "--model", "churn").stdout)
    assert churn == [r for r in everything if r["incident_id"] == incident or r["registered_model"] == "churn"]
    assert json.loads(view(project, "--format", "json", "--model", "nothing").stdout) == []
    table = view(project, "--model", "churn").stdout
    assert "registry.alias_set" in table and "churn@1" in table and incident in table


def test_the_view_as_a_delta_table_is_one_query_away(promoted):
    project, incident, artefact, record = promoted
    refused = project.run("governance", "view", "--format", "delta", as_="bob")
    assert refused.returncode == 6 and "needs role 'operator'" in refused.stderr
    written = view(project, "--format", "delta", as_="olga")
    table = project.lake / "governance" / "governed_view"
    assert str(table) in written.stdout
    rows = json.loads(view(project, "--format", "json").stdout)
    arrow = DeltaTable(str(table)).to_pyarrow_table()
    assert arrow.num_rows == len(rows)
    answer = duckdb.sql("SELECT registered_model, model_version, artefact_sha256, approvers, evaluation_passed "
                        "FROM arrow WHERE event = 'registry.alias_set'").fetchall()
    assert answer == [("churn", 1, file_sha256(artefact), '["ann"]', json.loads(record.read_text())["passed"])]


@pytest.mark.interop
def test_spark_sql_reads_the_governed_view(promoted):
    from delta_oracles import spark_session
    project, incident, artefact, record = promoted
    view(project, "--format", "delta", as_="olga")
    spark = spark_session()
    spark.read.format("delta").load(str(project.lake / "governance" / "governed_view")).createOrReplaceTempView("gv")
    rows = spark.sql("SELECT incident_id, event, approvers FROM gv WHERE registered_model = 'churn' "
                     "AND event = 'registry.alias_set'").collect()
    assert [(r.incident_id, r.event, json.loads(r.approvers)) for r in rows] == [(incident, "registry.alias_set", ["ann"])]
