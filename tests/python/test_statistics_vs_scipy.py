"""Every drift formula of driftgov (include/driftgov/stats/distances.hpp, kolmogorov.hpp) against scipy/numpy.

The C++ side is reached through the stats_probe tool: one JSON request per line in, one JSON result per line out.
Relative tolerance 1e-9 throughout; KS p-values below 1e-300 (where doubles lose precision and both sides round
to subnormals or zero) are only required to be below 1e-290 on both sides.
"""
import json
import math
import subprocess
import warnings

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
from scipy.stats._stats_py import _attempt_exact_2kssamp
from statsmodels.stats.proportion import proportions_ztest

from conftest import tool_binary

RELATIVE_TOLERANCE = 1e-9
SMALLEST_COMPARED_PVALUE = 1e-300


def to_json_number(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def from_json_number(value):
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value]
    return float(value)


class Probe:
    def __init__(self, path):
        self.process = subprocess.Popen([str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, op, **fields):
        request = {"op": op}
        for key, value in fields.items():
            if isinstance(value, (list, tuple, np.ndarray)):
                request[key] = [to_json_number(v) if isinstance(v, (float, np.floating)) else int(v)
                                if isinstance(v, (int, np.integer)) else v for v in value]
            elif isinstance(value, (float, np.floating)):
                request[key] = to_json_number(value)
            else:
                request[key] = value
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        response = json.loads(self.process.stdout.readline())
        assert "error" not in response, response
        return response

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def probe():
    path = tool_binary("stats_probe")
    if not path.exists():
        pytest.fail(f"{path} is not built")
    instance = Probe(path)
    yield instance
    instance.close()


def assert_close(actual, expected, what, rel=RELATIVE_TOLERANCE, abs_tolerance=0.0):
    actual = from_json_number(actual) if not isinstance(actual, float) else actual
    expected = float(expected)
    if math.isnan(expected):
        assert math.isnan(actual), f"{what}: {actual!r}, expected NaN"
        return
    assert actual == pytest.approx(expected, rel=rel, abs=abs_tolerance), f"{what}: {actual!r} vs {expected!r}"


def pvalue_differs(actual, expected):
    """True when a p-value disagrees with scipy's: beyond the relative tolerance, or not tiny where scipy's is."""
    if expected >= SMALLEST_COMPARED_PVALUE:
        return not actual == pytest.approx(expected, rel=RELATIVE_TOLERANCE)
    return not actual < 1e-290


def assert_pvalue_close(actual, expected, what):
    actual = from_json_number(actual)
    expected = float(expected)
    if expected < SMALLEST_COMPARED_PVALUE:
        assert actual < 1e-290, f"{what}: {actual!r}, expected {expected!r} (below the compared range)"
    else:
        assert_close(actual, expected, what)


# ----------------------------------------------------------------------------------------------------------------
# Kolmogorov-Smirnov


def scipy_ks_pvalue(n1, n2, d):
    """scipy.stats.ks_2samp's p-value for a statistic d, by the same route ks_2samp takes (method='auto')."""
    if max(n1, n2) <= 10000:
        success, d, pvalue = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
        if success:
            return float(np.clip(pvalue, 0, 1)), "exact"
    larger, smaller = sorted([float(n1), float(n2)], reverse=True)
    effective_size = np.round(larger * smaller / (larger + smaller))
    return float(np.clip(scipy.stats.kstwo.sf(d, effective_size), 0, 1)), "asymp"


def scipy_ks(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy warns when it leaves the exact method
        result = scipy.stats.ks_2samp(a, b)
    return float(result.statistic), float(result.pvalue)


def ks_scenarios():
    rng = np.random.default_rng(20261123)
    yield "location shift", rng.normal(0, 1, 500), rng.normal(0.3, 1, 600)
    yield "small location shift", rng.normal(0, 1, 2000), rng.normal(0.02, 1, 1500)
    yield "scale change", rng.normal(0, 1, 800), rng.normal(0, 2, 700)
    yield "poisson ties", rng.poisson(3, 400).astype(float), rng.poisson(3.4, 450).astype(float)
    yield "few levels", rng.integers(0, 3, 300).astype(float), rng.integers(0, 4, 200).astype(float)
    yield "rounded normals", np.round(rng.normal(0, 1, 999), 1), np.round(rng.normal(0.1, 1, 1001), 1)
    yield "constant equal", np.full(10, 5.0), np.full(20, 5.0)
    yield "constant different", np.full(10, 5.0), np.full(20, 6.0)
    yield "constant vs spread", np.full(30, 0.0), rng.normal(0, 1, 40)
    yield "cauchy", rng.standard_cauchy(300), rng.standard_cauchy(300) + 0.5
    yield "lognormal", rng.lognormal(0, 2, 1000), rng.lognormal(0.2, 2, 900)
    yield "infinities", np.concatenate([rng.normal(0, 1, 50), [np.inf, -np.inf]]), np.append(rng.normal(0, 1, 60),
                                                                                            np.inf)
    yield "negative zero", np.array([-0.0, 0.0, 1.0]), np.array([0.0, 2.0])
    for n1, n2 in [(1, 1), (1, 2), (2, 2), (2, 3), (3, 5), (5, 5), (1, 10), (2, 50), (7, 7), (13, 13)]:
        yield f"tiny {n1}x{n2}", rng.normal(0, 1, n1), rng.normal(0.5, 1, n2)
    yield "tiny separated", np.arange(5.0), np.arange(5.0) + 10
    for n1, n2 in [(50, 3000), (7, 9999), (997, 1009), (256, 1024), (30, 10000)]:
        yield f"unequal {n1}x{n2}", rng.normal(0, 1, n1), rng.normal(0.2, 1.1, n2)
    same = rng.normal(0, 1, 333)
    yield "identical", same, same.copy()
    yield "asymptotic small current", rng.normal(0, 1, 12000), rng.normal(0.3, 1, 90)
    yield "asymptotic moderate", rng.normal(0, 1, 10001), rng.normal(0.05, 1, 700)


@pytest.mark.parametrize("name,a,b", list(ks_scenarios()), ids=[s[0] for s in ks_scenarios()])
def test_ks_matches_scipy(probe, name, a, b):
    statistic, pvalue = scipy_ks(a, b)
    result = probe("ks", a=a, b=b)
    assert_close(result["statistic"], statistic, f"{name} statistic")
    assert_pvalue_close(result["pvalue"], pvalue, f"{name} p-value")
    assert result["method"] == scipy_ks_pvalue(len(a), len(b), statistic)[1]


def test_oracle_route_agrees_with_ks_2samp():
    """scipy_ks_pvalue takes ks_2samp's internal route; make sure it still is ks_2samp's answer."""
    rng = np.random.default_rng(5)
    for n1, n2 in [(3, 4), (40, 40), (100, 37), (10001, 20), (500, 800)]:
        a = rng.normal(0, 1, n1)
        b = rng.normal(0.3, 1, n2)
        statistic, pvalue = scipy_ks(a, b)
        assert scipy_ks_pvalue(n1, n2, statistic)[0] == pytest.approx(pvalue, rel=1e-15)


def pvalue_grid():
    """(n1, n2, d) covering the exact lattice paths and every branch of the kstwo distribution."""
    statistics = [0.0, 1e-9, 0.001, 0.01, 0.05, 0.1, 0.25, 0.4999, 0.5, 0.5001, 0.75, 0.9, 0.999, 1.0]
    for n1, n2 in [(1, 1), (1, 2), (2, 2), (3, 5), (10, 10), (7, 13), (40, 60), (100, 120), (997, 1009),
                   (1000, 999), (5000, 5000), (1, 10000), (2, 10000), (600, 9000)]:
        for d in statistics:
            yield n1, n2, d
        for k in (1, 2, 3):  # lattice points
            g = math.gcd(n1, n2)
            yield n1, n2, min(1.0, k / (n1 // g * n2))
    # p-values of exactly 1 where rounding in the recursion could lift the result above 1 (which would wrongly
    # abandon the exact method).
    yield 504, 204, 0.004495000568284915
    yield 9999, 10000, 0.0002
    # Asymptotic: effective size round(n1 n2 / (n1 + n2)) selects the kstwo branch.
    for n1, n2 in [(10001, 1), (10001, 2), (10001, 50), (10001, 140), (10001, 141), (10001, 10001), (20000, 20000),
                   (50000, 1000), (100000, 300), (100000, 100000), (300000, 300000)]:
        n = round(n1 * n2 / (n1 + n2))
        for z in (0.05, 0.3, 0.5, 0.8, 0.87, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 5.0, 8.0, 13.0, 18.8, 19.5):
            d = z / math.sqrt(n)
            if d <= 1.0:
                yield n1, n2, d
        for d in (0.4 / n, 0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, 0.5, 0.51, 1 - 1 / n, 1 - 0.5 / n, 1.0):
            if 0.0 <= d <= 1.0:
                yield n1, n2, d


def test_ks_pvalue_grid_matches_scipy(probe):
    failures = []
    count = 0
    for n1, n2, d in pvalue_grid():
        expected, method = scipy_ks_pvalue(n1, n2, d)
        result = probe("ks_pvalue", n1=n1, n2=n2, d=d)
        actual = from_json_number(result["pvalue"])
        count += 1
        if result["method"] != method:
            failures.append((n1, n2, d, "method", result["method"], method))
        elif pvalue_differs(actual, expected):
            failures.append((n1, n2, d, actual, expected))
    assert count > 400
    assert not failures, failures[:20]


@pytest.mark.interop
def test_ks_pvalue_random_sweep(probe):
    """Random sizes and statistics; prints the largest relative error per method (docs/statistics.md quotes it:
    run with -s)."""
    rng = np.random.default_rng(2026)
    worst = {"exact": (0.0, None), "asymp": (0.0, None)}
    failures = []
    for _ in range(3000):
        if rng.random() < 0.6:
            n1, n2 = (int(v) for v in np.exp(rng.uniform(0, math.log(10000), 2)).round())
        else:
            n1 = int(rng.integers(10001, 300000))
            n2 = int(np.exp(rng.uniform(0, math.log(300000))).round())
        n = max(1, round(n1 * n2 / (n1 + n2)))
        d = min(1.0, abs(rng.normal(0, 2.5)) / math.sqrt(n)) if rng.random() < 0.8 else float(rng.random())
        expected, method = scipy_ks_pvalue(n1, n2, d)
        result = probe("ks_pvalue", n1=n1, n2=n2, d=d)
        actual = from_json_number(result["pvalue"])
        assert result["method"] == method, (n1, n2, d, result, expected)
        if expected >= SMALLEST_COMPARED_PVALUE:
            error = abs(actual - expected) / expected
            if error >= worst[method][0]:
                worst[method] = (error, (n1, n2, d, expected))
            if error > RELATIVE_TOLERANCE:
                failures.append((n1, n2, d, actual, expected))
        elif not actual < 1e-290:
            failures.append((n1, n2, d, actual, expected))
    print("largest relative error per method:", worst)
    assert not failures, failures[:20]


def test_kstwo_every_small_effective_size(probe):
    """Effective sizes 1..200 (the Durbin, Pomeranz, Ruben-Gambino and Smirnov branches of kstwo) at random
    statistics and at the branch boundaries. n1 = 1e9 makes round(n1 n2 / (n1 + n2)) equal n2."""
    rng = np.random.default_rng(8)
    failures = []
    for n in range(1, 201):
        boundaries = [math.sqrt(0.754693 / n), 2 / math.sqrt(n), math.sqrt(2.2 / n), (1.4 / n) ** (2 / 3), 0.5 / n,
                      1 / n, 1 - 1 / n, 0.5]
        for d in [*rng.uniform(0, 1, 8), *np.sqrt(rng.uniform(0, 25, 12) / n), *boundaries]:
            d = float(min(max(d, 0.0), 1.0))
            expected = float(np.clip(scipy.stats.kstwo.sf(d, n), 0, 1))
            actual = from_json_number(probe("ks_pvalue", n1=10**9, n2=n, d=d)["pvalue"])
            if pvalue_differs(actual, expected):
                failures.append((n, d, actual, expected))
    assert not failures, failures[:20]


@pytest.mark.interop
def test_smirnov_tail_for_large_effective_sizes(probe):
    """Effective sizes from 5,000 to 150,000 in the Smirnov branch (N x^2 from 2.2 to 370), where driftgov forms
    the Birnbaum-Tingey sum by the trapezoid rule on a coarse grid of its terms (docs/statistics-ks.md): it must
    equal scipy's sum of every term, over the whole range of the branch and at its edges."""
    rng = np.random.default_rng(12)
    cases = [(int(np.exp(rng.uniform(math.log(5000), math.log(150000)))), rng.uniform(2.2, 370)) for _ in range(40)]
    cases += [(n, edge) for n in (5000, 20011, 150000) for edge in (2.2, 2.2000001, 369.999)]
    failures = []
    for n, nx_squared in cases:
        d = math.sqrt(nx_squared / n)
        # n1 = 1e12 makes round(n1 n2 / (n1 + n2)) equal n2 for n2 up to 7e5.
        expected, method = scipy_ks_pvalue(10**12, n, d)
        actual = from_json_number(probe("ks_pvalue", n1=10**12, n2=n, d=d)["pvalue"])
        assert method == "asymp"
        if pvalue_differs(actual, expected):
            failures.append((n, d, actual, expected))
    assert not failures, failures[:20]


def test_ks_sketch_bound(probe):
    assert from_json_number(probe("ks_bound", ea=0.01, eb=0.005)["value"]) == pytest.approx(0.015, rel=1e-15)


@pytest.mark.interop
@pytest.mark.parametrize("n1,n2,shift", [(10000, 10000, 0.02), (10000, 9999, 0.03), (10000, 3, 1.0),
                                          (9999, 10000, 0.2), (20000, 20000, 0.02), (20000, 25000, 0.01),
                                          (100000, 100000, 0.01), (100000, 100000, 0.0), (100000, 1000, 0.05),
                                          (1000000, 1000000, 0.003)])
def test_ks_large_samples_match_scipy(probe, n1, n2, shift):
    rng = np.random.default_rng(n1 * 7 + n2)
    a = rng.normal(0, 1, n1)
    b = rng.normal(shift, 1, n2)
    statistic, pvalue = scipy_ks(a, b)
    result = probe("ks", a=a, b=b)
    assert result["method"] == ("exact" if max(n1, n2) <= 10000 else "asymp")
    assert_close(result["statistic"], statistic, "statistic")
    assert_pvalue_close(result["pvalue"], pvalue, "p-value")


@pytest.mark.interop
def test_ks_pvalue_grid_large_effective_sizes(probe):
    """Effective sizes above 1e5 (Pelz-Good) and above 1e6 (scipy's Smirnov approximation)."""
    failures = []
    for n1, n2 in [(400000, 400000), (2000000, 2000000), (3000000, 5000000)]:
        n = round(n1 * n2 / (n1 + n2))
        for z in (0.3, 0.8, 1.0, 1.05, 1.5, 2.0, 3.0, 5.0, 10.0, 13.0, 18.8):
            d = z / math.sqrt(n)
            expected, _ = scipy_ks_pvalue(n1, n2, d)
            actual = from_json_number(probe("ks_pvalue", n1=n1, n2=n2, d=d)["pvalue"])
            if expected >= SMALLEST_COMPARED_PVALUE and not actual == pytest.approx(expected, rel=RELATIVE_TOLERANCE):
                failures.append((n1, n2, d, actual, expected))
    assert not failures, failures


# ----------------------------------------------------------------------------------------------------------------
# Wasserstein and chi-square


def sample_pairs():
    rng = np.random.default_rng(77)
    yield "normal", rng.normal(0, 1, 500), rng.normal(0.5, 2, 300)
    yield "ties", rng.integers(0, 5, 200).astype(float), rng.integers(1, 6, 100).astype(float)
    yield "single values", np.array([1.0]), np.array([4.0])
    yield "identical", np.arange(10.0), np.arange(10.0)
    yield "lognormal", rng.lognormal(0, 1.5, 1000), rng.lognormal(0.1, 1.5, 1200)
    yield "cauchy", rng.standard_cauchy(200), rng.standard_cauchy(250)
    yield "constant", np.full(7, 2.5), np.full(3, 2.5)


@pytest.mark.parametrize("name,a,b", list(sample_pairs()), ids=[s[0] for s in sample_pairs()])
def test_wasserstein_matches_scipy(probe, name, a, b):
    expected = scipy.stats.wasserstein_distance(a, b)
    assert_close(probe("wasserstein", a=a, b=b)["value"], expected, name, abs_tolerance=1e-12 * np.ptp(
        np.concatenate([a, b])))


def count_tables():
    rng = np.random.default_rng(11)
    yield "two categories", [30, 70], [45, 55]
    yield "many categories", list(rng.integers(0, 500, 12)), list(rng.integers(0, 500, 12))
    yield "zero column dropped", [10, 0, 5, 7], [12, 0, 9, 1]
    yield "one side empty in a category", [10, 0, 5], [0, 8, 5]
    yield "strong drift", [1000, 10, 10], [10, 10, 1000]
    yield "huge counts", [10**9, 2 * 10**9, 3], [10**9 + 5000, 2 * 10**9 - 7000, 4]
    yield "identical", [5, 6, 7], [5, 6, 7]


@pytest.mark.parametrize("name,reference,current", list(count_tables()), ids=[s[0] for s in count_tables()])
def test_chi_squared_matches_scipy(probe, name, reference, current):
    table = np.array([reference, current], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    expected = scipy.stats.chi2_contingency(table, correction=False)
    result = probe("chi2", reference=reference, current=current)
    assert result["dof"] == expected.dof
    assert_close(result["statistic"], expected.statistic, f"{name} statistic", abs_tolerance=1e-12)
    assert_pvalue_close(result["pvalue"], expected.pvalue, f"{name} p-value")


def test_chi_squared_degenerate_tables(probe):
    """Fewer than two non-empty categories, or an empty side: no test possible, documented as 0 and p = 1."""
    for reference, current in [([5, 0], [7, 0]), ([0, 0], [3, 4]), ([4], [9])]:
        result = probe("chi2", reference=reference, current=current)
        assert (from_json_number(result["statistic"]), from_json_number(result["pvalue"])) == (0.0, 1.0)


# ----------------------------------------------------------------------------------------------------------------
# Null-rate rule: two-proportion z-test with pooled variance


def null_rate_cases():
    rng = np.random.default_rng(17)
    cases = [(80, 4000, 400, 4000), (5000, 100000, 6000, 100000), (1, 10, 9, 10), (0, 500, 3, 700),
             (499, 500, 500, 500), (12, 1_000_000, 15, 1_000_000), (30_000_000, 1_000_000_000, 3, 100)]
    for _ in range(200):
        n1, n2 = (int(v) for v in rng.integers(2, 100_000, 2))
        cases.append((int(rng.integers(0, n1 + 1)), n1, int(rng.integers(0, n2 + 1)), n2))
    return cases


def test_null_rate_ztest_matches_statsmodels_and_scipy(probe):
    for x1, n1, x2, n2 in null_rate_cases():
        result = probe("null_rate", reference_nulls=x1, reference_rows=n1, current_nulls=x2, current_rows=n2)
        what = f"null rate {x1}/{n1} -> {x2}/{n2}"
        assert_close(result["change"], 100 * (x2 / n2 - x1 / n1), what, rel=1e-12, abs_tolerance=1e-12)
        pooled = (x1 + x2) / (n1 + n2)
        if pooled in (0.0, 1.0):  # no variance: documented as z = 0, p = 1 (statsmodels gives NaN)
            assert (from_json_number(result["statistic"]), from_json_number(result["pvalue"])) == (0.0, 1.0)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z, p = proportions_ztest([x2, x1], [n2, n1])
        assert_close(result["statistic"], z, what, rel=1e-10)
        # The same p-value from scipy's normal distribution by hand.
        by_hand = 2 * scipy.stats.norm.sf(abs((x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))))
        assert_pvalue_close(result["pvalue"], p, what)
        assert_pvalue_close(result["pvalue"], by_hand, what)


def test_null_rate_change_is_exact_at_whole_percentage_points(probe):
    # 6000/100000 - 5000/100000 is 0.00999... in floating point; the rule must see exactly 1 pp.
    result = probe("null_rate", reference_nulls=5000, reference_rows=100000, current_nulls=6000, current_rows=100000)
    assert from_json_number(result["change"]) >= 1.0
    assert 100 * (6000 / 100000 - 5000 / 100000) < 1.0


# ----------------------------------------------------------------------------------------------------------------
# Distances between proportion vectors


def proportion_pairs():
    rng = np.random.default_rng(3)
    yield "dirichlet", rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))
    yield "close", np.full(5, 0.2), np.array([0.21, 0.19, 0.2, 0.2, 0.2])
    yield "zeros", np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.25, 0.25, 0.5])
    yield "disjoint", np.array([1.0, 0.0]), np.array([0.0, 1.0])
    yield "identical", np.array([0.1, 0.2, 0.7]), np.array([0.1, 0.2, 0.7])
    yield "below floor", np.array([0.99995, 0.00005]), np.array([0.99999, 0.00001])
    yield "many bins", rng.dirichlet(np.full(200, 0.3)), rng.dirichlet(np.full(200, 0.3))


PAIRS = list(proportion_pairs())
IDS = [p[0] for p in PAIRS]


def floored(values, floor):
    return np.maximum(values, floor)


@pytest.mark.parametrize("name,reference,current", PAIRS, ids=IDS)
@pytest.mark.parametrize("floor", [1e-4, 1e-6])
def test_psi_and_kl_match_numpy(probe, name, reference, current, floor):
    r, c = floored(reference, floor), floored(current, floor)
    assert_close(probe("psi", reference=reference, current=current, floor=floor)["value"],
                 np.sum((c - r) * np.log(c / r)), f"{name} psi", abs_tolerance=1e-15)
    assert_close(probe("kl", reference=reference, current=current, floor=floor)["value"],
                 np.sum(c * np.log(c / r)), f"{name} kl", abs_tolerance=1e-15)


@pytest.mark.parametrize("name,reference,current", PAIRS, ids=IDS)
def test_bounded_distances_match_numpy_and_scipy(probe, name, reference, current):
    assert_close(probe("js", reference=reference, current=current)["value"],
                 scipy.spatial.distance.jensenshannon(reference, current, base=2), f"{name} js", abs_tolerance=1e-15)
    assert_close(probe("hellinger", reference=reference, current=current)["value"],
                 np.sqrt(0.5 * np.sum((np.sqrt(reference) - np.sqrt(current)) ** 2)), f"{name} hellinger",
                 abs_tolerance=1e-15)
    assert_close(probe("tv", reference=reference, current=current)["value"],
                 0.5 * np.sum(np.abs(reference - current)), f"{name} tv", abs_tolerance=1e-15)
    assert_close(probe("linf", reference=reference, current=current)["value"],
                 np.max(np.abs(reference - current)), f"{name} linf", abs_tolerance=1e-15)


def test_js_normalises_counts_like_scipy(probe):
    reference = np.array([10.0, 20.0, 0.0, 5.0])
    current = np.array([1.0, 1.0, 1.0, 1.0])
    assert_close(probe("js", reference=reference, current=current)["value"],
                 scipy.spatial.distance.jensenshannon(reference, current, base=2), "js of counts")
