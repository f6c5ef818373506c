"""The MLflow mirror of the model registry (docs/governance.md, "MLflow mirror"), against a real `mlflow server`
(SQLite backend, on loopback) that the module starts and stops.

Oracles independent of driftgov: MLflow's own REST API read back with urllib (registered-models/get,
model-versions/search, registered-models/alias); the expected tags recomputed here from the files (hashlib) and
the evaluation record, and the expected version numbers derived from the order of the promotions.
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from approval_chain import Project, evaluation_digest, file_sha256
from conftest import ROOT

pytestmark = pytest.mark.interop

EXIT_IO = 4


def mlflow_executable():
    """The `mlflow` of the separate venv scripts/setup.sh makes (MLflow pins pyarrow below the test venv's), or the
    one DRIFTGOV_MLFLOW names. Missing: a failure saying how to get it, never a skip."""
    path = Path(os.environ.get("DRIFTGOV_MLFLOW") or ROOT / ".venv-mlflow" / "bin" / "mlflow")
    if not path.exists():
        pytest.fail(f"{path} does not exist: run scripts/setup.sh (it installs python/requirements-mlflow.txt into "
                    f".venv-mlflow), or name an mlflow executable in DRIFTGOV_MLFLOW", pytrace=False)
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    environment = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    log = open(folder / "server.log", "w")
    # Its own process group: the server's workers are stopped with it.
    server = subprocess.Popen([str(mlflow_executable()), "server", "--backend-store-uri",
                               f"sqlite:///{folder / 'mlflow.db'}", "--default-artifact-root", str(folder / "artifacts"),
                               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                              stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def rest(url, endpoint, **query):
    """GET <url>/api/2.0/mlflow/<endpoint>: (HTTP status, JSON body)."""
    address = f"{url}/api/2.0/mlflow/{endpoint}?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(address, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def mlflow_versions(url, model):
    """MLflow's versions of `model`, keyed by MLflow's version number, each as its dict of tags."""
    status, body = rest(url, "model-versions/search", filter=f"name='{model}'", max_results=100)
    assert status == 200, body
    return {int(v["version"]): {t["key"]: t["value"] for t in v.get("tags", [])} for v in body.get("model_versions", [])}


def alias_target(url, model, alias):
    status, body = rest(url, "registered-models/alias", name=model, alias=alias)
    assert status == 200, body
    return int(body["model_version"]["version"])


def mirror_config(url):
    return f"""  registry:
    mlflow: {{tracking_uri: "{url}", timeout_seconds: 20}}
"""


def expected_tags(project, version, incident, artefact, record, approvers):
    sha = file_sha256(artefact)
    stored = project.lake / "registry" / "artefacts" / f"{sha}.ubj"
    row = [r for r in project.registry_rows() if r["event"] == "version_registered" and r["version"] == version][0]
    return {"driftgov.version": str(version), "driftgov.artefact": str(stored), "driftgov.artefact_sha256": sha,
            "driftgov.evaluation_digest": evaluation_digest(record), "driftgov.incident_id": incident,
            "driftgov.training_table": str(project.folder / "staging" / "remediation" / "sales" / "candidate"),
            "driftgov.training_version": row["training_version"], "driftgov.approvers": ",".join(approvers)}


def mirror_audit(project):
    log = json.loads(project.ok("audit", "log", "--json").stdout)
    return [json.loads(e["details"]) for e in log if e["action"] == "registry.mirror"]


def test_promotions_and_an_approved_rollback_are_mirrored_and_mirroring_again_writes_nothing(tmp_path, driftgov,
                                                                                             mlflow_url):
    project = Project(tmp_path)
    project.write_config(extra=mirror_config(mlflow_url))
    first = project.open_incident()
    first_artefact, first_record = project.approved(first, name="one")
    promoted = json.loads(project.ok("model", "promote", first, "--model", "churn_a", "--json", as_="olga").stdout)
    assert promoted["mirror"]["state"] == "ok", promoted["mirror"]
    status, got = rest(mlflow_url, "registered-models/get", name="churn_a")
    assert status == 200 and got["registered_model"]["name"] == "churn_a"
    versions = mlflow_versions(mlflow_url, "churn_a")
    assert versions == {1: expected_tags(project, 1, first, first_artefact, first_record, ["ann"])}
    assert alias_target(mlflow_url, "churn_a", "champion") == 1

    second = project.open_incident(day=3)
    (tmp_path / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                     "rounds": 9, "seed": 2, "params": {"max_depth": 2}}))
    project.write_config(required=2, extra=mirror_config(mlflow_url))
    second_artefact, second_record = project.approved(second, approvers=("ann", "abe"), name="two")
    project.ok("model", "promote", second, "--model", "churn_a", as_="olga")
    versions = mlflow_versions(mlflow_url, "churn_a")
    assert versions == {1: expected_tags(project, 1, first, first_artefact, first_record, ["ann"]),
                        2: expected_tags(project, 2, second, second_artefact, second_record, ["ann", "abe"])}
    assert alias_target(mlflow_url, "churn_a", "champion") == 2

    project.ok("approval", "request", "--rollback", "churn_a", "--to", "1", as_="olga")
    project.ok("approval", "approve", "APR-3", as_="abe")
    project.ok("approval", "approve", "APR-3", as_="ann")
    rolled = json.loads(project.ok("model", "rollback", "--model", "churn_a", "--to", "1", "--json", as_="olga").stdout)
    assert rolled["mirror"]["state"] == "ok"
    assert alias_target(mlflow_url, "churn_a", "champion") == 1
    status, got = rest(mlflow_url, "registered-models/get", name="churn_a")
    assert got["registered_model"]["aliases"] == [{"alias": "champion", "version": "1"}]

    # Mirroring the unchanged registry again finds everything in place: nothing is created or set twice.
    again = json.loads(project.ok("model", "mirror", "--model", "churn_a", "--json", as_="olga").stdout)["churn_a"]
    assert (again["state"], again["model_created"], again["versions_created"], again["tags_set"],
            again["aliases_set"], again["aliases_removed"]) == ("ok", False, 0, 0, 0, 0)
    assert mlflow_versions(mlflow_url, "churn_a") == versions
    audit = mirror_audit(project)
    assert [(a["state"], a["versions_created"], a["aliases_set"]) for a in audit] == \
        [("ok", 1, 1), ("ok", 1, 1), ("ok", 0, 1), ("ok", 0, 0)]
    # Removing the alias in the registry (alias_removed) deletes it in MLflow; the versions stay.
    removed = json.loads(project.ok("model", "remove-alias", "--model", "churn_a", "--alias", "champion", "--reason",
                                    "investigating", "--json", as_="olga").stdout)
    assert (removed["event"], removed["mirror"]["state"], removed["mirror"]["aliases_removed"]) == \
        ("alias_removed", "ok", 1)
    status, got = rest(mlflow_url, "registered-models/get", name="churn_a")
    assert status == 200 and got["registered_model"].get("aliases", []) == []
    assert mlflow_versions(mlflow_url, "churn_a") == versions
    # Mirroring is an operator's action.
    denied = project.run("model", "mirror", "--model", "churn_a", as_="bob")
    assert denied.returncode == 6, denied.stdout + denied.stderr


def test_a_promotion_with_mlflow_down_stands_with_a_warning_and_model_mirror_syncs_it(tmp_path, driftgov,
                                                                                       mlflow_url):
    project = Project(tmp_path)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    project.write_config(extra=mirror_config(down))
    incident = project.open_incident()
    artefact, record = project.approved(incident)
    promoted = project.run("model", "promote", incident, "--model", "churn_b", as_="olga")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "warning" in promoted.stderr and down in promoted.stderr and "model mirror --model churn_b" in promoted.stderr
    assert [r["event"] for r in project.registry_rows()] == ["version_registered", "alias_set"]
    assert project.incident_state(incident) == "promoted"
    failed = mirror_audit(project)
    assert len(failed) == 1 and failed[0]["state"] == "failed" and down in failed[0]["error"]
    # The re-sync fails too while MLflow is down, and says so with exit 4.
    still_down = project.run("model", "mirror", "--model", "churn_b", as_="olga")
    assert still_down.returncode == EXIT_IO and "FAILED: model churn_b" in still_down.stdout
    status, body = rest(mlflow_url, "registered-models/get", name="churn_b")
    assert status == 404 and body["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    project.write_config(extra=mirror_config(mlflow_url))
    synced = project.run("model", "mirror", "--model", "churn_b", as_="olga")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "1 version created" in synced.stdout and "1 alias set" in synced.stdout
    assert mlflow_versions(mlflow_url, "churn_b") == {1: expected_tags(project, 1, incident, artefact, record, ["ann"])}
    assert alias_target(mlflow_url, "churn_b", "champion") == 1
    twice = project.run("model", "mirror", as_="olga")  # every model
    assert twice.returncode == 0 and "0 versions created, 0 tags set, 0 aliases set, 0 removed" in twice.stdout
    assert len(mlflow_versions(mlflow_url, "churn_b")) == 1
    assert [a["state"] for a in mirror_audit(project)] == ["failed", "failed", "ok", "ok"]


class FakeMlflow(BaseHTTPRequestHandler):
    """Answers every request with the class's (status, body) and records the Authorization header it got."""
    answer = (200, b"{}")
    authorizations = []

    def handle_one(self):
        FakeMlflow.authorizations.append(self.headers.get("Authorization"))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, body = FakeMlflow.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = handle_one

    def log_message(self, *args):
        pass


def test_mlflow_errors_and_the_token_reach_the_warning_and_the_server(tmp_path, driftgov, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMlflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        project = Project(tmp_path)
        project.write_config(extra=f"""  registry:
    mlflow: {{tracking_uri: "{url}", token_env: MIRROR_TEST_TOKEN}}
""")
        monkeypatch.setenv("MIRROR_TEST_TOKEN", "s3cret")
        FakeMlflow.answer = (403, b'{"error_code": "PERMISSION_DENIED", "message": "no write on models"}')
        FakeMlflow.authorizations.clear()
        incident = project.open_incident()
        project.approved(incident)
        promoted = project.run("model", "promote", incident, "--model", "churn_c", as_="olga")
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        assert (f"{url}/api/2.0/mlflow/registered-models/create: MLflow POST failed: HTTP 403 PERMISSION_DENIED: no "
                "write on models") in promoted.stderr
        assert FakeMlflow.authorizations == ["Bearer s3cret"]
        assert project.incident_state(incident) == "promoted"

        FakeMlflow.answer = (200, b"[1]")
        shapeless = project.run("model", "mirror", as_="olga")
        assert shapeless.returncode == EXIT_IO and "HTTP 200 with a body that is not a JSON object: [1]" in \
            shapeless.stdout

        FakeMlflow.authorizations.clear()
        monkeypatch.delenv("MIRROR_TEST_TOKEN")
        no_token = project.run("model", "mirror", as_="olga")
        assert no_token.returncode == EXIT_IO and "the environment variable MIRROR_TEST_TOKEN is not set" in \
            no_token.stdout
        assert FakeMlflow.authorizations == []  # nothing was sent without the token
        assert [a["state"] for a in mirror_audit(project)] == ["failed"] * 3
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("block, point, expected", [
    ('    mlflow: {tracking_uri: "ftp://host/x"}', '"ftp', "governance.registry.mlflow.tracking_uri: expected an http:// "
     "or https:// URL (the MLflow tracking server), found 'ftp://host/x'"),
    ('    mlflow: {token_env: T}', "{", "governance.registry.mlflow: expected `tracking_uri`"),
    ('    mlflow: {tracking_uri: "http://127.0.0.1:1", timeout_seconds: 0}', "0}",
     "governance.registry.mlflow.timeout_seconds: expected a number of seconds in (0, 300], found 0"),
    ('    mlflw: {tracking_uri: "http://127.0.0.1:1"}', "mlflw", "mlflw"),
])
def test_bad_mirror_settings_are_refused_naming_the_place(tmp_path, driftgov, block, point, expected):
    project = Project(tmp_path)
    project.write_config(extra="  registry:\n" + block + "\n")
    # file:line:column of `point`, 1-based, found in the file as written.
    lines = (tmp_path / "driftgov.yaml").read_text().splitlines()
    line = lines.index(block) + 1
    place = f"{tmp_path / 'driftgov.yaml'}:{line}:{block.index(point) + 1}: "
    result = project.run("model", "list")
    assert result.returncode == 2, result.stdout + result.stderr
    assert place in result.stderr and expected in result.stderr, result.stderr


def test_model_mirror_without_a_configured_mirror_is_refused(tmp_path, driftgov):
    project = Project(tmp_path)
    result = project.run("model", "mirror", as_="olga")
    assert result.returncode == 2 and "governance.registry.mlflow.tracking_uri" in result.stderr
