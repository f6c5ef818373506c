"""Four-eyes approvals (docs/governance.md, "Approvals").

Oracles independent of driftgov: the approvals and incidents tables are read with deltalake; record hashes are
recomputed with hashlib from the documented canonical text and signatures checked with Python's `cryptography`; the
evaluation digest is recomputed from the record's JSON and the artefact digest from its bytes, so the approvers'
signatures are shown to cover exactly that evaluation and that artefact. Tampering is done with deltalake and caught
by `driftgov audit verify` and `driftgov model promote`.
"""
import hashlib
import json
import os
import subprocess
import time

import pytest

from approval_chain import (APPROVAL_FIELDS, EXIT_ACCESS_DENIED, EXIT_INPUT, EXIT_INVALID, Project, canonical,
                            check_chain, evaluation_digest, file_sha256, rewrite)
from conftest import driftgov_binary


def approvals_chain(project):
    check_chain(project.approval_rows(), "driftgov-approval-v1", APPROVAL_FIELDS, "record_hash", project.keys)


def test_an_approval_signs_the_evaluation_digest_and_the_artefact_digest(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    assert project.incident_state(incident) == "evaluated"
    requested = project.run("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="tom")
    assert requested.returncode == 0, requested.stderr
    assert project.incident_state(incident) == "awaiting_approval"
    approved = project.run("approval", "approve", incident, "--comment", "metrics hold", as_="ann")
    assert approved.returncode == 0, approved.stderr
    assert project.incident_state(incident) == "approved"

    rows = project.approval_rows()
    assert [(r["seq"], r["request_id"], r["event"], r["actor"], r["incident_id"]) for r in rows] == \
        [(1, "APR-1", "request", "tom", incident), (2, "APR-1", "approve", "ann", incident)]
    # The digests in the signed rows are the record's and the artefact's, recomputed here.
    for row in rows:
        assert row["evaluation_digest"] == evaluation_digest(record)
        assert row["artefact_sha256"] == file_sha256(artefact)
    # Who may not approve: the requester and the trainer (tess trained and signed the evaluation).
    assert json.loads(rows[0]["excluded"]) == ["tom", "tess"]
    assert rows[1]["comment"] == "metrics hold"
    assert json.loads(rows[1]["details"]) == {"state": "approved", "required": 1, "approvals": 1}
    # Expiry: the configured 72 hours after the request.
    assert (rows[0]["expires"] - rows[0]["time"]).total_seconds() == 72 * 3600
    approvals_chain(project)
    # Editing the artefact digest of ann's row breaks its hash, so the signature covers the digest.
    edited = dict(rows[1], artefact_sha256="0" * 64)
    assert hashlib.sha256(canonical("driftgov-approval-v1", APPROVAL_FIELDS, edited)).hexdigest() != \
        rows[1]["record_hash"]

    # The incident moved through the chain, each move signed by who made it.
    history = json.loads(project.ok("incident", "show", incident, "--json").stdout)["history"]
    assert [(h["state"], h["actor"]) for h in history] == [
        ("open", "alice"), ("staging", "sam"), ("staged", "sam"), ("training", "tess"), ("evaluated", "tess"),
        ("awaiting_approval", "tom"), ("approved", "ann")]
    assert history[3]["details"]["artefact_sha256"] == file_sha256(artefact)
    assert history[4]["details"]["digest"] == evaluation_digest(record)
    log = json.loads(project.ok("audit", "log", "--json").stdout)
    assert [e["action"] for e in log if e["action"].startswith("approval.")] == ["approval.request",
                                                                                  "approval.approve"]
    verified = project.ok("audit", "verify").stdout
    assert "OK: 2 approval records" in verified


def test_four_eyes_required_approvers_and_each_refusal_changes_nothing(tmp_path, driftgov):
    project = Project(tmp_path, required=2)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    project.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="tom")
    before = project.approval_rows()

    def refused(name, code, *texts, key_of=None):
        result = project.run("approval", "approve", incident, as_=name, key_of=key_of)
        assert result.returncode == code, result.stdout + result.stderr
        for text in texts:
            assert text in result.stderr
        assert project.approval_rows() == before
        assert project.incident_state(incident) == "awaiting_approval"

    # The requester and the trainer hold approver, yet are refused (exit 6, naming principal, role and target).
    refused("tom", EXIT_ACCESS_DENIED, "principal 'tom' holds role 'approver' on target 'prod'", "it made the request")
    refused("tess", EXIT_ACCESS_DENIED, "principal 'tess'", "it trained or evaluated the model")
    refused("bob", EXIT_ACCESS_DENIED, "refused: principal 'bob' needs role 'approver' on target 'prod'")
    refused("nobody", EXIT_INPUT, "no principal 'nobody'", key_of="mallory")
    # A key that is not ann's: bad input, nothing written.
    refused("ann", EXIT_INPUT, "ann", key_of="mallory")

    project.ok("approval", "approve", incident, as_="ann")
    assert project.incident_state(incident) == "awaiting_approval"  # one of two
    before = project.approval_rows()
    refused("ann", EXIT_INPUT, "already decided approval request APR-1")
    project.ok("approval", "approve", incident, as_="abe")
    assert project.incident_state(incident) == "approved"
    rows = project.approval_rows()
    assert [json.loads(r["details"]).get("state") for r in rows[1:]] == ["open", "approved"]
    listed = json.loads(project.ok("approval", "list", "--json").stdout)
    assert [(r["request_id"], r["state"], r["approvers"]) for r in listed] == [("APR-1", "approved", ["ann", "abe"])]
    after = project.run("approval", "approve", incident, as_="tess")
    assert after.returncode in (EXIT_INPUT, EXIT_ACCESS_DENIED) and len(project.approval_rows()) == 3
    approvals_chain(project)


def test_a_request_needs_a_verified_passing_evaluation_of_that_artefact(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    other = tmp_path / "other.ubj"
    other.write_bytes(open(artefact, "rb").read() + b" ")
    mismatch = project.run("approval", "request", incident, "--evaluation", record, "--model", other, as_="tom")
    assert mismatch.returncode == EXIT_INPUT
    assert f"its SHA-256 is {file_sha256(other)}" in mismatch.stderr
    edited = json.loads(record.read_text())
    edited["passed"] = True
    edited["rows"] = edited["rows"] + 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(edited))
    digest = project.run("approval", "request", incident, "--evaluation", forged, "--model", artefact, as_="tom")
    assert digest.returncode == EXIT_INPUT and "digest mismatch" in digest.stderr
    # Another signed, passing evaluation of the same artefact, but not the one the incident recorded.
    another = tmp_path / "another.json"
    project.ok("evaluate", "--holdout", tmp_path / "holdout.csv", "--label", "y", "--champion", project.champion,
               "--challenger", artefact, "--bootstrap", "0", "--out", another, as_="tess")
    assert evaluation_digest(another) != evaluation_digest(record)
    swapped = project.run("approval", "request", incident, "--evaluation", another, "--model", artefact, as_="tom")
    assert swapped.returncode == EXIT_INPUT
    assert f"but the incident was evaluated by the record of digest {evaluation_digest(record)}" in swapped.stderr
    # The trainer role is needed to ask; a steward may not.
    steward = project.run("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="sam")
    assert steward.returncode == EXIT_ACCESS_DENIED
    assert "principal 'sam' needs role 'trainer' on target 'prod'" in steward.stderr
    assert project.approval_rows() == [] and project.incident_state(incident) == "evaluated"
    # An incident not yet evaluated cannot be put up for approval.
    second = project.open_incident("sales_b")
    early = project.run("approval", "request", second, "--evaluation", record, "--model", artefact, as_="tom")
    assert early.returncode == EXIT_INPUT and f"incident {second} is 'open'" in early.stderr
    assert project.approval_rows() == []


def test_an_expired_request_is_refused_naming_its_expiry(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    project.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, "--expires", "1s",
               as_="tom")
    expires = project.approval_rows()[0]["expires"]
    time.sleep(1.2)
    late = project.run("approval", "approve", incident, as_="ann")
    assert late.returncode == EXIT_INPUT
    assert f"approval request APR-1 expired at {expires.strftime('%Y-%m-%dT%H:%M:%S')}Z" in late.stderr
    assert len(project.approval_rows()) == 1 and project.incident_state(incident) == "awaiting_approval"
    bad = project.run("approval", "request", incident, "--evaluation", record, "--model", artefact, "--expires",
                      "3 weeks", as_="tom")
    assert bad.returncode == EXIT_INPUT and "--expires: expected a positive duration" in bad.stderr


def test_a_rejection_rejects_the_incident(tmp_path, driftgov):
    project = Project(tmp_path, required=2)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    project.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="tom")
    project.ok("approval", "approve", incident, as_="ann")
    project.ok("approval", "reject", incident, "--comment", "slice east regressed", as_="abe")
    assert project.incident_state(incident) == "rejected"
    again = project.run("approval", "approve", "APR-1", as_="tess")
    assert again.returncode in (EXIT_INPUT, EXIT_ACCESS_DENIED)
    late = project.run("approval", "approve", "APR-1", as_="ann")
    assert late.returncode == EXIT_INPUT and "already rejected" in late.stderr
    assert [r["event"] for r in project.approval_rows()] == ["request", "approve", "reject"]
    approvals_chain(project)


def test_two_approvers_at_once_are_both_recorded_exactly_once(tmp_path, driftgov):
    project = Project(tmp_path, required=2)
    incident = project.open_incident()
    artefact, record = project.evaluated(incident)
    project.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, as_="tom")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    processes = [subprocess.Popen([str(driftgov_binary()), "approval", "approve", incident, "--config",
                                   str(tmp_path / "driftgov.yaml")], env={**environment, **project.env(name)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in ("ann", "abe")]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out + err
    rows = project.approval_rows()
    assert sorted(r["actor"] for r in rows if r["event"] == "approve") == ["abe", "ann"]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    # The second recorded decision saw the first: it is the one that approved.
    assert [json.loads(r["details"])["state"] for r in rows[1:]] == ["open", "approved"]
    approvals_chain(project)
    incident_rows = [r for r in project.rows("governance", "incidents") if r["state"] == "approved"]
    assert len(incident_rows) == 1 and incident_rows[0]["actor"] == rows[2]["actor"]
    assert project.ok("audit", "verify").returncode == 0


def test_a_forged_approval_and_a_replayed_one_are_caught_by_verify_and_by_promote(tmp_path, driftgov):
    project = Project(tmp_path)
    first = project.open_incident()
    artefact, record = project.approved(first)
    original = project.approval_rows()

    # Forged: a row claiming to be abe's approval, hashed correctly but signed with mallory's key.
    forged = dict(original[1], seq=3, actor="abe", prev_hash=original[1]["record_hash"])
    forged["record_hash"] = hashlib.sha256(canonical("driftgov-approval-v1", APPROVAL_FIELDS, forged)).hexdigest()
    forged["signature"] = project.keys["mallory"].sign(forged["record_hash"].encode()).hex()
    rewrite(project, original + [forged], "governance", "approvals")
    verified = project.run("audit", "verify")
    assert verified.returncode == EXIT_INVALID
    assert "FAILED: approval records seq 3 (request APR-1): signature is not valid for actor 'abe'" in verified.stdout
    promoted = project.run("model", "promote", first, "--model", "churn", as_="olga")
    assert promoted.returncode == EXIT_INVALID and "approval record seq 3" in promoted.stdout
    assert project.registry_rows() == [] and project.incident_state(first) == "approved"

    # Replayed: ann's signed approval of the first incident copied onto another model's artefact (re-chained so
    # that only the signature can tell).
    replayed = dict(original[1], artefact_sha256="ab" * 32, incident_id="INC-9")
    replayed["record_hash"] = hashlib.sha256(canonical("driftgov-approval-v1", APPROVAL_FIELDS, replayed)).hexdigest()
    rewrite(project, [original[0], replayed], "governance", "approvals")
    verified = project.run("audit", "verify")
    assert verified.returncode == EXIT_INVALID
    assert "seq 2 (request APR-1): signature is not valid for actor 'ann'" in verified.stdout
    # The same replay keeping ann's hash: the hash no longer matches the row.
    rewrite(project, [original[0], dict(replayed, record_hash=original[1]["record_hash"])], "governance",
            "approvals")
    verified = project.run("audit", "verify")
    assert verified.returncode == EXIT_INVALID and "record_hash does not match the record's fields" in verified.stdout
    assert project.run("model", "promote", first, "--model", "churn", as_="olga").returncode == EXIT_INVALID
    assert project.registry_rows() == []
    rewrite(project, original, "governance", "approvals")
    assert project.run("audit", "verify").returncode == 0


@pytest.mark.parametrize("governance, message", [
    ("governance:\n  approvals: {required: 0}\n", "governance.approvals.required: expected a whole number >= 1"),
    ('governance:\n  approvals: {expires: "3 weeks"}\n', "governance.approvals.expires: expected a positive duration"),
    ("governance:\n  approval: {required: 2}\n", "unknown key 'approval'"),
])
def test_bad_governance_settings_name_file_line_and_column(tmp_path, driftgov, governance, message):
    project = Project(tmp_path)
    text = (tmp_path / "driftgov.yaml").read_text()
    start = text.index("governance:")
    end = text.index("monitors:")
    (tmp_path / "driftgov.yaml").write_text(text[:start] + governance + text[end:])
    line = text[:start].count("\n") + 2
    result = project.run("approval", "list")
    assert result.returncode == EXIT_INPUT
    assert message in result.stderr
    assert f"driftgov.yaml:{line}:" in result.stderr


def test_training_for_an_incident_reads_its_staged_set_and_evaluation_its_challenger(tmp_path, driftgov):
    project = Project(tmp_path)
    incident = project.open_incident()
    train = ["model", "train", "--trainer-config", tmp_path / "train.json", "--out", tmp_path / "models", "--incident",
             incident]
    early = project.run(*train[:2], tmp_path / "train.csv", *train[2:], as_="tess")
    assert early.returncode == EXIT_INPUT and "the incident is 'open'; it must be 'staged'" in early.stderr
    project.ok("incident", "stage", incident, as_="sam")
    candidate = tmp_path / "staging" / "remediation" / "sales" / "candidate"
    # Another table than the staged retraining set: refused before training, nothing written.
    other = project.run(*train[:2], tmp_path / "train.csv", *train[2:], as_="tess")
    assert other.returncode == EXIT_INPUT
    assert f"train on the incident's staged retraining set {candidate} at version 0" in other.stderr
    staged = project.run(*train[:2], candidate, "--version", "0", *train[2:], as_="tess")
    assert staged.returncode == 0, staged.stderr
    assert project.incident_state(incident) == "training"
    # The evaluation of another challenger than the one trained is refused.
    wrong = project.run("evaluate", "--holdout", tmp_path / "holdout.csv", "--label", "y", "--champion",
                        project.champion, "--challenger", project.champion, "--bootstrap", "0", "--out",
                        tmp_path / "e.json", "--incident", incident, as_="tess")
    assert wrong.returncode == EXIT_INPUT and "but the incident trained" in wrong.stderr
    assert project.incident_state(incident) == "training"
