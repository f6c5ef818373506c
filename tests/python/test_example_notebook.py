"""examples/notebooks/driftgov_tour.ipynb runs end to end (nbclient, in a temporary folder) on the demo data, and
the figures it prints are those of the direct API and of pyarrow on the files it generated: the comparison of the
same rows, the monitor's rows read (the inference log's row count) and the plot's image."""
import json
import os

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from python_package import PACKAGE_ROOT, driftgov

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = ROOT / "examples" / "notebooks" / "driftgov_tour.ipynb"
START_DAY = 40  # the day the generator injects drift (scripts/generate_retail.py, DRIFT_DAY)


def test_tour_notebook_runs_and_prints_the_api_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("DRIFTGOV_REPO", str(ROOT))
    monkeypatch.setenv("DRIFTGOV_CLI", str(PACKAGE_ROOT.parent / "driftgov"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the cell on any error

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for cell in code_cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], (cell.source, cell.outputs)
    printed = json.loads(code_cells[-1].outputs[0]["text"])
    images = [o for cell in code_cells for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and (tmp_path / "drift.png").stat().st_size > 10_000

    # The same comparison through the API, on the rows pyarrow selects from the generated files.
    training = pq.read_table(tmp_path / "data" / "training_set.parquet")
    log = pq.read_table(tmp_path / "data" / "inference_log" / "days=00-45.parquet")
    features = [name for name in driftgov.Profile.load(str(tmp_path / "baseline.profile.json")).column_names]
    days = pc.days_between(pc.min(log["ts"]), log["ts"])
    first_day = pc.min(days).as_py()
    assert first_day == 0
    current = log.filter(pc.and_(pc.greater_equal(days, START_DAY), pc.equal(log["region"], "west")))
    reference = training.filter(pc.equal(training["region"], "west"))
    direct = driftgov.compare(reference.select(features), current.select(features))
    assert printed["price_psi"] == pytest.approx(direct.columns["price"]["population_stability_index"], rel=1e-12)
    assert printed["dataset_drift"] == direct.dataset_drift
    assert printed["drifted"] == sorted(name for name in direct if direct.columns[name]["drifted"])
    assert {"price", "promo"} <= set(printed["drifted"])  # the generator's injected drift
    assert printed["monitor_rows_read"] == log.num_rows
    assert printed["monitor_breaches"] >= 1
