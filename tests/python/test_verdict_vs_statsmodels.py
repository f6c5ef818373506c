"""Per-column verdicts, multiple-testing corrections and the dataset verdict of `driftgov compare`, recomputed from
the raw data with an outside reference: the statistics with scipy (`ks_2samp`, `chi2_contingency`, `jensenshannon`,
`wasserstein_distance`) as docs/statistics.md defines them, the corrected p-values and rejections with statsmodels
`multipletests` (`bonferroni`, `fdr_bh`), then the share of drifted columns and the dataset verdict.

Every option the verdict depends on is passed explicitly (test per column, thresholds, `--alpha`, `--correction`,
`--drift-share`), and the columns hold no nulls and no timestamps, so no default takes part in the result."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from statsmodels.stats.multitest import multipletests

from conftest import compare_json

REFERENCE_ROWS, CURRENT_ROWS = 400, 300
# Shifts chosen so that the p-values spread from clearly drifted to clearly stable, with some between 0.005 and 0.1,
# where the corrections change verdicts (test_the_fixed_case_makes_every_option_matter checks that they do).
NUMERIC_SHIFTS = {"n0": 0.0, "n1": 0.1, "n2": 0.17, "n3": 0.22, "n4": 0.3, "n5": 0.6}
CATEGORIES = ["a", "b", "c", "d"]
CATEGORICAL_CURRENT = {"k0": [0.4, 0.3, 0.2, 0.1], "k1": [0.33, 0.3, 0.22, 0.15], "k2": [0.25, 0.25, 0.25, 0.25]}
REFERENCE_PROPORTIONS = [0.4, 0.3, 0.2, 0.1]


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    rng = np.random.default_rng(20261201)
    reference, current = {}, {}
    for name, shift in NUMERIC_SHIFTS.items():
        reference[name] = rng.normal(0.0, 1.0, REFERENCE_ROWS)
        current[name] = rng.normal(shift, 1.0, CURRENT_ROWS)
    reference["ties"] = rng.poisson(3.0, REFERENCE_ROWS).astype(float)  # many tied values
    current["ties"] = rng.poisson(3.4, CURRENT_ROWS).astype(float)
    for name, proportions in CATEGORICAL_CURRENT.items():
        reference[name] = rng.choice(CATEGORIES, REFERENCE_ROWS, p=REFERENCE_PROPORTIONS)
        current[name] = rng.choice(CATEGORIES, CURRENT_ROWS, p=proportions)
    current["k2"][:7] = "new"  # a category the reference never saw
    folder = tmp_path_factory.mktemp("verdict")
    paths = folder / "reference.csv", folder / "current.csv"
    for path, data in zip(paths, (reference, current)):
        pd.DataFrame(data).to_csv(path, index=False, float_format="%.17g")
    return reference, current, paths


NUMERIC = [*NUMERIC_SHIFTS, "ties"]
CATEGORICAL = list(CATEGORICAL_CURRENT)


def oracle_statistic(test, reference, current):
    """(statistic, p-value or None) of one column, from the raw values (docs/statistics.md)."""
    if test == "ks":
        result = stats.ks_2samp(reference, current, method="auto")
        return result.statistic, result.pvalue
    if test == "wasserstein":  # wasserstein_normed: scaled by the reference's population standard deviation
        return stats.wasserstein_distance(reference, current) / max(np.std(reference), 0.001), None
    seen = sorted(set(reference) | set(current))
    if test == "chi2":  # 2 x k homogeneity table over every category either side has seen, no continuity correction
        table = np.array([[np.sum(reference == v) for v in seen], [np.sum(current == v) for v in seen]])
        statistic, pvalue, _, _ = stats.chi2_contingency(table, correction=False)
        return statistic, pvalue
    if test == "js":  # one bin per reference category, then one bin for every category the reference never saw
        known = sorted(set(reference))
        reference_counts = [np.sum(reference == v) for v in known] + [0]
        current_counts = [np.sum(current == v) for v in known] + [np.sum(~np.isin(current, known))]
        return jensenshannon(reference_counts, current_counts, base=2), None
    raise AssertionError(test)


METRIC_NAMES = {"ks": "ks_test", "chi2": "chi_squared_test", "wasserstein": "wasserstein_normed", "js": "js_distance"}
STATSMODELS_METHOD = {"bonferroni": "bonferroni", "bh": "fdr_bh"}


def oracle_verdict(reference, current, tests, thresholds, alpha, correction, drift_share):
    """Per-column (statistic, p-value, adjusted p-value, drifted) and the dataset verdict."""
    columns = {name: oracle_statistic(test, reference[name], current[name]) for name, test in tests.items()}
    tested = [name for name in tests if columns[name][1] is not None]
    pvalues = np.array([columns[name][1] for name in tested])
    if correction == "none":
        adjusted, rejected = pvalues, pvalues < alpha
    else:
        rejected, adjusted, _, _ = multipletests(pvalues, alpha=alpha, method=STATSMODELS_METHOD[correction])
        # driftgov rejects when p_adj < alpha, statsmodels when p_adj <= alpha: keep the case away from equality.
        assert np.all(np.abs(adjusted - alpha) > 1e-9)
    verdicts = {}
    for name in tests:
        statistic, pvalue = columns[name]
        if pvalue is None:
            verdicts[name] = (statistic, None, None, bool(statistic >= thresholds[name]))
        else:
            index = tested.index(name)
            verdicts[name] = (statistic, pvalue, adjusted[index], bool(rejected[index]))
    drifted = sum(verdict[3] for verdict in verdicts.values())
    share = drifted / len(verdicts)
    return verdicts, {"evaluated_columns": len(verdicts), "drifted_columns": drifted,
                      "share_of_drifted_columns": share, "dataset_drift": bool(share >= drift_share)}


def driftgov_verdict(paths, tests, thresholds, alpha, correction, drift_share):
    options = ["--alpha", str(alpha), "--correction", correction, "--drift-share", str(drift_share)]
    for name, test in tests.items():
        options += ["--test", f"{name}={test}"]
    for name, threshold in thresholds.items():
        options += ["--threshold", f"{name}={threshold}"]
    return compare_json(*paths, *options)


ALL_TESTS = {**{name: "ks" for name in NUMERIC}, **{name: "chi2" for name in CATEGORICAL}}
MIXED_TESTS = {"n0": "wasserstein", "n1": "ks", "n2": "wasserstein", "n3": "ks", "n4": "ks", "n5": "wasserstein",
               "ties": "ks", "k0": "js", "k1": "chi2", "k2": "js"}
MIXED_THRESHOLDS = {"n0": 0.1, "n2": 0.15, "n5": 0.1, "k0": 0.05, "k2": 0.1}


@pytest.mark.parametrize("correction", ["none", "bonferroni", "bh"])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
@pytest.mark.parametrize("drift_share", [0.3, 0.5])
@pytest.mark.parametrize("tests,thresholds", [(ALL_TESTS, {}), (MIXED_TESTS, MIXED_THRESHOLDS)],
                         ids=["hypothesis-tests", "tests-and-distances"])
def test_verdicts_equal_scipy_and_statsmodels(samples, tests, thresholds, alpha, correction, drift_share):
    reference, current, paths = samples
    expected_columns, expected_dataset = oracle_verdict(reference, current, tests, thresholds, alpha, correction,
                                                        drift_share)
    result = driftgov_verdict(paths, tests, thresholds, alpha, correction, drift_share)
    assert {col["column_name"] for col in result["columns"]} == set(tests)
    for col in result["columns"]:
        name = col["column_name"]
        statistic, pvalue, adjusted, drifted = expected_columns[name]
        test = col["test"]
        assert col["evaluated"], col
        assert test["name"] == METRIC_NAMES[tests[name]], name
        assert test["statistic"] == pytest.approx(statistic, rel=1e-9, abs=1e-12), name
        if pvalue is None:
            assert test["pvalue"] is None and test["pvalue_adjusted"] is None, name
            assert test["threshold"] == thresholds.get(name, 0.1), name
        else:
            assert test["pvalue"] == pytest.approx(pvalue, rel=1e-9, abs=1e-15), name
            if correction == "none":  # nothing adjusted: reported as null (or as the p-value itself)
                assert test["pvalue_adjusted"] in (None, pytest.approx(pvalue, rel=1e-15)), name
            else:
                assert test["pvalue_adjusted"] == pytest.approx(adjusted, rel=1e-9, abs=1e-15), name
        assert test["drifted"] is drifted, (name, test, expected_columns[name])
        assert col["drifted"] is drifted, name
    dataset = result["dataset"]
    assert dataset["evaluated_columns"] == expected_dataset["evaluated_columns"]
    assert dataset["drifted_columns"] == expected_dataset["drifted_columns"]
    assert dataset["share_of_drifted_columns"] == pytest.approx(expected_dataset["share_of_drifted_columns"],
                                                                rel=1e-15)
    assert dataset["dataset_drift"] is expected_dataset["dataset_drift"]
    assert dataset["drift_share"] == drift_share


def test_the_fixed_case_makes_every_option_matter(samples):
    """The case above discriminates: each correction, each alpha and each drift share changes some verdict, so a
    driftgov that ignored one of these options would fail there."""
    reference, current, _ = samples

    def drifted(correction, alpha, drift_share=0.5, tests=ALL_TESTS, thresholds=None):
        columns, dataset = oracle_verdict(reference, current, tests, thresholds or {}, alpha, correction, drift_share)
        return {name for name, verdict in columns.items() if verdict[3]}, dataset["dataset_drift"]

    none, bonferroni, bh = (drifted(correction, 0.1)[0] for correction in ("none", "bonferroni", "bh"))
    assert bonferroni < bh < none, (bonferroni, bh, none)
    assert drifted("bonferroni", 0.05)[0] < drifted("bh", 0.05)[0]
    assert drifted("none", 0.05)[0] < drifted("none", 0.1)[0]
    shares = {drift_share: drifted("bonferroni", 0.05, drift_share)[1] for drift_share in (0.3, 0.5)}
    assert shares == {0.3: True, 0.5: False}
