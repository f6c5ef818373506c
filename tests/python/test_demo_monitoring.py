"""The demo's two stories, run once into one folder as scripts/demo.sh runs them.

The monitoring story (scripts/demo-monitoring.sh): a full refresh, an incremental refresh that reads only the two new
days, a late-label rewrite whose windows are recomputed, and breaches exactly where the generator injected drift
(price and promotions in the west region from day 40), printed as the breaches table holds them.

The governance story (scripts/demo-governance.sh): the incident the breach opened goes through every state to
`promoted`, `champion` moves from the registered model in service (version 1) to the challenger (version 2), the
requester's own approval is refused, and a flipped byte in the
audit log is named. Oracles independent of driftgov: the incidents, approvals, registry and audit tables read with
deltalake, artefact digests recomputed with hashlib from the files, audit entry hashes recomputed from the documented
canonical text.
"""
import hashlib
import json
import os
import re
import subprocess

import pandas as pd
import pytest
import xml.etree.ElementTree as ET
from deltalake import DeltaTable
from PIL import Image

from approval_chain import EXIT_ACCESS_DENIED, EXIT_INVALID, canonical, file_sha256
from conftest import BUILD_DIR, ROOT, run_driftgov

PER_DAY = 6000
DAY0 = pd.Timestamp("2026-09-07", tz="UTC")  # the generator's day 0


AUDIT_FIELDS = ("seq", "time", "actor", "action", "target", "subject", "details", "prev_hash")
CHAIN = ["open", "staging", "staged", "training", "evaluated", "awaiting_approval", "approved", "promoted"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Both stories into one folder, as scripts/demo.sh runs them; returns (folder, monitoring run, governance run)."""
    out = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    env.update(DRIFTGOV_DEMO_ROWS_PER_DAY=str(PER_DAY), DRIFTGOV_BUILD_DIR=str(BUILD_DIR))
    runs = []
    for story in ("demo-monitoring.sh", "demo-governance.sh"):
        run = subprocess.run([str(ROOT / "scripts" / story), str(out)], capture_output=True, text=True, env=env,
                             timeout=900)
        assert run.returncode == 0, run.stdout + run.stderr
        runs.append(run)
    return out, *runs


def test_monitoring_demo(demo):
    out, run, _ = demo
    refreshes = re.findall(r"demand_forecast: SUCCESS (full|incremental) refresh of versions (\S+): (\d+) rows from "
                           r"(\d+) files, (\d+) windows written \((\d+) recomputed\)", run.stdout)
    assert [r[0] for r in refreshes] == ["full", "incremental", "incremental"]
    full, first, second = refreshes
    assert (full[1], int(full[2]), int(full[3])) == ("-..37", 38 * PER_DAY, 38)  # one commit per day
    # Two new days, two new files, nothing recomputed.
    assert (first[1], int(first[2]), int(first[3]), int(first[5])) == ("37..39", 2 * PER_DAY, 2, 0)
    # The label rewrite of days 35-36 removed those days' files: exactly those two windows are recomputed.
    assert second[1] == "39..43" and int(second[5]) == 2

    monitoring = out / "lakehouse" / "prod" / "monitoring"
    breaches = DeltaTable(str(monitoring / "demand_forecast_breaches")).to_pandas()
    assert len(breaches) > 0
    # Where the generator injected drift, and only there.
    assert set(breaches.slice_key) == {"region"} and set(breaches.slice_value) == {"west"}
    assert set(breaches.column_name) <= {"price", "promo"}
    days = ((breaches.window.map(lambda w: pd.Timestamp(w["start"])) - DAY0).dt.days)
    assert days.min() >= 41  # two violating windows from day 40 on: the first breach is at day 41
    printed = set(re.findall(r"^\s+([0-9a-f]{12}) population_stability_index", run.stdout, re.M))
    assert printed == {b[:12] for b in breaches.breach_id}

    # The label rewrite reached the metrics: days 35-36 now have labels, so model quality is there.
    profile = DeltaTable(str(monitoring / "demand_forecast_profile_metrics")).to_pandas()
    table_rows = profile[(profile.column_name == ":table") & (profile.granularity == "1 day") &
                         profile.slice_key.isna() & (profile.model_version == "*") & (profile.log_type == "INPUT")]
    labelled = {(pd.Timestamp(w["start"]) - DAY0).days: n for w, n in zip(table_rows.window, table_rows.labelled_rows)}
    assert labelled[35] == PER_DAY and labelled[36] == PER_DAY
    assert labelled[41] == 0  # still late

    # The report: printed paths exist, the PNGs decode, and the west slice's time series marks the breaches of
    # price and promo that the breaches table holds for the whole-table model.
    reports = re.findall(r"^\s+report: (\S+)$", run.stdout, re.M)
    assert reports == [str(out / "report" / "report.html"), str(out / "report-west" / "report.html")]
    pngs = re.findall(r"^\s+png: (\S+)$", run.stdout, re.M)
    assert len(pngs) >= 2 * 7
    for png in pngs:
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size[0] >= 1600
    html = (out / "report" / "report.html").read_text()
    assert "Model quality" in html and 'data-chart="model_quality"' in html
    series = ET.parse(out / "report-west" / "psi_timeseries.svg").getroot()
    marked = {p.get("data-feature") for p in series.iter("{http://www.w3.org/2000/svg}path") if p.get("class") == "breach"}
    west_whole_model = breaches[(breaches.model_version == "*")]
    assert marked and marked <= set(west_whole_model.column_name)


def rows(out, *path):
    table = DeltaTable(str(out.joinpath("lakehouse", "prod", *path)))
    return sorted(table.to_pyarrow_table().to_pylist(), key=lambda row: row["seq"])


def by_hand(out, *args):
    """A command rerun by hand on the demo's configuration, as its last lines say."""
    return run_driftgov(*args, "--config", out / "driftgov.yaml", "--target", "prod", check=False)


def test_governance_demo(demo):
    out, _, run = demo
    incident = re.search(r"taking (INC-\d+) ", run.stdout).group(1)
    challenger = re.search(r"^\s+challenger: (\S+)$", run.stdout, re.M).group(1)
    in_service = re.search(r"^\s+champion: (\S+)$", run.stdout, re.M).group(1)

    # The incident of the whole table went through every state of the chain, in order, and no other moved.
    incidents = rows(out, "governance", "incidents")
    mine = [r for r in incidents if r["incident_id"] == incident]
    assert mine[0]["model"] == "*" and mine[0]["monitor"] == "demand_forecast"
    assert [r["state"] for r in mine if r["event"] != "attach"] == CHAIN
    assert {r["state"] for r in incidents if r["incident_id"] != incident} == {"open"}

    # The requester's own approval was refused (four eyes, exit 6) and nothing of it recorded; ana's approved.
    assert re.search(r"refused: principal 'tess' holds role 'approver' .*four eyes", run.stdout)
    assert f"exit code of tess's own approval: {EXIT_ACCESS_DENIED} " in run.stdout
    approvals = rows(out, "governance", "approvals")
    assert [(r["event"], r["actor"]) for r in approvals] == [("request", "tess"), ("approve", "ana")]
    assert approvals[0]["artefact_sha256"] == file_sha256(challenger)

    # The registry, read with deltalake: the model in service registered as version 1 holding champion (no incident,
    # no approval), then the challenger as version 2 and champion MOVED from 1 to 2: each version's bytes those of
    # its file, registered in the production lakehouse under their digest.
    registry = rows(out, "registry", "events")
    assert [(r["event"], r["version"], r["alias"], r["actor"], r["incident_id"]) for r in registry] == \
        [("version_registered", 1, "", "ops", ""), ("alias_set", 1, "champion", "ops", ""),
         ("version_registered", 2, "", "ops", incident), ("alias_set", 2, "champion", "ops", incident)]
    assert registry[1]["artefact_sha256"] == file_sha256(in_service) == file_sha256(registry[1]["artefact"])
    assert json.loads(registry[1]["details"])["from_version"] is None
    champion = registry[3]
    assert champion["artefact_sha256"] == file_sha256(challenger) == file_sha256(champion["artefact"])
    assert champion["artefact_sha256"] != registry[1]["artefact_sha256"]
    assert json.loads(champion["details"]) == {"from_version": 1}
    assert json.loads(champion["approvals"])["approvers"] == ["ana"]
    assert "champion moved: version 1 -> version 2" in run.stdout
    assert "OK: 4 registry events" in run.stdout

    # Before the flip the log verified; after it, exactly one entry's hash no longer matches its fields (hashlib on
    # the canonical text), and audit verify names that entry's seq, in the demo and rerun by hand, exit 7.
    assert re.search(r"^\s+OK: \d+ entries$", run.stdout, re.M)
    log = rows(out, "governance", "audit_log")
    edited = [r["seq"] for r in log
              if hashlib.sha256(canonical("driftgov-audit-v1", AUDIT_FIELDS, r)).hexdigest() != r["entry_hash"]]
    assert edited == [log[len(log) // 2]["seq"]]
    assert f"FAILED: entry seq {edited[0]}: " in run.stdout
    assert f"exit code of audit verify: {EXIT_INVALID} " in run.stdout
    verify = by_hand(out, "audit", "verify")
    assert verify.returncode == EXIT_INVALID and f"FAILED: entry seq {edited[0]}: " in verify.stdout + verify.stderr

    # The other commands rerun by hand on OUT/driftgov.yaml: the governed view, the registry and the incidents as
    # the tables hold them.
    assert re.search(rf"^\s+\S+ registry\.alias_set\s+ops\s+{incident}\s+demand_forecast@{champion['version']} ",
                     run.stdout, re.M)
    view = by_hand(out, "governance", "view", "--format", "json")
    assert view.returncode == 0, view.stderr
    promoted = [r for r in json.loads(view.stdout) if r["event"] == "registry.alias_set"]
    assert [(r["incident_id"], r["registered_model"], r["model_version"], r["alias"], r["artefact_sha256"],
             r["approvers"]) for r in promoted] == \
        [(None, "demand_forecast", 1, "champion", file_sha256(in_service), []),
         (incident, "demand_forecast", 2, "champion", file_sha256(challenger), ["ana"])]
    shown = by_hand(out, "model", "show", "demand_forecast", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["aliases"] == {"champion": champion["version"]}
    listed = by_hand(out, "incident", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    states = {i["incident_id"]: i["state"] for i in json.loads(listed.stdout)}
    assert states == {r["incident_id"]: r["state"] for r in incidents}
    assert states[incident] == "promoted"
