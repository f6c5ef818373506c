"""Drift reports (docs/report.md): the SVG charts, their PNG renderings and report.html.

Inputs are built here with numpy and pandas; the expectations come from them and from the documented rules, not
from driftgov's output: a PSI computed here with numpy (bins at the reference deciles, proportions floored at 1e-4,
docs/statistics.md) gives the level, the Okabe-Ito colours of docs/report.md give the colour of each level, the
SVG's declared size gives the PNG's size, and the pixels of the PNG are sampled where the SVG says a level was
drawn.
"""
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake
from PIL import Image

from conftest import run_driftgov

SVG = "{http://www.w3.org/2000/svg}"
LEVEL_COLOURS = {"none": "#009E73", "moderate": "#E69F00", "high": "#D55E00", "unknown": "#BBBBBB"}
DAY = pd.Timedelta(days=1)
START = pd.Timestamp("2026-03-02", tz="UTC")


def psi(reference, current, bins=10, floor=1e-4):
    """PSI on bins at the reference deciles (docs/statistics.md), independently of driftgov."""
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    ref = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=bins) / len(reference)
    cur = np.bincount(np.searchsorted(edges, current, side="left"), minlength=bins) / len(current)
    ref, cur = np.maximum(ref, floor), np.maximum(cur, floor)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def level_of(value):
    return "none" if value < 0.1 else ("moderate" if value < 0.25 else "high")


def hex_rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def blend(colour, opacity):
    """The colour drawn at `opacity` over the white background."""
    return tuple(round(c * opacity + 255 * (1 - opacity)) for c in hex_rgb(colour))


def close_to(pixel, expected, tolerance=6):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected))


def svg_root(path):
    return ET.parse(path).getroot()


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare_report")
    rng = np.random.default_rng(11)
    n = 6000
    stable = rng.normal(0, 1, n)
    reference = pd.DataFrame({
        "shifted": rng.normal(0, 1, n),
        "nudged": rng.normal(0, 1, n),
        "stable": stable,
        "colour": rng.choice(["red", "green", "blue"], n),
        "empty": [None] * n,
    })
    current = pd.DataFrame({
        "shifted": rng.normal(3, 1, n),
        "nudged": rng.normal(0.42, 1, n),
        "stable": stable,
        "colour": rng.choice(["red", "green", "blue", "violet <&>"], n),
        "empty": [None] * n,
    })
    reference.to_csv(folder / "reference.csv", index=False)
    current.to_csv(folder / "current.csv", index=False)
    out = folder / "report"
    result = run_driftgov("compare", folder / "reference.csv", folder / "current.csv", "--report", out,
                          "--type", "empty=double")
    expected = {name: level_of(psi(reference[name].to_numpy(), current[name].to_numpy()))
                for name in ("shifted", "nudged", "stable")}
    categories = ["red", "green", "blue", "violet <&>"]
    ref = np.maximum([np.mean(reference.colour == c) for c in categories], 1e-4)
    cur = np.maximum([np.mean(current.colour == c) for c in categories], 1e-4)
    expected["colour"] = level_of(float(np.sum((cur - ref) * np.log(cur / ref))))
    return {"out": out, "stdout": result.stdout, "expected": expected}


def test_summary_table_colours_each_feature_by_its_level(comparison):
    root = svg_root(comparison["out"] / "psi_summary_table.svg")
    assert root.get("data-chart") == "psi_summary_table"
    cells = {rect.get("data-feature"): rect for rect in root.iter(f"{SVG}rect") if rect.get("data-feature")}
    assert set(cells) == {"shifted", "nudged", "stable", "colour", "empty"}
    assert comparison["expected"] == {"shifted": "high", "nudged": "moderate", "stable": "none", "colour": "high"}
    for name, level in comparison["expected"].items():
        assert cells[name].get("class") == f"level-{level}"
        assert cells[name].get("fill") == LEVEL_COLOURS[level]
    assert cells["empty"].get("class") == "level-unknown"
    assert cells["empty"].get("fill") == LEVEL_COLOURS["unknown"]
    # Sorted by severity: high, moderate, ..., none, and the column without a level last.
    order = [rect.get("data-feature") for rect in root.iter(f"{SVG}rect") if rect.get("data-feature")]
    assert set(order[:2]) == {"shifted", "colour"} and order[2] == "nudged"
    assert order[-1] == "empty"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for heading in ("feature", "type", "test", "statistic", "p-value", "PSI", "level", "null Δ (pp)", "drift"):
        assert heading in texts
    assert root.find(f"{SVG}title").text == "Drift summary"


def test_categorical_distribution_calls_out_the_new_category_escaped(comparison):
    text = (comparison["out"] / "distribution_colour.svg").read_text()
    root = ET.fromstring(text)  # the category "violet <&>" must not break the XML
    assert root.get("data-chart") == "distribution"
    notes = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("New in the current data")]
    assert notes == ["New in the current data: violet <&>"]
    assert "violet &lt;&amp;&gt;" in text
    # One bar per category on each side: the three reference categories (the new one has no reference bin).
    assert root.find(f".//{SVG}path[@class='reference']").get("d").count("z") >= 3
    assert root.find(f".//{SVG}path[@class='current']").get("d").count("z") >= 3


def test_numeric_distribution_has_bins_and_quantile_markers(comparison):
    root = svg_root(comparison["out"] / "distribution_shifted.svg")
    reference = root.find(f".//{SVG}path[@class='reference']").get("d")
    current = root.find(f".//{SVG}path[@class='current']").get("d")
    assert reference.count("z") == current.count("z") == 10  # the ten bins of the test, the same for both sides
    # The current sample sits 3 standard deviations higher: its median marker is to the right of the reference's.
    ref_marks = [float(line.get("x1")) for line in root.findall(f".//{SVG}line[@class='quantile-reference']")]
    cur_marks = [float(line.get("x1")) for line in root.findall(f".//{SVG}line[@class='quantile-current']")]
    assert len(ref_marks) == len(cur_marks) == 3
    assert all(c > r for r, c in zip(ref_marks, cur_marks))
    axis_labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "share of non-null rows (%)" in axis_labels
    assert any(label and label.startswith("value of shifted") for label in axis_labels)


def test_all_null_feature_is_an_explicit_empty_state(comparison):
    root = svg_root(comparison["out"] / "distribution_empty.svg")
    assert root.get("data-chart") == "empty"
    message = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "empty-state"]
    assert len(message) == 1 and message[0].startswith("No distribution")


def check_png(svg_path):
    png_path = svg_path.with_suffix(".png")
    root = svg_root(svg_path)
    width, height = int(root.get("width")), int(root.get("height"))
    with Image.open(png_path) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (width, height), png_path
        rgb = image.convert("RGB")
        # Not blank: the title region holds dark text, and the body has more than the background colour.
        title = rgb.crop((20, 10, min(width, 700), 50))
        assert min(sum(p) for p in title.get_flattened_data()) < 200, f"{png_path}: no title drawn"
        body = rgb.crop((0, 90, width, height)).resize((200, 100))
        assert len(set(body.get_flattened_data())) > 5, f"{png_path}: blank body"
        return rgb


def test_every_png_decodes_has_the_svg_size_and_is_not_blank(comparison):
    svgs = sorted(comparison["out"].glob("*.svg"))
    assert {p.stem for p in svgs} >= {"psi_summary_table", "gallery", "distribution_shifted"}
    for svg_path in svgs:
        check_png(svg_path)
        assert f"png: {svg_path.with_suffix('.png')}" in comparison["stdout"]


def test_summary_png_shows_the_level_colours_where_the_svg_put_them(comparison):
    svg_path = comparison["out"] / "psi_summary_table.svg"
    rgb = check_png(svg_path)
    for rect in svg_root(svg_path).iter(f"{SVG}rect"):
        name = rect.get("data-feature")
        if not name:
            continue
        x = float(rect.get("x")) + 12  # left of the centred numbers, inside the cell
        y = float(rect.get("y")) + float(rect.get("height")) / 2
        expected = blend(rect.get("fill"), float(rect.get("fill-opacity")))
        assert close_to(rgb.getpixel((int(x), int(y))), expected), (name, rgb.getpixel((int(x), int(y))), expected)


def test_report_paths_go_to_stderr_when_stdout_carries_the_json(tmp_path, comparison):
    folder = comparison["out"].parent
    result = run_driftgov("compare", folder / "reference.csv", folder / "current.csv", "--report", tmp_path / "r",
                          "--json", "-", "--type", "empty=double")
    assert json.loads(result.stdout)["columns"]
    assert f"report: {tmp_path / 'r' / 'report.html'}" in result.stderr


def test_report_html_is_self_contained(comparison):
    html = (comparison["out"] / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    # No request can leave the file: no src attribute, links only to anchors or data URIs, a CSP that forbids
    # every fetch; the only URL is the SVG namespace.
    assert not re.search(r"\ssrc=", html)
    assert all(href.startswith("#") or href == "data:," for href in re.findall(r'href="([^"]*)"', html))
    assert "default-src 'none'" in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "violet &lt;&amp;&gt;" in html and "violet <&>" not in html
    assert 'id="feature-table"' in html and "<caption>" in html and 'scope="col"' in html


# ---------------------------------------------------------------------------------------------------------------
# Monitors


def write_monitor(folder, frame, extra="", name="m", profile_type="time_series", slicing='["region"]'):
    write_deltalake(str(folder / "lake" / "log"), pa.Table.from_pandas(frame, preserve_index=False))
    config = folder / "driftgov.yaml"
    config.write_text(f"""project: report-test
targets:
  dev: {{mode: development, lakehouse: ./lake, default: true}}
monitors:
  {name}:
    table: log
    profile_type: {profile_type}
    timestamp_col: ts
    granularities: ["1 day"]
    slicing_exprs: {slicing}
{extra}""")
    return config


def daily_frame(days, rows_per_day, seed, features=3, shift_from=None, regions=("north", "south")):
    rng = np.random.default_rng(seed)
    frames = []
    for day in days:
        frame = pd.DataFrame({
            "ts": (START + day * DAY + pd.to_timedelta(rng.uniform(0, 86399, rows_per_day), unit="s")).astype(
                "datetime64[us, UTC]"),
            "region": rng.choice(list(regions), rows_per_day),
        })
        for f in range(features):
            shift = 2.0 if shift_from is not None and day >= shift_from and f == 0 else 0.0
            frame[f"x{f}"] = rng.normal(shift, 1.0, rows_per_day)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_never_refreshed_monitor_gives_an_empty_state(tmp_path):
    config = write_monitor(tmp_path, daily_frame([0, 1], 50, 1))
    result = run_driftgov("report", "m", "--config", config, "--out", tmp_path / "out")
    assert "never refreshed" in result.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert re.search(r'class="empty-state"[^>]*>Monitor m has no metrics yet: it was never refreshed', html)
    root = svg_root(tmp_path / "out" / "psi_summary_table.svg")
    assert root.get("data-chart") == "empty"
    check_png(tmp_path / "out" / "psi_summary_table.svg")


def test_monitor_report_marks_empty_windows_null_features_and_missing_labels(tmp_path):
    frame = daily_frame([0, 1, 3, 4], 200, 2, shift_from=3)  # day 2 has no row
    frame["all_null"] = pd.Series([None] * len(frame), dtype="float64")
    baseline = daily_frame([0], 400, 3)
    baseline["all_null"] = pd.Series([None] * len(baseline), dtype="float64")
    write_deltalake(str(tmp_path / "lake" / "train"), pa.Table.from_pandas(baseline, preserve_index=False))
    config = write_monitor(tmp_path, frame, extra="""    baseline: {table: train}
    breach:
      - {metric: population_stability_index, op: ">=", value: 0.25, columns: [x0]}
""", profile_type="inference_log", slicing='["region"]').read_text()
    # An inference log without a label column: no model quality.
    config = config.replace("    granularities:", "    prediction_col: x2\n"
                                                 "    problem_type: regression\n    granularities:")
    (tmp_path / "driftgov.yaml").write_text(config)
    run_driftgov("monitor", "run", "m", "--config", tmp_path / "driftgov.yaml")
    out = tmp_path / "out"
    run_driftgov("report", "m", "--config", tmp_path / "driftgov.yaml", "--out", out)
    names = {p.stem for p in out.glob("*.svg")}
    assert {"psi_summary_table", "psi_timeseries", "psi_heatmap", "drift_level_bins", "gallery"} <= names
    assert "model_quality" not in names
    html = (out / "report.html").read_text()
    assert "Monitor m has no label column (label_col): no model quality to show" in html
    # Windows: days 0..4, day 2 drawn as "no data" (its own window, no metric row).
    heatmap = svg_root(out / "psi_heatmap.svg")
    labels = [t.text for t in heatmap.iter(f"{SVG}text")]
    assert "2026-03-04" in labels  # day 2
    unknown = heatmap.find(f".//{SVG}path[@class='level-unknown']")
    assert unknown is not None and unknown.get("fill") == LEVEL_COLOURS["unknown"]
    # x0 shifted by 2 standard deviations from day 3: the heatmap draws high cells, the time series a breach.
    assert heatmap.find(f".//{SVG}path[@class='level-high']") is not None
    series = svg_root(out / "psi_timeseries.svg")
    breaches = series.findall(f".//{SVG}path[@class='breach']")
    assert [(b.get("data-feature"), b.get("data-drift-type"), b.get("d").count("z")) for b in breaches] == [
        ("x0", "BASELINE", 2)]
    assert breaches[0].find(f"{SVG}title").text == "2 breaches: x0 BASELINE"
    assert {p.get("data-drift-type") for p in series.iter(f"{SVG}polyline")} == {"BASELINE", "CONSECUTIVE"}
    # The all-null feature: an explicit empty state in its drill-down, never a broken chart.
    assert "Every value of all_null is null" in html
    # Slices are listed.
    assert "region = north" in html and "region = south" in html
    for svg_path in out.glob("*.svg"):
        check_png(svg_path)


def test_unknown_slice_and_granularity_are_named(tmp_path):
    config = write_monitor(tmp_path, daily_frame([0, 1], 50, 4))
    run_driftgov("monitor", "run", "m", "--config", config)
    result = run_driftgov("report", "m", "--config", config, "--out", tmp_path / "o", "--slice", "region=east",
                          check=False)
    assert result.returncode == 2
    assert "--slice region = east" in result.stderr and "region = north" in result.stderr
    result = run_driftgov("report", "m", "--config", config, "--out", tmp_path / "o", "--granularity", "1 week",
                          check=False)
    assert result.returncode == 2 and "(it has: 1 day)" in result.stderr


def write_wide_monitor(folder, rows_per_day=40, features=50, days=90, regions=5, seed=1):
    """A time-series monitor of `features` numeric features over `days` daily windows, sliced by a column with
    `regions` values; from the middle day on, feature f moves by f / features standard deviations."""
    rng = np.random.default_rng(seed)
    n = days * rows_per_day
    start = pd.Timestamp("2026-01-01", tz="UTC")
    frame = pd.DataFrame({
        "ts": (start + pd.to_timedelta(rng.uniform(0, days * 86400, n), unit="s")).astype("datetime64[us, UTC]"),
        "region": rng.choice([chr(ord("a") + r) for r in range(regions)], n),
    })
    day = ((frame.ts - start).dt.total_seconds() // 86400).to_numpy()
    for f in range(features):
        frame[f"feature_{f:02d}"] = rng.normal(np.where(day >= days // 2, f / features, 0.0), 1.0, n)
    write_deltalake(str(folder / "lake" / "log"), pa.Table.from_pandas(frame, preserve_index=False))
    config = folder / "driftgov.yaml"
    config.write_text("""project: wide
targets:
  dev: {mode: development, lakehouse: ./lake, default: true}
monitors:
  wide:
    table: log
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    slicing_exprs: ["region"]
    baseline: {table: log, version: 0}
    breach:
      - {metric: population_stability_index, op: ">=", value: 0.25}
""")
    return config


def test_report_of_50_features_90_windows_5_slices_stays_under_1_mb(tmp_path):
    config = write_wide_monitor(tmp_path)
    run_driftgov("monitor", "run", "wide", "--config", config)
    out = tmp_path / "out"
    run_driftgov("report", "wide", "--config", config, "--out", out)
    html = (out / "report.html").read_text()
    assert len(html.encode()) < 1_000_000, len(html.encode())
    assert html.count('<article class="detail"') == 51  # the 50 features and the slicing column
    assert html.count("<details><summary>region = ") == 5
    heatmap = svg_root(out / "psi_heatmap.svg")
    labels = {t.text for t in heatmap.iter(f"{SVG}text")}
    assert {f"feature_{f:02d}" for f in range(50)} <= labels
    assert int(heatmap.get("width")) == 1600
    # Legible: every feature row is at least 16 px high (font 14 px), the window labels do not overlap.
    assert int(heatmap.get("height")) >= 100 + 50 * 16
    window_labels = [float(t.get("x")) for t in heatmap.iter(f"{SVG}text") if re.fullmatch(r"\d{4}-\d\d-\d\d", t.text)]
    assert len(window_labels) >= 8 and min(np.diff(window_labels)) >= 100
    check_png(out / "psi_heatmap.svg")


def test_model_quality_chart_has_the_baseline_reference_line(tmp_path):
    from sklearn.metrics import r2_score

    def labelled(days, seed, noise):
        frame = daily_frame(days, 300, seed)
        rng = np.random.default_rng(seed + 100)
        frame["label"] = 2.0 * frame.x1 + rng.normal(0, noise, len(frame))
        frame["prediction"] = 2.0 * frame.x1
        frame["model"] = rng.choice(["v1", "v2"], len(frame))
        return frame

    baseline = labelled([0], 7, 0.5)
    write_deltalake(str(tmp_path / "lake" / "train"), pa.Table.from_pandas(baseline, preserve_index=False))
    config = write_monitor(tmp_path, labelled(range(4), 8, 1.5), profile_type="inference_log", extra="""\
    model_id_col: model
    prediction_col: prediction
    label_col: label
    problem_type: regression
    baseline: {table: train}
""")
    run_driftgov("monitor", "run", "m", "--config", config)
    run_driftgov("report", "m", "--config", config, "--out", tmp_path / "out")
    root = svg_root(tmp_path / "out" / "model_quality.svg")
    assert root.get("data-chart") == "model_quality"
    expected = r2_score(baseline.label, baseline.prediction)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("baseline ")]
    assert labels == [f"baseline {expected:.4g}"]
    assert root.find(f".//{SVG}line[@class='baseline']") is not None
    # One line per model id and one for all models together, each over the 4 windows.
    lines = {p.get("data-model"): p.get("points").split() for p in root.iter(f"{SVG}polyline")}
    assert set(lines) == {"*", "v1", "v2"} and all(len(points) == 4 for points in lines.values())
    # The noisier current data scores below the baseline: every point lies below the reference line (larger y).
    y_baseline = float(root.find(f".//{SVG}line[@class='baseline']").get("y1"))
    assert all(float(point.split(",")[1]) > y_baseline for point in lines["*"])
    assert [t.text for t in root.iter(f"{SVG}text") if t.text == "r2_score (unit of the metric)"]


def test_export_embeds_the_report_charts(tmp_path):
    import base64

    config = write_wide_monitor(tmp_path, rows_per_day=60, features=3, days=6, regions=2)
    run_driftgov("monitor", "run", "wide", "--config", config)
    document = json.loads(run_driftgov("export", "wide", "--config", config, "--embed-charts").stdout)
    charts = document["charts"]
    assert {"psi_summary_table", "psi_timeseries", "psi_heatmap", "drift_level_bins"} <= set(charts)
    assert "gallery" not in charts and "model_quality" not in charts  # no labels in this monitor
    for name, uri in charts.items():
        prefix = "data:image/svg+xml;base64,"
        assert uri.startswith(prefix)
        root = ET.fromstring(base64.b64decode(uri[len(prefix):]))
        assert root.tag == f"{SVG}svg" and root.get("data-chart") == (
            "distribution" if name.startswith("distribution_") else name)
