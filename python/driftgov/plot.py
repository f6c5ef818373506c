"""Matplotlib charts of a drift result (``DriftResult.plot``), the charts of ``driftgov compare --report``
(docs/report.md) drawn from the result document alone: the per-column PSI summary and the per-feature
distributions on the bins of the test.

matplotlib is optional: it is imported when a chart is drawn, never by ``import driftgov``.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence

# The report's colours (docs/report.md): the Okabe–Ito palette, distinct for the common colour-vision deficiencies.
LEVEL_COLOURS = {"none": "#009E73", "moderate": "#E69F00", "high": "#D55E00", None: "#BBBBBB"}
REFERENCE_COLOUR = "#56B4E9"
CURRENT_COLOUR = "#0072B2"
# PSI level bounds of `drift_level` (docs/statistics.md): moderate from 0.1, high from 0.25.
LEVEL_BOUNDS = (("moderate", 0.1), ("high", 0.25))
KINDS = ("summary", "distributions", "all")
_SEVERITY = {"high": 3, "moderate": 2, "none": 1, None: 0}


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("DriftResult.plot needs the package matplotlib (pip install matplotlib)") from error
    return Figure


def _psi(column: dict) -> Optional[float]:
    value = column.get("population_stability_index")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def by_severity(columns: Sequence[dict]) -> List[dict]:
    """The report's order: level (high first), then drifted first, then PSI (largest first), then name."""
    def key(column):
        psi = _psi(column)
        return (-_SEVERITY.get(column.get("drift_level") if column.get("evaluated") else None, 0),
                not column.get("drifted"), -(psi if psi is not None and not math.isnan(psi) else -1.0),
                column["column_name"])

    return sorted(columns, key=key)


def draw_summary(ax, document: dict) -> None:
    """One horizontal bar per column, most severe on top: its PSI, coloured by its drift level, with the level
    bounds marked; a column not evaluated gets no bar and says so."""
    columns = by_severity(document["columns"])
    names = [column["column_name"] for column in columns]
    values, colours = [], []
    for column in columns:
        psi = _psi(column) if column.get("evaluated") else None
        values.append(psi if psi is not None and math.isfinite(psi) else 0.0)
        colours.append(LEVEL_COLOURS[column.get("drift_level") if psi is not None else None])
    positions = list(range(len(columns)))
    ax.barh(positions, values, color=colours, height=0.7, gid="psi")
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    highest = max(values + [LEVEL_BOUNDS[-1][1]])
    for level, bound in LEVEL_BOUNDS:
        ax.axvline(bound, color=LEVEL_COLOURS[level], linestyle="--", linewidth=1.2, gid=f"bound-{level}",
                   label=f"{level} from PSI {bound:g}")
    for position, column, value in zip(positions, columns, values):
        if not column.get("evaluated"):
            note = "not evaluated"
        else:
            note = "DRIFT" if column.get("drifted") else "ok"
            test = column.get("test") or {}
            if test.get("name"):
                note += f" ({test['name']})"
        ax.text(value + highest * 0.01, position, note, va="center", fontsize=8,
                fontweight="bold" if column.get("drifted") else "normal")
    ax.set_xlim(0, highest * 1.25)
    ax.set_xlabel("population stability index (PSI)")
    dataset = document["dataset"]
    if dataset.get("dataset_drift") is None:
        verdict = "not decided" + (f": {dataset['reason']}" if dataset.get("reason") else "")
    else:
        verdict = (f"{'YES' if dataset['dataset_drift'] else 'no'} ({dataset['drifted_columns']} of "
                   f"{dataset['evaluated_columns']} columns drifted)")
    ax.set_title(f"Drift per column; dataset drift: {verdict}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)


def numeric_edges(column: dict) -> List[float]:
    """The bins' outer edges: the inner edges of the test (reference quantiles), closed by the range of both sides,
    as the report draws them."""
    inner = [float(edge) for edge in column["bins"].get("edges", [])]
    span = column.get("range") or {}
    low = span.get("min", inner[0] - 1.0 if inner else 0.0)
    high = span.get("max", inner[-1] + 1.0 if inner else 1.0)
    low = min(float(low), inner[0]) if inner else float(low)
    high = max(float(high), inner[-1] if inner else low)
    return [low] + inner + [high]


def draw_distribution(ax, column: dict) -> None:
    """Reference and current shares of the column's non-null rows on the bins of the test: numeric bins at their
    values (the reference quantiles), categories side by side."""
    name = column["column_name"]
    bins = column.get("bins") or {}
    if not column.get("evaluated") or not bins.get("reference_proportion"):
        ax.text(0.5, 0.5, f"No distribution of {name}: {column.get('reason', 'the column was not evaluated')}",
                ha="center", va="center", transform=ax.transAxes, wrap=True)
        ax.set_axis_off()
        return
    reference = [100.0 * share for share in bins["reference_proportion"]]
    current = [100.0 * share for share in bins["current_proportion"]]
    if column.get("kind") == "numeric":
        edges = numeric_edges(column)
        lefts = edges[:-1]
        widths = [high - low for low, high in zip(edges[:-1], edges[1:])]
        # Reference on the left half of each bin, current on the right half, as in the report.
        ax.bar(lefts, reference, width=[w / 2 for w in widths], align="edge", color=REFERENCE_COLOUR,
               label="reference", gid="reference")
        ax.bar([x + w / 2 for x, w in zip(lefts, widths)], current, width=[w / 2 for w in widths], align="edge",
               color=CURRENT_COLOUR, label="current", gid="current")
        for quantile in column.get("quantile_deltas", []):
            if quantile["quantile"] in (0.05, 0.5, 0.95):
                ax.axvline(quantile["reference"], color=REFERENCE_COLOUR, linestyle="--", linewidth=1)
                ax.axvline(quantile["current"], color=CURRENT_COLOUR, linestyle=":", linewidth=1)
        ax.set_xlabel(f"value of {name} (5%, 50%, 95% quantiles dashed)")
    else:
        labels = [str(label) for label in bins["labels"]]
        positions = list(range(len(labels)))
        ax.bar([p - 0.2 for p in positions], reference, width=0.4, color=REFERENCE_COLOUR, label="reference",
               gid="reference")
        ax.bar([p + 0.2 for p in positions], current, width=0.4, color=CURRENT_COLOUR, label="current", gid="current")
        new = set((column.get("new_categories") or {}).get("values", []))
        missing = set((column.get("missing_categories") or {}).get("values", []))
        shown = [label + (" (new)" if label in new else " (missing)" if label in missing else "") for label in labels]
        ax.set_xticks(positions, shown, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("share of non-null rows (%)")
    test = column.get("test") or {}
    psi = _psi(column)
    details = [test.get("name", ""), f"statistic {test['statistic']:.4g}" if "statistic" in test else "",
               f"PSI {psi:.4f}" if psi is not None else "", "DRIFT" if column.get("drifted") else "ok"]
    ax.set_title(f"{name}: " + ", ".join(part for part in details if part), fontsize=10)
    ax.legend(fontsize=8)


def plot(document: dict, kind: str = "all", columns: Optional[Sequence[str]] = None, top: int = 5,
         figsize: Optional[Any] = None):
    """The figure of `document` (see DriftResult.plot)."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if isinstance(columns, str):
        columns = [columns]
    if columns is not None:
        known = {column["column_name"]: column for column in document["columns"]}
        unknown = [name for name in columns if name not in known]
        if unknown:
            raise ValueError(f"columns: {', '.join(map(repr, unknown))} not in the result (columns: "
                             f"{', '.join(known)})")
        shown = [known[name] for name in columns]
    else:
        if isinstance(top, bool) or not isinstance(top, int) or top < 0:
            raise ValueError(f"top: expected an integer >= 0 (0: every column), got {top!r}")
        ranked = by_severity(document["columns"])
        shown = ranked if top == 0 else ranked[:top]
    Figure = _figure_class()
    panels = (["summary"] if kind != "distributions" else []) + (shown if kind != "summary" else [])
    if not panels:
        panels = ["summary"]
    width = 10.0
    heights = [max(2.5, 0.35 * len(document["columns"]) + 1.2) if panel == "summary" else 3.6 for panel in panels]
    figure = Figure(figsize=figsize or (width, sum(heights)), layout="constrained")
    axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, panel in zip(axes, panels):
        if panel == "summary":
            draw_summary(ax, document)
        else:
            draw_distribution(ax, panel)
    return figure
