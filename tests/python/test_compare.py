"""`driftgov compare` checked against scipy and numpy on seeded datasets.

Every statistic in the JSON result is recomputed independently from the raw data: KS and Wasserstein with
scipy.stats, chi-square with scipy.stats.chi2_contingency(correction=False), binned metrics with numpy on the
bins driftgov reports (whose counts are themselves recounted from the raw data), quantiles with numpy.quantile.
"""
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance
from statsmodels.stats.proportion import proportions_ztest

from conftest import compare_json, run_driftgov

EXACT = 1e-9


def close(actual, expected, rel=EXACT, abs_tol=1e-12):
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_tol)


def write_csv(path, frame):
    frame.to_csv(path, index=False)
    return path


def numeric_values(series):
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return np.sort(values[~np.isnan(values)])


def scenario_frames(name, rng):
    n_ref, n_cur = {"tiny": (5, 3), "large": (60000, 40000)}.get(name, (800, 600))
    ref = pd.DataFrame()
    cur = pd.DataFrame()
    if name == "shift":
        ref["x"] = rng.normal(0, 1, n_ref)
        cur["x"] = rng.normal(0.3, 1, n_cur)
    elif name == "scale":
        ref["x"] = rng.normal(5, 1, n_ref)
        cur["x"] = rng.normal(5, 2.5, n_cur)
    elif name == "ties":
        ref["x"] = rng.integers(0, 6, n_ref)
        cur["x"] = rng.integers(0, 7, n_cur)
    elif name == "heavy_tails":
        ref["x"] = rng.standard_cauchy(n_ref)
        cur["x"] = rng.lognormal(0, 2, n_cur)
    elif name == "nulls":
        x_ref = rng.normal(0, 1, n_ref)
        x_cur = rng.normal(0, 1, n_cur)
        x_ref[rng.random(n_ref) < 0.05] = np.nan
        x_cur[rng.random(n_cur) < 0.30] = np.nan
        ref["x"], cur["x"] = x_ref, x_cur
    elif name == "constant":
        ref["x"] = np.full(n_ref, 3.5)
        cur["x"] = np.full(n_cur, 3.5)
    else:  # tiny, large, identical
        ref["x"] = rng.gamma(2.0, 1.5, n_ref)
        cur["x"] = rng.gamma(2.0, 1.5 if name == "identical" else 1.8, n_cur)
    ref["y"] = rng.uniform(-1, 1, n_ref)
    cur["y"] = rng.uniform(-1, 1, n_cur) + (0.05 if name == "large" else 0.0)
    categories = ["red", "green", "blue", "amber"]
    ref["c"] = rng.choice(categories, n_ref, p=[0.4, 0.3, 0.2, 0.1])
    cur_categories = categories + ["violet"] if name in ("shift", "large") else categories
    p_cur = [0.35, 0.3, 0.2, 0.1, 0.05] if len(cur_categories) == 5 else [0.4, 0.3, 0.2, 0.1]
    cur["c"] = rng.choice(cur_categories, n_cur, p=p_cur)
    if name == "nulls":
        cur.loc[rng.random(n_cur) < 0.2, "c"] = None
    return ref, cur


SCENARIOS = ["shift", "scale", "ties", "heavy_tails", "nulls", "constant", "tiny", "identical", "large"]


@pytest.fixture(scope="module")
def results(tmp_path_factory, driftgov):
    out = {}
    for index, name in enumerate(SCENARIOS):
        rng = np.random.default_rng(1000 + index)
        ref, cur = scenario_frames(name, rng)
        folder = tmp_path_factory.mktemp(name)
        ref_path = write_csv(folder / "reference.csv", ref)
        cur_path = write_csv(folder / "current.csv", cur)
        out[name] = (ref, cur, compare_json(ref_path, cur_path, "--kind", "x=numeric"), folder)
    return out


def column(result, name):
    return next(c for c in result["columns"] if c["column_name"] == name)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_numeric_statistics_match_scipy(results, scenario):
    ref, cur, result, _ = results[scenario]
    for name in ("x", "y"):
        col = column(result, name)
        a, b = numeric_values(ref[name]), numeric_values(cur[name])
        assert col["exact"] is True
        expected = stats.ks_2samp(a, b)
        assert close(col["ks_test"]["statistic"], expected.statistic)
        assert close(col["ks_test"]["pvalue"], expected.pvalue), (col["ks_test"], expected)
        finite = np.isfinite(a).all() and np.isfinite(b).all()
        if finite:
            assert close(col["wasserstein_distance"], stats.wasserstein_distance(a, b))
            scale = max(np.std(a[np.isfinite(a)]), 0.001)
            assert close(col["wasserstein_normed"], stats.wasserstein_distance(a, b) / scale)
        # Summary deltas.
        assert close(col["avg_delta"]["reference"], np.mean(a), rel=1e-11)
        assert close(col["avg_delta"]["current"], np.mean(b), rel=1e-11)
        if len(a) > 1:
            assert close(col["stddev_delta"]["reference"], np.std(a, ddof=1), rel=1e-9, abs_tol=1e-12)
        for q in col["quantile_deltas"]:
            assert close(q["reference"], np.quantile(a, q["quantile"]), rel=1e-12)
            assert close(q["current"], np.quantile(b, q["quantile"]), rel=1e-12)
        assert close(col["percent_null"]["reference"], 100.0 * ref[name].isna().mean(), rel=1e-12)
        assert close(col["percent_null"]["current"], 100.0 * cur[name].isna().mean(), rel=1e-12)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_numeric_bins_and_binned_metrics(results, scenario):
    ref, cur, result, _ = results[scenario]
    floor = result["options"]["proportion_floor"]
    for name in ("x", "y"):
        col = column(result, name)
        a, b = numeric_values(ref[name]), numeric_values(cur[name])
        bins = col["bins"]
        edges = np.array(bins["edges"], dtype=float)
        expected_edges = np.unique(np.quantile(a, np.arange(1, 10) / 10))
        np.testing.assert_allclose(edges, expected_edges, rtol=1e-12)
        # Bin i holds (edges[i-1], edges[i]]: the index is the number of edges strictly below the value.
        for values, key in ((a, "reference_count"), (b, "current_count")):
            counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
            np.testing.assert_array_equal(np.array(bins[key]), counts)
        r = np.array(bins["reference_proportion"])
        c = np.array(bins["current_proportion"])
        np.testing.assert_allclose(r, np.array(bins["reference_count"]) / len(a), rtol=1e-12)
        check_binned_metrics(col, r, c, floor)


def check_binned_metrics(col, r, c, floor):
    rf, cf = np.maximum(r, floor), np.maximum(c, floor)
    assert close(col["population_stability_index"], float(np.sum((cf - rf) * np.log(cf / rf))))
    assert close(col["kl_divergence"], float(np.sum(cf * np.log(cf / rf))), abs_tol=1e-12)
    assert close(col["js_distance"], float(distance.jensenshannon(r, c, base=2)), abs_tol=1e-9)
    assert close(col["hellinger_distance"], float(np.sqrt(0.5 * np.sum((np.sqrt(r) - np.sqrt(c)) ** 2))))
    assert close(col["tv_distance"], float(0.5 * np.sum(np.abs(r - c))))
    assert close(col["l_infinity_distance"], float(np.max(np.abs(r - c))))
    psi = col["population_stability_index"]
    assert col["drift_level"] == ("none" if psi < 0.1 else "moderate" if psi < 0.25 else "high")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_categorical_statistics_match_scipy(results, scenario):
    ref, cur, result, _ = results[scenario]
    col = column(result, "c")
    rc = ref["c"].dropna().value_counts()
    cc = cur["c"].dropna().value_counts()
    union = sorted(set(rc.index) | set(cc.index))
    table = np.array([[rc.get(k, 0) for k in union], [cc.get(k, 0) for k in union]])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] > 1:
        expected = stats.chi2_contingency(table, correction=False)
        assert close(col["chi_squared_test"]["statistic"], expected.statistic)
        assert close(col["chi_squared_test"]["pvalue"], expected.pvalue, abs_tol=1e-300)
        assert col["chi_squared_test"]["dof"] == expected.dof
    bins = col["bins"]
    labels = bins["labels"]
    assert labels[-1] == "__unseen__"
    for label, rcount, ccount in zip(labels[:-1], bins["reference_count"], bins["current_count"]):
        assert rcount == rc.get(label, 0) and ccount == cc.get(label, 0)
    unseen = [k for k in cc.index if k not in rc.index]
    assert bins["current_count"][-1] == sum(cc[k] for k in unseen)
    assert sorted(col["new_categories"]["values"]) == sorted(unseen)
    r = np.array(bins["reference_proportion"])
    c = np.array(bins["current_proportion"])
    check_binned_metrics(col, r, c, result["options"]["proportion_floor"])


def null_rate_pvalue(ref_series, cur_series):
    """Two-sided pooled two-proportion z-test of the null rates (statsmodels), or None when there is nothing to
    test (no nulls on either side, or nothing but nulls)."""
    nulls = np.array([cur_series.isna().sum(), ref_series.isna().sum()])
    rows = np.array([len(cur_series), len(ref_series)])
    if nulls.sum() == 0 or nulls.sum() == rows.sum():
        return None
    return float(proportions_ztest(nulls, rows)[1])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_test_selection_and_dataset_verdict(results, scenario):
    ref, cur, result, _ = results[scenario]
    evaluated = 0
    family = []  # (column, "test" | "null_rate", p-value): every p-value of the run, corrected together (BH)
    for col in result["columns"]:
        assert col["evaluated"], col
        evaluated += 1
        n_ref = col["count_delta"]["reference"] * (1 - col["percent_null"]["reference"] / 100)
        small = n_ref <= result["options"]["small_sample_limit"]
        if col["kind"] == "numeric":
            expected = "ks_test" if small else "wasserstein_normed"
        else:
            expected = "chi_squared_test" if small else "js_distance"
        assert col["test"]["name"] == expected
        if col["test"]["pvalue"] is not None:
            family.append((col["column_name"], "test", col["test"]["pvalue"]))
        p_null = null_rate_pvalue(ref[col["column_name"]], cur[col["column_name"]])
        assert ("null_rate_test" in col) == (p_null is not None)
        if p_null is not None:
            family.append((col["column_name"], "null_rate", p_null))
    adjusted = dict(zip([(name, kind) for name, kind, _ in family],
                        stats.false_discovery_control([p for _, _, p in family], method="bh"))) if family else {}
    drifted = 0
    for col in result["columns"]:
        name, test = col["column_name"], col["test"]
        if test["pvalue"] is not None:
            assert test["pvalue_adjusted"] == pytest.approx(adjusted[(name, "test")], rel=1e-9)
            assert test["drifted"] == (adjusted[(name, "test")] < 0.05)
        else:
            assert test["drifted"] == (test["statistic"] >= 0.1)
        null_fires = False
        if (name, "null_rate") in adjusted:
            change = 100 * (cur[name].isna().mean() - ref[name].isna().mean())
            null_fires = adjusted[(name, "null_rate")] < 0.05 and abs(change) >= 1.0
            assert col["null_rate_test"]["drifted"] == null_fires
        assert col["drifted"] == (test["drifted"] or null_fires)
        assert col["drift_reason"] == {(True, True): "both", (True, False): "distribution",
                                       (False, True): "null_rate", (False, False): "none"}[(test["drifted"], null_fires)]
        drifted += col["drifted"]
    dataset = result["dataset"]
    assert dataset["tests_in_correction"] == len(family)
    assert dataset["evaluated_columns"] == evaluated
    assert dataset["drifted_columns"] == drifted
    assert dataset["share_of_drifted_columns"] == pytest.approx(drifted / evaluated, rel=1e-15)
    assert dataset["dataset_drift"] == (drifted / evaluated >= 0.5)


def test_constant_and_all_null_columns_do_not_poison_the_share(tmp_path):
    ref = pd.DataFrame({"k": [1.0] * 50, "empty": [None] * 50, "x": np.arange(50.0)})
    cur = pd.DataFrame({"k": [1.0] * 40, "empty": [None] * 40, "x": np.arange(40.0) + 100})
    result = compare_json(write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur))
    k = column(result, "k")
    assert k["evaluated"] and not k["drifted"] and k["ks_test"]["statistic"] == 0.0
    empty = column(result, "empty")
    assert empty["evaluated"] is False and "no non-null values" in empty["reason"]
    assert result["dataset"]["evaluated_columns"] == 2
    assert result["dataset"]["share_of_drifted_columns"] == 0.5
    assert result["dataset"]["dataset_drift"] is True


def test_corrections_match_their_definitions(tmp_path):
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({f"v{i}": rng.normal(0, 1, 300) for i in range(6)})
    cur = pd.DataFrame({f"v{i}": rng.normal(0.05 * i, 1, 200) for i in range(6)})
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    plain = compare_json(r, c)
    pvalues = np.array([col["test"]["pvalue"] for col in plain["columns"]])
    bonferroni = compare_json(r, c, "--correction", "bonferroni")
    adjusted = np.array([col["test"]["pvalue_adjusted"] for col in bonferroni["columns"]])
    np.testing.assert_allclose(adjusted, np.minimum(1, pvalues * len(pvalues)), rtol=1e-12)
    bh = compare_json(r, c, "--correction", "bh")
    adjusted = np.array([col["test"]["pvalue_adjusted"] for col in bh["columns"]])
    np.testing.assert_allclose(adjusted, stats.false_discovery_control(pvalues, method="bh"), rtol=1e-12)


def test_per_column_overrides(tmp_path, results):
    _, _, _, folder = results["shift"]
    result = compare_json(folder / "reference.csv", folder / "current.csv", "--test", "psi", "--test", "x=ks",
                          "--threshold", "x=0.01", "--bins", "y=4", "--bins", "20")
    x, y, c = column(result, "x"), column(result, "y"), column(result, "c")
    assert x["test"]["name"] == "ks_test" and x["test"]["threshold"] == 0.01
    assert y["test"]["name"] == "population_stability_index" and len(y["bins"]["edges"]) == 3
    assert c["test"]["name"] == "population_stability_index"
    assert x["bins"]["edges"] and len(x["bins"]["edges"]) == 19


def test_sketch_mode_stays_within_stated_bounds(results):
    ref, cur, exact, folder = results["large"]
    sketched = compare_json(folder / "reference.csv", folder / "current.csv", "--exact-limit", "0")
    for name in ("x", "y"):
        e, s = column(exact, name), column(sketched, name)
        assert s["exact"] is False and s["ks_test"]["method"] == "sketch"
        bound = s["ks_test"]["statistic_bound"]
        assert 0 < bound < 0.05
        assert abs(s["ks_test"]["statistic"] - e["ks_test"]["statistic"]) <= bound
        assert abs(s["wasserstein_distance"] - e["wasserstein_distance"]) <= s["wasserstein_bound"]


def test_stored_profile_as_reference(tmp_path, results):
    _, _, exact, folder = results["large"]
    profile = tmp_path / "baseline.json"
    run_driftgov("profile", folder / "reference.csv", "-o", profile)
    from_profile = compare_json(profile, folder / "current.csv")
    assert from_profile["reference"]["rows"] == exact["reference"]["rows"]
    for name in ("x", "y", "c"):
        e, p = column(exact, name), column(from_profile, name)
        assert p["count_delta"] == e["count_delta"]
        assert p["avg_delta" if name != "c" else "percent_null"] == pytest.approx(
            e["avg_delta" if name != "c" else "percent_null"], rel=1e-9)
    for name in ("x", "y"):
        e, p = column(exact, name), column(from_profile, name)
        # Only the stored side is a sketch: the bound is that sketch's rank error alone.
        epsilon = 2.296 / 200 ** 0.9723
        assert p["ks_test"]["statistic_bound"] == pytest.approx(epsilon, rel=1e-12)
        assert abs(p["ks_test"]["statistic"] - e["ks_test"]["statistic"]) <= epsilon
        assert abs(p["wasserstein_distance"] - e["wasserstein_distance"]) <= p["wasserstein_bound"]
    c_exact, c_profile = column(exact, "c"), column(from_profile, "c")
    assert c_profile["chi_squared_test"]["statistic"] == pytest.approx(c_exact["chi_squared_test"]["statistic"],
                                                                       rel=1e-12)


def test_fail_on_drift_exit_code_and_table(tmp_path, results):
    _, _, _, folder = results["shift"]
    ref, cur = folder / "reference.csv", folder / "current.csv"
    table = run_driftgov("compare", ref, cur)
    assert "feature" in table.stdout and "dataset drift:" in table.stdout
    assert run_driftgov("compare", ref, cur, "--fail-on-drift", "--drift-share", "0.01", check=False).returncode == 3
    assert run_driftgov("compare", ref, ref, "--fail-on-drift", check=False).returncode == 0
    out = tmp_path / "result.json"
    run_driftgov("compare", ref, cur, "--json", out, "--quiet")
    doc = json.loads(out.read_text())
    assert doc["format"] == "driftgov.drift_result" and doc["format_version"] == 2


# --- bad input -----------------------------------------------------------------------------------------------


def expect_input_error(*args, contains):
    result = run_driftgov(*args, check=False)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    for text in contains:
        assert text in result.stderr, result.stderr
    return result


def test_missing_file(tmp_path):
    expect_input_error("compare", tmp_path / "nope.csv", tmp_path / "nope.csv", contains=["nope.csv"])


def test_ragged_row_names_the_line(tmp_path):
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b\n1,2\n3,4\n5\n6,7\n")
    expect_input_error("compare", bad, bad, contains=["ragged.csv", "line 4"])


def test_column_missing_on_one_side(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    c = write_csv(tmp_path / "c.csv", pd.DataFrame({"a": [1, 2]}))
    expect_input_error("compare", r, c, contains=["b", "missing in the current data"])
    assert run_driftgov("compare", r, c, "--exclude", "b", check=False).returncode == 0


def test_numeric_column_holding_strings_on_the_other_side(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"amount": [1.5, 2.5, 3.5]}))
    c = write_csv(tmp_path / "c.csv", pd.DataFrame({"amount": ["1.5", "n/a-value", "x"]}))
    expect_input_error("compare", r, c, contains=["amount", "numeric", "categorical"])


def test_empty_data(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"a": [1, 2]}))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    expect_input_error("compare", r, empty, contains=["empty.csv"])


def test_unseen_categories_are_reported_not_errors(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"c": ["a", "b"] * 10}))
    c = write_csv(tmp_path / "c.csv", pd.DataFrame({"c": ["a", "b", "zz"] * 10}))
    result = run_driftgov("compare", r, c)
    assert "zz" in result.stdout
    col = column(compare_json(r, c), "c")
    assert col["new_categories"] == {"count": 1, "values": ["zz"]}


def test_bad_option_values(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"a": [1, 2]}))
    expect_input_error("compare", r, r, "--test", "bogus", contains=["bogus", "ks_test"])
    expect_input_error("compare", r, r, "--bins", "1", contains=["--bins"])
    expect_input_error("compare", r, r, "--alpha", "2", contains=["--alpha"])


def test_help_on_every_verb():
    for verb in (["compare"], ["profile"], ["profile", "merge"]):
        result = run_driftgov(*verb, "--help")
        assert "Usage" in result.stdout or "usage" in result.stdout.lower()


# --- first contact: signals and output that must not mislead -------------------------------------------------


def null_rate_frames(rows, ref_nulls, cur_nulls):
    """One categorical column with the same value mix on both sides and a chosen number of nulls."""
    def side(nulls):
        values = np.array(["a", "b", "c", "d"] * (rows // 4), dtype=object)
        values[:nulls] = None
        # A second column: pandas quotes the empty field of a one-column row, which reads as "" rather than null.
        return pd.DataFrame({"e": values, "k": np.arange(len(values)) % 4})
    return side(ref_nulls), side(cur_nulls)


def test_null_rate_rule_matches_statsmodels(tmp_path):
    # 2% to 10% nulls: the distribution of the values is unchanged, the null rate is the signal.
    ref, cur = null_rate_frames(4000, 80, 400)
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    col = column(compare_json(r, c), "e")
    z, p = proportions_ztest([400, 80], [4000, 4000])
    rule = col["null_rate_test"]
    assert rule["statistic"] == pytest.approx(z, rel=1e-9)
    assert rule["pvalue"] == pytest.approx(p, rel=1e-6, abs=1e-300)
    # The same z by hand: pooled proportion, two-sided normal tail.
    pooled = 480 / 8000
    by_hand = (0.1 - 0.02) / math.sqrt(pooled * (1 - pooled) * (2 / 4000))
    assert rule["statistic"] == pytest.approx(by_hand, rel=1e-12)
    assert rule["change_pp"] == pytest.approx(8.0, rel=1e-12) and rule["min_change_pp"] == 1.0
    assert col["test"]["drifted"] is False
    assert rule["drifted"] is True and col["drifted"] is True and col["drift_reason"] == "null_rate"
    assert "DRIFT (null rate)" in run_driftgov("compare", r, c).stdout
    off = column(compare_json(r, c, "--no-null-rate-test"), "e")
    assert "null_rate_test" not in off and off["drifted"] is False and off["drift_reason"] == "none"


@pytest.mark.parametrize("cur_nulls, min_change, drifts", [
    (5990, None, False),  # 0.99 pp: significant at this size, but below the 1 pp minimum
    (6000, None, True),   # exactly 1 pp
    (5990, "0.5", True),
    (6000, "1.01", False),
])
def test_null_rate_minimum_change_boundary(tmp_path, cur_nulls, min_change, drifts):
    rows = 100000
    ref, cur = null_rate_frames(rows, 5000, cur_nulls)
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    extra = ["--null-rate-min-change", min_change] if min_change else []
    col = column(compare_json(r, c, *extra), "e")
    _, p = proportions_ztest([cur_nulls, 5000], [rows, rows])
    assert p < 0.01  # the z-test alone would flag every case: the minimum change decides
    change = 100 * (cur_nulls - 5000) / rows
    assert col["null_rate_test"]["change_pp"] == pytest.approx(change, rel=1e-12)
    assert col["null_rate_test"]["drifted"] is drifts and col["drifted"] is drifts


def test_benjamini_hochberg_is_the_default_and_counts_null_rate_tests(tmp_path):
    rng = np.random.default_rng(21)
    ref = pd.DataFrame({f"v{i}": rng.normal(0, 1, 500) for i in range(20)})
    cur = pd.DataFrame({f"v{i}": rng.normal(0, 1, 500) for i in range(20)})
    ref.loc[:9, "v0"] = np.nan  # 2% nulls against 6%: the null-rate z-test joins the family
    cur.loc[:29, "v0"] = np.nan
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    result = compare_json(r, c)
    assert result["options"]["correction"] == "benjamini-hochberg"
    raw = [col["test"]["pvalue"] for col in result["columns"]]
    _, p_null = proportions_ztest([30, 10], [500, 500])
    family = raw + [p_null]
    expected = stats.false_discovery_control(family, method="bh")
    assert result["dataset"]["tests_in_correction"] == 21
    for col, p_adj in zip(result["columns"], expected):
        assert col["test"]["pvalue_adjusted"] == pytest.approx(p_adj, rel=1e-9)
        assert col["test"]["drifted"] == (p_adj < 0.05)
    assert column(result, "v0")["null_rate_test"]["pvalue_adjusted"] == pytest.approx(expected[-1], rel=1e-9)
    # Without correction the undrifted columns with p < 0.05 would drift; the table warns about it.
    assert min(raw) < 0.05 and not any(col["test"]["drifted"] for col in result["columns"])
    plain = run_driftgov("compare", r, c, "--correction", "none").stdout
    assert "warning: 21 hypothesis tests without correction at alpha 0.05: 1.05 false alarms expected" in plain


def test_borderline_sketch_verdict_against_a_stored_profile(tmp_path):
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"near": rng.normal(0, 1, 20000), "far": rng.normal(0, 1, 20000)})
    cur = pd.DataFrame({"near": rng.normal(0.1, 1, 20000), "far": rng.normal(1.5, 1, 20000)})
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    profile = tmp_path / "baseline.json"
    run_driftgov("profile", r, "-o", profile)
    result = compare_json(profile, c)
    epsilon = 2.296 / 200 ** 0.9723  # only the stored side is a sketch
    for name, straddles in (("near", True), ("far", False)):
        col = column(result, name)
        assert col["test"]["name"] == "wasserstein_normed" and col["exact"] is False
        # The bound from first principles: eps * (range of both sides) / reference population std.
        both = np.concatenate([ref[name], cur[name]])
        bound = epsilon * (both.max() - both.min()) / ref[name].std(ddof=0)
        exact = stats.wasserstein_distance(ref[name], cur[name]) / ref[name].std(ddof=0)
        assert abs(col["test"]["statistic"] - exact) <= bound
        low, high = col["test"]["statistic"] - bound, col["test"]["statistic"] + bound
        assert bool(low < 0.1 <= high) is straddles
        assert col["borderline"] is straddles and col["test"]["borderline"] is straddles
    table = run_driftgov("compare", profile, c).stdout
    near_line = next(line for line in table.splitlines() if line.startswith("near"))
    assert "borderline" in near_line
    assert "compare against the raw data" in table
    exact_table = run_driftgov("compare", r, c).stdout
    assert "borderline" not in next(line for line in exact_table.splitlines() if line.startswith("near"))


def test_table_names_the_verdict_test_before_the_psi_level(tmp_path, results):
    _, _, _, folder = results["shift"]
    lines = run_driftgov("compare", folder / "reference.csv", folder / "current.csv").stdout.splitlines()
    header = next(line for line in lines if line.startswith("feature"))
    assert header.index("test") < header.index("statistic") < header.index("PSI level") < header.index("drift")
    assert " level " not in header.replace("PSI level", "")
    assert sum(line.startswith("legend:") for line in lines) == 1


def test_header_only_csv_says_it_has_no_rows(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"age": [31, 45, 52], "name": ["a", "b", "c"]}))
    empty = tmp_path / "header_only.csv"
    empty.write_text("age,name\n")
    for ref, cur, side in ((r, empty, "the current data"), (empty, r, "the reference")):
        run = run_driftgov("compare", ref, cur, check=False)
        assert run.returncode == 0, run.stderr
        assert "categorical" not in run.stderr
        assert f"{side} has no rows; no drift test ran" in run.stdout
        assert "dataset drift: not decided" in run.stdout
        result = compare_json(ref, cur)
        assert result["dataset"]["dataset_drift"] is None and "no rows" in result["dataset"]["reason"]
        age = column(result, "age")
        assert age["data_type"] == "int64" and age["evaluated"] is False and "no rows" in age["reason"]
    both = compare_json(empty, empty)
    assert column(both, "age")["data_type"] == "unknown (no rows)" and both["dataset"]["dataset_drift"] is None


def test_stored_profile_is_named_with_what_it_was_built_from(tmp_path, results):
    _, _, _, folder = results["shift"]
    profile = tmp_path / "baseline.json"
    run_driftgov("profile", folder / "reference.csv", "-o", profile)
    result = compare_json(profile, folder / "current.csv")
    assert result["reference"]["source"] == str(profile)
    assert result["reference"]["built_from"] == str(folder / "reference.csv")
    assert "built_from" not in result["current"]
    first = run_driftgov("compare", profile, folder / "current.csv").stdout.splitlines()[0]
    assert str(profile) in first and f"built from {folder / 'reference.csv'}" in first


def test_time_columns_are_reported_with_their_iso_range(tmp_path):
    ref_times = pd.date_range("2024-03-01T10:00:00Z", periods=50, freq="h")
    cur_times = pd.date_range("2024-05-01T00:00:00.250Z", periods=40, freq="h")
    ref = pd.DataFrame({"ts": ref_times.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "day": ref_times.strftime("%Y-%m-%d"),
                        "x": np.arange(50)})
    cur = pd.DataFrame({"ts": cur_times.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "day": cur_times.strftime("%Y-%m-%d"),
                        "x": np.arange(40)})
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    result = compare_json(r, c)
    ts, day = column(result, "ts"), column(result, "day")
    assert ts["data_type"].startswith("timestamp") and day["data_type"] == "date"
    for col in (ts, day):
        assert col["time_column"] is True and col["evaluated"] is False and col["drifted"] is False
    assert ts["range"]["min_iso"] == "2024-03-01T10:00:00Z"
    assert ts["range"]["max_iso"] == cur_times.max().strftime("%Y-%m-%dT%H:%M:%S.250Z")
    assert ts["range"]["min"] == ref_times.min().value // 1000  # numeric fields keep their unit (microseconds)
    assert (day["range"]["min_iso"], day["range"]["max_iso"]) == (ref_times.min().strftime("%Y-%m-%d"),
                                                                  cur_times.max().strftime("%Y-%m-%d"))
    mean = pd.Timestamp(int(round(ref_times.as_unit("us").asi8.mean())), unit="us", tz="UTC")
    assert ts["avg_delta"]["reference_iso"] == mean.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result["dataset"]["evaluated_columns"] == 1
    table = run_driftgov("compare", r, c).stdout
    ts_line = next(line for line in table.splitlines() if line.startswith("ts "))
    assert "time column" in ts_line and "2024-03-01T10:00:00Z" in ts_line and "e+" not in ts_line
    header = next(line for line in table.splitlines() if line.startswith("feature"))
    assert ts_line.index("time column") >= header.index("drift")  # the long type name does not push columns
    tested = compare_json(r, c, "--test-time-columns")
    assert column(tested, "ts")["evaluated"] is True and column(tested, "ts")["drifted"] is True
    median = column(tested, "day")["quantile_deltas"][2]
    assert median["quantile"] == 0.5
    assert median["reference_iso"] == (pd.Timestamp("1970-01-01") + pd.Timedelta(days=median["reference"])).strftime(
        "%Y-%m-%d")
    summary = run_driftgov("profile", r, "-o", tmp_path / "p.json").stdout
    ts_summary = next(line for line in summary.splitlines() if line.strip().startswith("ts "))
    assert mean.strftime("%Y-%m-%dT%H:%M:%SZ") in ts_summary and "e+" not in ts_summary


def test_small_output_details(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"c": ["a", "b", ""] * 10, "x": list(range(30))}))
    c = write_csv(tmp_path / "c.csv", pd.DataFrame({"c": ["a", "b", "zz"] * 10, "x": list(range(30))}))
    result = compare_json(r, c, "--null", "NA")
    table = run_driftgov("compare", r, c, "--null", "NA").stdout
    assert "c: 1 category unseen in the reference (e.g. zz)" in table
    assert 'c: 1 reference category absent from the current data (e.g. "")' in table
    for col in result["columns"]:
        for key in ("reference_count", "current_count"):
            assert all(isinstance(v, int) for v in col["bins"][key]), col["bins"][key]
    assert sum(column(result, "x")["bins"]["reference_count"]) == 30
    error = run_driftgov("compare", r, c, "--test", "bogus", check=False).stderr
    for alias in ("chi2", "wasserstein", "js", "linf", "ks_test"):
        assert alias in error


def test_column_emptied_to_nulls_drifts_by_null_rate(tmp_path):
    r = write_csv(tmp_path / "r.csv", pd.DataFrame({"a": range(50), "b": ["x"] * 50}))
    c = write_csv(tmp_path / "c.csv", pd.DataFrame({"a": range(50), "b": [None] * 50}))
    result = compare_json(r, c)
    b = column(result, "b")
    _, p = proportions_ztest([50, 0], [50, 50])
    assert b["evaluated"] is False and "no non-null values in the current data" in b["reason"]
    assert b["null_rate_test"]["pvalue"] == pytest.approx(p, rel=1e-9)
    assert b["drifted"] is True and b["drift_reason"] == "null_rate"
    assert result["dataset"]["evaluated_columns"] == 2 and result["dataset"]["drifted_columns"] == 1


def test_messages_use_singular_and_the_right_article(tmp_path):
    csv = write_csv(tmp_path / "r.csv", pd.DataFrame({"a": [1, 2, 3]}))
    out = run_driftgov("convert", csv, tmp_path / "table").stdout
    assert "(1 file)" in out and "1 files" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text("n,s\n1,x\n2,y\nlate,z\n")
    error = run_driftgov("compare", bad, bad, "--infer-rows", "2", check=False).stderr
    assert "expected an int64 value" in error


def test_demo_prints_the_delta_verdict_and_lists_every_file(tmp_path):
    import os
    import subprocess
    from conftest import BUILD_DIR, ROOT
    out = tmp_path / "demo"
    env = dict(os.environ, DRIFTGOV_DEMO_ROWS="2000", DRIFTGOV_DEMO_ROWS_PER_DAY="500", DRIFTGOV_BUILD_DIR=str(BUILD_DIR))
    run = subprocess.run([str(ROOT / "scripts" / "demo.sh"), str(out)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    step5 = run.stdout.split("== 5.")[1]
    delta = json.loads((out / "drift_result_delta.json").read_text())
    expected = "YES" if delta["dataset"]["dataset_drift"] else "no"
    assert f"dataset drift: {expected} ({delta['dataset']['drifted_columns']} of" in step5
    listing = run.stdout.split("files written to")[1]
    for entry in out.iterdir():
        assert entry.name in listing, entry.name


def test_readme_sample_table_is_the_output_of_the_command_beside_it(tmp_path):
    import re
    import shlex
    import subprocess
    from conftest import ROOT
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first result in a few minutes")[1]
    commands, table = re.findall(r"```(?:bash)?\n(.*?)```", section, re.S)[:2]
    lines = [line.split("#")[0].strip() for line in commands.splitlines()]
    generate = next(line for line in lines if "generate_data.py" in line)
    compare = next(line for line in lines if line.startswith("build/release/driftgov compare") and "/current.csv" in line)
    folder = re.search(r"--out-dir (\S+)", generate).group(1)
    args = [arg.replace(folder, str(tmp_path)) for arg in shlex.split(generate)]
    subprocess.run([str(ROOT / args[0]), *args[1:]], check=True, capture_output=True, cwd=ROOT, timeout=600)
    output = run_driftgov(*[arg.replace(folder, str(tmp_path)) for arg in shlex.split(compare)[1:]]).stdout
    assert output.replace(str(tmp_path), folder) == table


def test_borderline_ks_verdict_from_a_sketch(tmp_path):
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 900)})
    cur = pd.DataFrame({"x": rng.normal(0.12, 1, 900)})
    r, c = write_csv(tmp_path / "r.csv", ref), write_csv(tmp_path / "c.csv", cur)
    profile = tmp_path / "baseline.json"
    run_driftgov("profile", r, "-o", profile)
    col = column(compare_json(profile, c), "x")
    test = col["test"]
    assert test["name"] == "ks_test" and col["ks_test"]["method"] == "sketch"
    epsilon = 2.296 / 200 ** 0.9723
    exact_d = stats.ks_2samp(ref["x"], cur["x"]).statistic
    assert abs(test["statistic"] - exact_d) <= epsilon
    assert test["statistic_range"] == pytest.approx([test["statistic"] - epsilon, test["statistic"] + epsilon])
    # The p-values at both ends of the bound, by ks_2samp's own route (exact at this size).
    from test_statistics_vs_scipy import scipy_ks_pvalue
    low_p, high_p = (scipy_ks_pvalue(900, 900, d)[0] for d in (test["statistic"] + epsilon, test["statistic"] - epsilon))
    assert test["pvalue_range"] == pytest.approx([low_p, high_p], rel=1e-6)
    assert low_p < 0.05 <= high_p  # the data were chosen so that the bound straddles alpha
    assert test["borderline"] is True and col["borderline"] is True
