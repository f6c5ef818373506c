"""The embedded model registry, promotion and rollback (docs/governance.md, "Model registry and promotion").

Oracles independent of driftgov: the registry table is read with deltalake (its rows and its commit history),
event hashes are recomputed with hashlib and signatures checked with Python's `cryptography`, the stored artefact's
digest is recomputed from its bytes. Crashes are real SIGKILLs at random instants; concurrency is two processes.
"""
import json
import os
import random
import signal
import statistics
import subprocess
import time

from deltalake import DeltaTable

from approval_chain import (EXIT_ACCESS_DENIED, EXIT_INPUT, REGISTRY_FIELDS, Project, check_chain, evaluation_digest,
                            file_sha256)
from conftest import driftgov_binary


def registry_chain(project):
    check_chain(project.registry_rows(), "driftgov-registry-v1", REGISTRY_FIELDS, "event_hash", project.keys)


def promote_command(project, incident, model="churn"):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    environment.update(project.env("olga"))
    return [str(driftgov_binary()), "model", "promote", incident, "--model", model, "--config",
            str(project.folder / "driftgov.yaml")], environment


def test_promotion_registers_the_approved_artefact_in_one_commit(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    artefact, record = project.approved(incident)
    promoted = project.run("model", "promote", incident, "--model", "churn", "--json", as_="olga")
    assert promoted.returncode == 0, promoted.stderr
    rows = project.registry_rows()
    assert [(r["seq"], r["event"], r["model"], r["version"], r["alias"]) for r in rows] == \
        [(1, "version_registered", "churn", 1, ""), (2, "alias_set", "churn", 1, "champion")]
    sha = file_sha256(artefact)
    for row in rows:
        assert row["artefact_sha256"] == sha and row["evaluation_digest"] == evaluation_digest(record)
        assert row["incident_id"] == incident and row["actor"] == "olga"
        assert row["training_table"] == str(tmp_path / "staging" / "remediation" / "sales" / "candidate")
        assert row["training_version"] != ""
        assert json.loads(row["approvals"]) == {"request_id": "APR-1", "approvers": ["ann"], "seqs": [2]}
    registry_chain(project)
    # Both rows are one Delta commit (version 0 of the table, one write in its history).
    table = DeltaTable(str(tmp_path / "lake" / "registry" / "events"))
    assert table.version() == 0 and len(table.history()) == 1
    # The artefact crossed into the production lakehouse under its digest, byte for byte.
    stored = tmp_path / "lake" / "registry" / "artefacts" / f"{sha}.ubj"
    assert rows[0]["artefact"] == str(stored) and file_sha256(stored) == sha
    assert project.incident_state(incident) == "promoted"
    shown = json.loads(project.ok("model", "show", "churn", "--json").stdout)
    assert shown["aliases"] == {"champion": 1}
    assert [v["version"] for v in shown["versions"]] == [1]
    log = json.loads(project.ok("audit", "log", "--json").stdout)
    promote = [e for e in log if e["action"] == "model.promote"]
    assert len(promote) == 1 and json.loads(promote[0]["details"])["registry_hash"] == rows[1]["event_hash"]
    assert "OK: 2 registry events" in project.ok("audit", "verify").stdout
    # Promoting again changes nothing.
    again = project.run("model", "promote", incident, "--model", "churn", as_="olga")
    assert again.returncode == 0 and "already promoted" in again.stdout
    assert len(project.registry_rows()) == 2


def test_promotion_refuses_without_valid_approvals_for_that_exact_artefact(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)

    def refused(code, *texts, as_="olga"):
        result = project.run("model", "promote", incident, "--model", "churn", as_=as_)
        assert result.returncode == code, result.stdout + result.stderr
        for text in texts:
            assert text in result.stderr + result.stdout
        assert project.registry_rows() == []

    refused(EXIT_INPUT, f"incident {incident} is 'evaluated'; only an approved incident is promoted")
    project.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="tom")
    refused(EXIT_INPUT, "is 'awaiting_approval'")
    project.ok("approval", "approve", incident, as_="ann")
    # The role: tess trains, she does not deploy; mallory holds nothing.
    refused(EXIT_ACCESS_DENIED, "refused: principal 'tess' needs role 'operator' on target 'prod'", as_="tess")
    refused(EXIT_ACCESS_DENIED, "principal 'mallory' needs role 'operator' on target 'prod'", as_="mallory")
    # The artefact replaced after approval: the approvals are void.
    original = open(artefact, "rb").read()
    with open(artefact, "ab") as file:
        file.write(b"\0")
    refused(EXIT_INPUT, f"its SHA-256 is {file_sha256(artefact)}")
    with open(artefact, "wb") as file:
        file.write(original)
    # The evaluation record edited after approval: it no longer verifies.
    text = record.read_text()
    edited = json.loads(text)
    edited["harness"]["rows"] += 1
    record.write_text(json.dumps(edited))
    refused(EXIT_INPUT, "digest mismatch")
    record.write_text(text)
    # With two approvals now required, the one given is not enough.
    project.write_config(required=2)
    refused(EXIT_INPUT, "APR-1 has 1 valid approval", "2 required")
    project.write_config(required=1)
    # ann losing the approver role voids her approval too.
    saved = dict(__import__("approval_chain").ROLES)
    __import__("approval_chain").ROLES["ann"] = "[viewer]"
    try:
        project.write_config()
        refused(EXIT_INPUT, "APR-1 has 0 valid approvals")
    finally:
        __import__("approval_chain").ROLES.update(saved)
        project.write_config()
    assert project.incident_state(incident) == "approved"
    project.ok("model", "promote", incident, "--model", "churn", as_="olga")
    assert project.incident_state(incident) == "promoted"


def test_rollback_is_an_approved_recorded_action_and_the_alias_history_is_kept(tmp_path, driftgov):
    project = Project(tmp_path)
    first = project.open_incident()
    project.approved(first, name="one")
    project.ok("model", "promote", first, "--model", "churn", as_="olga")
    second = project.open_incident(day=3)
    (tmp_path / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                     "rounds": 9, "seed": 2, "params": {"max_depth": 2}}))
    second_artefact, _ = project.approved(second, name="two")
    project.ok("model", "promote", second, "--model", "churn", as_="olga")
    assert json.loads(project.ok("model", "show", "churn", "--json").stdout)["aliases"] == {"champion": 2}

    unapproved = project.run("model", "rollback", "--model", "churn", "--to", "1", as_="olga")
    assert unapproved.returncode == EXIT_INPUT and "no approved rollback request" in unapproved.stderr
    missing = project.run("approval", "request", "--rollback", "churn", "--to", "7", as_="olga")
    assert missing.returncode == EXIT_INPUT and "has versions 1 to 2" in missing.stderr
    project.ok("approval", "request", "--rollback", "churn", "--to", "1", "--comment", "v2 misbehaves", as_="olga")
    own = project.run("approval", "approve", "APR-3", as_="olga")
    assert own.returncode == EXIT_ACCESS_DENIED
    pending = project.run("model", "rollback", "--model", "churn", "--to", "1", as_="olga")
    assert pending.returncode == EXIT_INPUT and "no approved rollback request" in pending.stderr
    project.ok("approval", "approve", "APR-3", as_="abe")
    rolled = project.run("model", "rollback", "--model", "churn", "--to", "1", "--reason", "v2 misbehaves",
                         as_="olga")
    assert rolled.returncode == 0, rolled.stderr
    reused = project.run("model", "rollback", "--model", "churn", "--to", "1", as_="olga")
    assert reused.returncode == EXIT_INPUT and "APR-3 was used already" in reused.stderr

    shown = json.loads(project.ok("model", "show", "churn", "--json").stdout)
    assert shown["aliases"] == {"champion": 1}
    assert [(h["event"], h["alias"], h["version"], h["details"].get("from_version"))
            for h in shown["alias_history"]] == [("alias_set", "champion", 1, None), ("alias_set", "champion", 2, 1),
                                                 ("rollback", "champion", 1, 2)]
    rows = project.registry_rows()
    assert [r["event"] for r in rows] == ["version_registered", "alias_set", "version_registered", "alias_set",
                                          "rollback"]
    assert rows[2]["artefact_sha256"] == file_sha256(second_artefact)
    assert json.loads(rows[4]["approvals"])["approvers"] == ["abe"]
    registry_chain(project)
    log = [e["action"] for e in json.loads(project.ok("audit", "log", "--json").stdout)]
    assert log.count("model.promote") == 2 and log.count("model.rollback") == 1
    listed = project.ok("model", "list").stdout
    assert listed.split()[:4] == ["churn", "2", "versions", "champion=v1"]


def test_two_promotions_at_once_give_one_consistent_alias_history(tmp_path, driftgov):
    project = Project(tmp_path)
    first = project.open_incident("sales")
    second = project.open_incident("sales_b")
    project.approved(first, name="one")
    (tmp_path / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                     "rounds": 9, "seed": 2, "params": {"max_depth": 2}}))
    project.approved(second, name="two")
    processes = []
    for incident in (first, second):
        command, environment = promote_command(project, incident)
        processes.append(subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out + err
    rows = project.registry_rows()
    registry_chain(project)
    # Two versions, each registered once, and each alias_set saying which version it replaced: one history.
    registered = [r for r in rows if r["event"] == "version_registered"]
    assert sorted(r["version"] for r in registered) == [1, 2]
    assert sorted(r["incident_id"] for r in registered) == sorted([first, second])
    changes = [r for r in rows if r["event"] == "alias_set"]
    assert [json.loads(c["details"])["from_version"] for c in changes] == [None, changes[0]["version"]]
    assert len(DeltaTable(str(tmp_path / "lake" / "registry" / "events")).history()) == 2
    assert project.incident_state(first) == project.incident_state(second) == "promoted"


def test_a_promotion_killed_at_any_moment_leaves_the_registry_before_or_after(tmp_path, driftgov):
    project = Project(tmp_path)
    random_state = random.Random(20261202)
    # How long an undisturbed promotion takes here, so that kill delays cover all of it.
    durations = []
    incidents = []
    for index in range(7):
        incident = project.open_incident(day=None if index == 0 else index + 2)
        # Another seed, another artefact: each promotion registers a new version.
        (tmp_path / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                         "rounds": 6, "seed": index + 10,
                                                         "params": {"max_depth": 2, "subsample": 0.7}}))
        project.approved(incident, name=f"c{index}")
        if index < 2:
            command, environment = promote_command(project, incident)
            started = time.monotonic()
            subprocess.run(command, env=environment, check=True, capture_output=True)
            durations.append(time.monotonic() - started)
            continue
        incidents.append(incident)
        command, environment = promote_command(project, incident)
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random_state.uniform(0.1, 1.0) * statistics.median(durations))
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Before (no row of the incident) or after (both rows), never one of the two.
        mine = [r["event"] for r in project.registry_rows() if r["incident_id"] == incident]
        assert mine in ([], ["version_registered", "alias_set"]), mine
        registry_chain(project)
        # Running the promotion again completes it, without a second registration.
        project.ok("model", "promote", incident, "--model", "churn", as_="olga")
        mine = [r["event"] for r in project.registry_rows() if r["incident_id"] == incident]
        assert mine == ["version_registered", "alias_set"]
        assert project.incident_state(incident) == "promoted"
    versions = [r["version"] for r in project.registry_rows() if r["event"] == "version_registered"]
    assert versions == list(range(1, 8))
    assert project.ok("audit", "verify").returncode == 0


def test_the_model_in_service_is_registered_then_promotion_moves_champion_and_an_alias_is_removed(tmp_path, driftgov):
    """`model register` (admin) makes the model in service version 1 holding champion; the approved challenger's
    promotion then moves champion from version 1 to 2 (one alias_set naming the version it replaced); `model
    remove-alias` (operator) writes alias_removed. Every event is read back with deltalake and its chain checked."""
    project = Project(tmp_path)
    champion_sha = file_sha256(project.champion)
    register = ("model", "register", project.champion, "--model", "churn", "--reason", "in service since 2025")
    refused = project.run(*register, as_="olga")
    assert refused.returncode == EXIT_ACCESS_DENIED and "needs role 'admin'" in refused.stderr
    assert project.registry_rows() == []
    registered = project.run(*register, as_="ada")
    assert registered.returncode == 0, registered.stderr
    assert "model churn version 1 is champion" in registered.stdout
    rows = project.registry_rows()
    assert [(r["event"], r["version"], r["alias"], r["actor"], r["incident_id"], r["evaluation_digest"])
            for r in rows] == [("version_registered", 1, "", "ada", "", ""),
                               ("alias_set", 1, "champion", "ada", "", "")]
    assert {r["artefact_sha256"] for r in rows} == {champion_sha} and file_sha256(rows[0]["artefact"]) == champion_sha
    assert rows[0]["training_table"] == str(tmp_path / "train.csv") and rows[0]["training_version"] == ""
    assert json.loads(rows[1]["details"]) == {"from_version": None, "reason": "in service since 2025"}
    # Registering it again changes nothing; registering another artefact under a model with versions is refused.
    again = project.run(*register, as_="ada")
    assert again.returncode == 0 and "already registered" in again.stdout and len(project.registry_rows()) == 2
    other = project.run("model", "register", tmp_path / "train.csv", "--model", "churn", "--reason", "x", as_="ada")
    assert other.returncode == EXIT_INPUT and "has 1 version already" in other.stderr

    incident = project.open_incident()
    artefact, record = project.approved(incident)
    promoted = project.run("model", "promote", incident, "--model", "churn", as_="olga")
    assert promoted.returncode == 0, promoted.stderr
    assert "model churn version 2 is now champion (moved from version 1;" in promoted.stdout
    rows = project.registry_rows()
    assert [(r["event"], r["version"], r["alias"], r["incident_id"]) for r in rows[2:]] == \
        [("version_registered", 2, "", incident), ("alias_set", 2, "champion", incident)]
    assert json.loads(rows[3]["details"]) == {"from_version": 1}
    assert rows[3]["artefact_sha256"] == file_sha256(artefact) != champion_sha

    missing = project.run("model", "remove-alias", "--model", "churn", "--alias", "challenger", "--reason", "r",
                          as_="olga")
    assert missing.returncode == EXIT_INPUT and "alias 'challenger' is not set" in missing.stderr
    assert "champion (v2)" in missing.stderr
    viewer = project.run("model", "remove-alias", "--model", "churn", "--alias", "champion", "--reason", "r",
                         as_="bob")
    assert viewer.returncode == EXIT_ACCESS_DENIED and len(project.registry_rows()) == 4
    removed = project.run("model", "remove-alias", "--model", "churn", "--alias", "champion", "--reason",
                          "served by the fallback rules while v2 is investigated", as_="olga")
    assert removed.returncode == 0, removed.stderr
    rows = project.registry_rows()
    assert [(r["event"], r["version"], r["alias"], r["actor"]) for r in rows[4:]] == \
        [("alias_removed", 2, "champion", "olga")]
    assert json.loads(rows[4]["details"]) == {"from_version": 2,
                                              "reason": "served by the fallback rules while v2 is investigated"}
    registry_chain(project)
    shown = json.loads(project.ok("model", "show", "churn", "--json").stdout)
    assert shown["aliases"] == {}
    assert [(h["event"], h["version"]) for h in shown["alias_history"]] == \
        [("alias_set", 1), ("alias_set", 2), ("alias_removed", 2)]
    log = [e["action"] for e in json.loads(project.ok("audit", "log", "--json").stdout)]
    assert log.count("model.register") == 1 and log.count("model.remove_alias") == 1
    assert "OK: 5 registry events" in project.ok("audit", "verify").stdout
