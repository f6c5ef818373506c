"""OpenLineage run events of governed jobs (docs/lineage.md).

Oracles independent of driftgov: the expected events are built with the `openlineage-python` client's classes
(generated from the published OpenLineage JSON Schemas, with their validators) and serialised by its Serde; dataset
schemas and versions come from deltalake; a loopback HTTP receiver (the standard library's http.server) records what
was POSTed.
"""
import json
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import (data_quality_metrics_input_dataset, dataset_version_dataset,
                                          error_message_run, job_type_job, processing_engine_run, schema_dataset)
from openlineage.client.serde import Serde

from governance_oracles import public_text, run, secret_text

PRODUCER = "urn:driftgov:0.1.0"


class Receiver:
    """An OpenLineage endpoint on loopback: records (path, headers, body) of each POST and answers `status`."""

    def __init__(self, status=201):
        self.requests = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def write_config(folder, lineage, extra=""):
    (folder / "driftgov.yaml").write_text(f"""project: lineage-test
targets:
  prod: {{mode: production, lakehouse: ./lake}}
lineage:
{lineage}
{extra}
monitors:
  sales:
    table: sales
""")
    return folder / "driftgov.yaml"


@pytest.fixture
def project(tmp_path, driftgov, receiver):
    write_deltalake(str(tmp_path / "lake" / "sales"),
                    pa.table({"price": [1.0, 2.0, 3.0, 4.0], "region": ["n", "s", "n", "w"],
                              "units": pa.array([1, 2, 3, 4], pa.int32())}))
    write_deltalake(str(tmp_path / "lake" / "sales"),
                    pa.table({"price": [5.0], "region": ["e"], "units": pa.array([5], pa.int32())}), mode="append")
    config = write_config(tmp_path, f"  file: governance/lineage.jsonl\n  url: {receiver.url}/")
    return tmp_path, config


def events_in_file(folder):
    lines = (folder / "lake" / "governance" / "lineage.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def oracle_fields(schema):
    """The schema facet's fields of a deltalake schema: Delta's type names, structs nested (docs/lineage.md)."""
    def field(name, data_type):
        if data_type.type == "struct":
            return schema_dataset.SchemaDatasetFacetFields(
                name=name, type="struct", fields=[field(f.name, f.type) for f in data_type.fields])
        if data_type.type == "array":
            return schema_dataset.SchemaDatasetFacetFields(name=name, type=f"array<{type_text(data_type.element_type)}>")
        return schema_dataset.SchemaDatasetFacetFields(name=name, type=type_text(data_type))

    return [field(f.name, f.type) for f in schema.fields]


def type_text(data_type):
    if data_type.type == "struct":
        return "struct<" + ", ".join(f"{f.name}: {type_text(f.type)}" for f in data_type.fields) + ">"
    if data_type.type == "array":
        return f"array<{type_text(data_type.element_type)}>"
    if data_type.type == "map":
        return f"map<{type_text(data_type.key_type)}, {type_text(data_type.value_type)}>"
    return data_type.type


def delta_facets(path):
    table = DeltaTable(str(path))
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=oracle_fields(table.schema()), producer=PRODUCER),
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=str(table.version()),
                                                                          producer=PRODUCER)}


def expected_event(state, event, job_name, job_type, inputs, outputs, namespace="lineage-test", error=None):
    """The event as openlineage-python builds it, with the time and run id taken from `event` (the parts that are
    not predictable)."""
    run_facets = {"processing_engine": processing_engine_run.ProcessingEngineRunFacet(
        name="driftgov", version="0.1.0", producer=PRODUCER)}
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="C++", producer=PRODUCER)
    built = RunEvent(
        eventType=state, eventTime=event["eventTime"], producer=PRODUCER,
        run=Run(runId=event["run"]["runId"], facets=run_facets),
        job=Job(namespace=namespace, name=job_name,
                facets={"jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="DRIFTGOV",
                                                                jobType=job_type, producer=PRODUCER)}),
        inputs=inputs, outputs=outputs)
    return without_empty_nested_fields(Serde.to_dict(built))


def without_empty_nested_fields(value):
    """The client writes `"fields": []` under every schema field; the specification makes the member optional, and
    driftgov writes it for structs only."""
    if isinstance(value, dict):
        return {k: without_empty_nested_fields(v) for k, v in value.items()
                if not (k == "fields" and v == [] and "type" in value)}
    if isinstance(value, list):
        return [without_empty_nested_fields(v) for v in value]
    return value


def check_common(event):
    run_id = uuid.UUID(event["run"]["runId"])
    assert run_id.version == 7
    # UUIDv7: the first 48 bits are the Unix time in milliseconds, near the event's time.
    event_time = datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
    assert abs((run_id.int >> 80) / 1000 - event_time.timestamp()) < 60
    assert abs(event_time - datetime.now(timezone.utc)).total_seconds() < 600


def test_a_refresh_emits_start_and_complete_as_the_openlineage_client_builds_them(project, receiver):
    folder, config = project
    result = run("monitor", "run", "sales", "--config", config)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    events = events_in_file(folder)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"]
    for event in events:
        check_common(event)
    # The endpoint received exactly the file's events, at OpenLineage's path.
    assert [(path, body) for path, _, body in receiver.requests] == [("/api/v1/lineage", e) for e in events]
    assert all(headers["Content-Type"] == "application/json" for _, headers, _ in receiver.requests)

    sales = folder / "lake" / "sales"
    table = DeltaTable(str(sales))
    assert events[0] == expected_event(
        RunState.START, events[0], "sales.refresh", "MONITOR_REFRESH",
        [InputDataset(namespace="file", name=str(sales), facets=delta_facets(sales))], [])
    metrics = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        rowCount=5, fileCount=len(table.file_uris()), columnMetrics={}, producer=PRODUCER)
    outputs = [OutputDataset(namespace="file", name=str(path), facets=delta_facets(path))
               for path in (folder / "lake" / "monitoring" / "sales_profile_metrics",
                            folder / "lake" / "monitoring" / "sales_drift_metrics",
                            folder / "lake" / "monitoring" / "sales_breaches")]
    complete = expected_event(
        RunState.COMPLETE, events[1], "sales.refresh", "MONITOR_REFRESH",
        [InputDataset(namespace="file", name=str(sales), facets=delta_facets(sales),
                      inputFacets={"dataQualityMetrics": metrics})], outputs)
    assert events[1] == complete
    assert len(table.file_uris()) == 2


def test_a_failed_refresh_emits_fail_with_the_error_the_user_sees(project, receiver):
    folder, config = project
    config.write_text(config.read_text().replace("table: sales", "table: missing"))
    result = run("monitor", "run", "sales", "--config", config)
    assert result.returncode == 2
    events = events_in_file(folder)
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    missing = folder / "lake" / "missing"
    message = events[1]["run"]["facets"]["errorMessage"]["message"]
    assert message and message in result.stderr
    assert events[1] == expected_event(RunState.FAIL, events[1], "sales.refresh", "MONITOR_REFRESH",
                                       [InputDataset(namespace="file", name=str(missing))], [], error=message)
    assert [body for _, _, body in receiver.requests] == events


def test_an_unreachable_endpoint_is_a_warning_and_the_events_stay_in_the_file(tmp_path, driftgov):
    url = closed_endpoint()
    write_deltalake(str(tmp_path / "lake" / "sales"), pa.table({"price": [1.0, 2.0]}))
    config = write_config(tmp_path, f"  file: governance/lineage.jsonl\n  url: {url}\n  timeout_seconds: 2")
    result = run("monitor", "run", "sales", "--config", config)
    assert result.returncode == 0
    assert result.stderr.count(f"warning: lineage: {url}/api/v1/lineage: POST failed") == 2
    assert [e["eventType"] for e in events_in_file(tmp_path)] == ["START", "COMPLETE"]


def closed_endpoint():
    """A URL on loopback where nothing listens: a receiver started and stopped."""
    endpoint = Receiver()
    endpoint.close()
    return endpoint.url


def test_a_refusing_endpoint_and_the_bearer_token(tmp_path, driftgov):
    endpoint = Receiver(status=500)
    try:
        write_deltalake(str(tmp_path / "lake" / "sales"), pa.table({"price": [1.0, 2.0]}))
        config = write_config(tmp_path, f"  url: {endpoint.url}\n  api_key_env: LINEAGE_TOKEN")
        result = run("monitor", "run", "sales", "--config", config, env={"LINEAGE_TOKEN": "s3cret"})
        assert result.returncode == 0
        assert result.stderr.count("answered HTTP 500") == 2
        assert [headers["Authorization"] for _, headers, _ in endpoint.requests] == ["Bearer s3cret"] * 2
        assert not (tmp_path / "lake" / "governance" / "lineage.jsonl").exists()
        missing = run("monitor", "run", "sales", "--config", config, "--full")
        assert "LINEAGE_TOKEN is not set" in missing.stderr
        assert all("Authorization" not in headers for _, headers, _ in endpoint.requests[2:])
    finally:
        endpoint.close()


def test_training_and_evaluation_are_lineage_jobs(tmp_path, driftgov):
    key = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    key_file = tmp_path / "tess.key"
    key_file.write_text(secret_text(key))
    key_file.chmod(0o600)
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=300), rng.normal(size=300)
    y = (x1 + 0.5 * x2 + rng.normal(scale=0.5, size=300) > 0).astype(np.int64)
    write_deltalake(str(tmp_path / "lake" / "train"), pa.table({"x1": x1, "x2": x2, "y": y}))
    write_deltalake(str(tmp_path / "lake" / "holdout"), pa.table({"x1": x1[:100], "x2": x2[:100], "y": y[:100]}))
    write_deltalake(str(tmp_path / "lake" / "sales"), pa.table({"price": [1.0]}))
    config = write_config(tmp_path, "  file: governance/lineage.jsonl", extra=f"""principals:
  tess:
    type: user
    public_key: "{public_text(key)}"
    roles: {{prod: [trainer]}}""")
    (tmp_path / "train.json").write_text(json.dumps({"label": "y", "features": ["x1", "x2"], "rounds": 5}))
    env = {"DRIFTGOV_KEY_FILE": str(key_file)}
    trained = run("model", "train", tmp_path / "lake" / "train", "--trainer-config", tmp_path / "train.json",
                  "--out", tmp_path / "models", "--json", "--config", config, "--as", "tess", env=env)
    assert trained.returncode == 0, trained.stderr
    artefact = json.loads(trained.stdout)["artefact"]["path"]
    evaluated = run("evaluate", "--holdout", tmp_path / "lake" / "holdout", "--label", "y", "--champion", artefact,
                    "--challenger", artefact, "--bootstrap", "50", "--out", tmp_path / "eval.json",
                    "--config", config, "--as", "tess", env=env)
    assert evaluated.returncode == 0, evaluated.stderr
    events = events_in_file(tmp_path)
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("model.train", "START"), ("model.train", "COMPLETE"), ("model.evaluate", "START"),
        ("model.evaluate", "COMPLETE")]
    train_table, holdout = tmp_path / "lake" / "train", tmp_path / "lake" / "holdout"
    quality = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet
    assert events[1] == expected_event(
        RunState.COMPLETE, events[1], "model.train", "TRAIN",
        [InputDataset(namespace="file", name=str(train_table), facets=delta_facets(train_table),
                      inputFacets={"dataQualityMetrics": quality(rowCount=300, columnMetrics={}, producer=PRODUCER)})],
        [OutputDataset(namespace="file", name=str(artefact))])
    assert events[3] == expected_event(
        RunState.COMPLETE, events[3], "model.evaluate", "EVALUATE",
        [InputDataset(namespace="file", name=str(holdout), facets=delta_facets(holdout),
                      inputFacets={"dataQualityMetrics": quality(rowCount=100, columnMetrics={}, producer=PRODUCER)}),
         InputDataset(namespace="file", name=str(artefact)), InputDataset(namespace="file", name=str(artefact))],
        [OutputDataset(namespace="file", name=str(tmp_path / "eval.json"))])


@pytest.mark.parametrize("block, message", [
    ("  url: ftp://example/", "lineage.url: expected an http:// or https:// URL, found 'ftp://example/'"),
    ("  endpoint: api/v1/lineage\n  file: l.jsonl", "lineage.endpoint: expected a path starting with /"),
    ("  timeout_seconds: 0\n  file: l.jsonl", "lineage.timeout_seconds: expected a number of seconds in (0, 300]"),
    ("  namespace: x", "lineage: expected `file`, `url` or both"),
    ("  fiel: l.jsonl", "unknown key 'fiel'"),
])
def test_bad_lineage_settings_name_file_line_and_column(tmp_path, driftgov, block, message):
    write_deltalake(str(tmp_path / "lake" / "sales"), pa.table({"price": [1.0]}))
    config = write_config(tmp_path, block)
    result = run("validate", "--config", config)
    assert result.returncode == 2
    assert message in result.stderr
    assert f"{config}:" in result.stderr
    assert not (tmp_path / "lake" / "governance").exists()


def test_the_whole_chain_is_lineage_jobs_ending_with_promotion(tmp_path, driftgov):
    """Refresh, stage, train, evaluate and promote each emit START and COMPLETE; promotion reads the approved
    artefact and evaluation record and writes the production registry (docs/lineage.md)."""
    from approval_chain import Project
    project = Project(tmp_path)
    project.write_config(extra="lineage: {file: governance/lineage.jsonl}\n")
    incident = project.open_incident()
    artefact, record = project.approved(incident)
    project.ok("model", "promote", incident, "--model", "churn", as_="olga")
    events = [json.loads(line) for line in (tmp_path / "lake" / "governance" / "lineage.jsonl").read_text().splitlines()]
    jobs = [(e["job"]["name"], e["eventType"]) for e in events]
    for job in ("sales.refresh", "sales.stage", "model.train", "model.evaluate", "model.promote"):
        assert [state for name, state in jobs if name == job] == ["START", "COMPLETE"], (job, jobs)
    promote = [e for e in events if e["job"]["name"] == "model.promote"][1]
    assert promote["job"]["facets"]["jobType"]["jobType"] == "PROMOTE"
    assert [i["name"] for i in promote["inputs"]] == [str(artefact), str(record)]
    registry = tmp_path / "lake" / "registry" / "events"
    assert promote["outputs"][0]["name"] == str(registry)
    assert promote["outputs"][0]["facets"]["version"]["datasetVersion"] == str(DeltaTable(str(registry)).version())
    assert promote["outputs"][1]["name"].startswith(str(tmp_path / "lake" / "registry" / "artefacts"))
