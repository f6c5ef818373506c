"""DriftResult.plot (docs/python.md): the artists of the matplotlib figure against values computed here with numpy
from the data (category shares, bin shares on the test's edges, PSI by its formula in docs/statistics.md), and
against the result document; matplotlib stays an optional import."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from python_package import PACKAGE_ROOT, driftgov

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

REGIONS = ["north", "south", "east", "west"]
LEVEL_COLOURS = {"none": "#009e73", "moderate": "#e69f00", "high": "#d55e00"}


def make_frames(rows=20000, seed=11):
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame({
        "price": rng.normal(100, 15, rows),
        "region": rng.choice(REGIONS, rows, p=[0.4, 0.3, 0.2, 0.1]),
        "stable": rng.normal(0, 1, rows),
    })
    current = pd.DataFrame({
        "price": rng.normal(112, 15, rows),
        "region": rng.choice(REGIONS, rows, p=[0.25, 0.25, 0.25, 0.25]),
        "stable": rng.normal(0, 1, rows),
    })
    return reference, current


@pytest.fixture(scope="module")
def frames():
    return make_frames()


@pytest.fixture(scope="module")
def result(frames):
    return driftgov.compare(*frames)


def bars(ax, gid):
    return [patch for patch in ax.patches if isinstance(patch, Rectangle) and patch.get_gid() == gid]


def level_of(psi):
    return "high" if psi >= 0.25 else "moderate" if psi >= 0.1 else "none"


def psi_of(reference_shares, current_shares, floor=1e-4):
    r = np.maximum(np.asarray(reference_shares, float), floor)
    c = np.maximum(np.asarray(current_shares, float), floor)
    return float(np.sum((c - r) * np.log(c / r)))


def shares_by_region(frame):
    counts = frame["region"].value_counts()
    return {region: counts.get(region, 0) / len(frame) for region in REGIONS}


def test_summary_bars_are_psi_by_level_with_bounds(frames, result):
    figure = result.plot("summary")
    (ax,) = figure.axes
    reference, current = frames
    shares_reference, shares_current = shares_by_region(reference), shares_by_region(current)
    region_psi = psi_of([shares_reference[r] for r in REGIONS], [shares_current[r] for r in REGIONS])

    names = [label.get_text() for label in ax.get_yticklabels()]
    assert sorted(names) == ["price", "region", "stable"]
    widths = {name: patch.get_width() for name, patch in zip(names, bars(ax, "psi"))}
    colours = {name: to_hex(patch.get_facecolor()) for name, patch in zip(names, bars(ax, "psi"))}
    # The categorical column's PSI from its category shares (the bins are the categories; __other__ and
    # __unseen__ are empty on both sides and add nothing).
    assert widths["region"] == pytest.approx(region_psi, rel=1e-9)
    for name in names:
        psi = result.columns[name]["population_stability_index"]
        assert widths[name] == pytest.approx(psi, rel=1e-12)
        assert colours[name] == LEVEL_COLOURS[level_of(widths[name])]
    # Most severe on top: the y axis is inverted, so the first tick is the top bar.
    assert ax.yaxis_inverted()
    assert names[-1] == "stable" and level_of(widths["stable"]) == "none"
    assert {level_of(widths["price"]), level_of(widths["region"])} <= {"moderate", "high"}
    bounds = {line.get_gid(): line.get_xdata()[0] for line in ax.get_lines()}
    assert bounds == {"bound-moderate": 0.1, "bound-high": 0.25}
    notes = [text.get_text() for text in ax.texts]
    expected = [("DRIFT" if result.columns[name]["drifted"] else "ok") + f" ({result.columns[name]['test']['name']})"
                for name in names]
    assert notes == expected and notes[0].startswith("DRIFT") and notes[-1].startswith("ok")


def test_categorical_distribution_is_the_category_shares(frames, result):
    figure = result.plot("distributions", columns=["region"])
    (ax,) = figure.axes
    labels = [label.get_text() for label in ax.get_xticklabels()]
    reference, current = frames
    expected_reference, expected_current = shares_by_region(reference), shares_by_region(current)
    heights_reference = [patch.get_height() for patch in bars(ax, "reference")]
    heights_current = [patch.get_height() for patch in bars(ax, "current")]
    assert len(labels) == len(heights_reference) == len(heights_current)
    for label, ref, cur in zip(labels, heights_reference, heights_current):
        if label in REGIONS:
            assert ref == pytest.approx(100 * expected_reference[label], rel=1e-12)
            assert cur == pytest.approx(100 * expected_current[label], rel=1e-12)
        else:
            assert label in ("__other__", "__unseen__") and ref == 0 and cur == 0
    assert set(REGIONS) <= set(labels)
    assert ax.get_title().startswith("region: ")


def test_numeric_distribution_is_the_bin_shares_at_the_edges(frames, result):
    figure = result.plot("distributions", columns="price")
    (ax,) = figure.axes
    column = result.columns["price"]
    inner = np.asarray(column["bins"]["edges"], float)
    reference, current = frames
    low = min(reference["price"].min(), current["price"].min())
    high = max(reference["price"].max(), current["price"].max())
    edges = np.concatenate([[low], inner, [high]])

    def shares(values):
        # Bin i holds (edges[i-1], edges[i]] (docs/json-formats.md): the index of the first inner edge >= value.
        index = np.searchsorted(inner, values, side="left")
        return np.bincount(index, minlength=len(inner) + 1) / len(values)

    for gid, frame, offset in (("reference", reference, 0.0), ("current", current, 0.5)):
        patches = bars(ax, gid)
        assert len(patches) == len(edges) - 1
        np.testing.assert_allclose([p.get_height() for p in patches], 100 * shares(frame["price"].to_numpy()),
                                   rtol=1e-12, atol=1e-12)
        # Each bin spans its values: the reference bar fills the left half, the current bar the right half.
        np.testing.assert_allclose([p.get_x() for p in patches], edges[:-1] + offset * np.diff(edges), rtol=1e-12)
        np.testing.assert_allclose([p.get_width() for p in patches], np.diff(edges) / 2, rtol=1e-12)
    # The 5%, 50% and 95% quantiles of each side, dashed (reference) and dotted (current).
    for style, frame in (("--", reference), (":", current)):
        marks = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == style)
        np.testing.assert_allclose(marks, np.quantile(frame["price"], [0.05, 0.5, 0.95]), atol=0.05)


def test_all_and_top(result):
    figure = result.plot()
    assert len(figure.axes) == 4  # the summary and three distributions
    assert len(result.plot(top=1).axes) == 2
    figure = result.plot("distributions", top=2)
    summary_order = [label.get_text() for label in result.plot("summary").axes[0].get_yticklabels()]
    titles = [ax.get_title().split(":")[0] for ax in figure.axes]
    assert titles == summary_order[:2]


def test_not_evaluated_column_says_why():
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [None, None, None]}, dtype=float)
    current = pd.DataFrame({"x": [1.5, 2.5, 3.5], "y": [1.0, 2.0, 3.0]})
    result = driftgov.compare(reference, current)
    assert not result.columns["y"]["evaluated"]
    figure = result.plot("distributions", columns=["y"])
    (ax,) = figure.axes
    assert not ax.axison and ax.texts[0].get_text().startswith("No distribution of y: ")
    summary = result.plot("summary").axes[0]
    names = [label.get_text() for label in summary.get_yticklabels()]
    widths = dict(zip(names, (p.get_width() for p in bars(summary, "psi"))))
    assert widths["y"] == 0 and "not evaluated" in {text.get_text() for text in summary.texts}


def test_bad_options_name_the_option(result):
    with pytest.raises(ValueError, match="kind: expected one of summary, distributions, all, got 'pie'"):
        result.plot("pie")
    with pytest.raises(ValueError, match="columns: 'nope' not in the result"):
        result.plot(columns=["nope"])
    with pytest.raises(ValueError, match="top: expected an integer >= 0"):
        result.plot(top=-1)


def test_matplotlib_is_optional():
    """Without matplotlib, `import driftgov` and compare work and plot raises an ImportError naming it."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            f"sys.path.insert(0, {str(PACKAGE_ROOT)!r})\n"
            "import driftgov, pandas as pd\n"
            "result = driftgov.compare(pd.DataFrame({'a': [1.0, 2.0]}), pd.DataFrame({'a': [1.0, 3.0]}))\n"
            "try:\n    result.plot()\nexcept ImportError as error:\n    print('ImportError:', error)\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "ImportError: DriftResult.plot needs the package matplotlib" in completed.stdout
