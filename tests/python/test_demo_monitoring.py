"""The monitoring demo (scripts/demo-monitoring.sh) tells its story: a full refresh, an incremental refresh that
reads only the two new days, a late-label rewrite whose windows are recomputed, and breaches exactly where the
generator injected drift (price and promotions in the west region from day 40), printed as the breaches table
holds them."""
import os
import re
import subprocess

import pandas as pd
import xml.etree.ElementTree as ET
from deltalake import DeltaTable
from PIL import Image

from conftest import BUILD_DIR, ROOT

PER_DAY = 6000
DAY0 = pd.Timestamp("2026-09-07", tz="UTC")  # the generator's day 0


def test_monitoring_demo(tmp_path):
    out = tmp_path / "retail"
    env = dict(os.environ, DRIFTGOV_DEMO_ROWS_PER_DAY=str(PER_DAY), DRIFTGOV_BUILD_DIR=str(BUILD_DIR))
    run = subprocess.run([str(ROOT / "scripts" / "demo-monitoring.sh"), str(out)], capture_output=True, text=True,
                         env=env, timeout=900)
    assert run.returncode == 0, run.stderr
    refreshes = re.findall(r"demand_forecast: SUCCESS (full|incremental) refresh of versions (\S+): (\d+) rows from "
                           r"(\d+) files, (\d+) windows written \((\d+) recomputed\)", run.stdout)
    assert [r[0] for r in refreshes] == ["full", "incremental", "incremental"]
    full, first, second = refreshes
    assert (full[1], int(full[2]), int(full[3])) == ("-..37", 38 * PER_DAY, 38)  # one commit per day
    # Two new days, two new files, nothing recomputed.
    assert (first[1], int(first[2]), int(first[3]), int(first[5])) == ("37..39", 2 * PER_DAY, 2, 0)
    # The label rewrite of days 35-36 removed those days' files: exactly those two windows are recomputed.
    assert second[1] == "39..43" and int(second[5]) == 2

    monitoring = out / "lakehouse" / "dev" / "monitoring"
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
