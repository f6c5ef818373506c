"""Profiles through the CLI: merge(profile(A), profile(B)) equals profile(A ∪ B), checked against numpy.

Counts, nulls, min and max must be equal; mean and M2 equal up to rounding; the merged quantile sketch must keep
its stated rank-error bound against the true ranks of the union; exact category counts must equal pandas'.
"""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_driftgov

EPSILON_K200 = 2.296 / 200 ** 0.9723


def make_part(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3, 1, n)
    x[rng.random(n) < 0.04] = np.nan
    frame = pd.DataFrame({"x": x, "k": rng.integers(-50, 50, n),
                          "label": rng.choice(["a", "b", "c", "d", "e"], n)})
    frame.loc[rng.random(n) < 0.02, "label"] = None
    return frame


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profiles")
    frames = [make_part(seed, n) for seed, n in ((1, 30000), (2, 20000), (3, 25000))]
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"part{i}.csv"
        frame.to_csv(path, index=False, na_rep="")
        paths.append(path)
    union = folder / "union.csv"
    pd.concat(frames).to_csv(union, index=False, na_rep="")
    profiles = []
    for path in paths:
        out = path.with_suffix(".json")
        run_driftgov("profile", path, "-o", out, "--threads", "1")
        profiles.append(out)
    return folder, frames, profiles, union


def load(path):
    return json.loads(path.read_text())


def column(profile, name):
    return next(c for c in profile["columns"] if c["name"] == name)


def sketch_rank(sketch, x):
    """Estimated number of values <= x from the serialised KLL levels (level h has weight 2^h)."""
    rank = 0
    for level, values in enumerate(sketch["levels"]):
        rank += (2 ** level) * int(np.searchsorted(np.array(values, dtype=float), x, side="right"))
    return rank


def test_merge_equals_profile_of_union(parts, tmp_path):
    folder, frames, profiles, union = parts
    merged_path = tmp_path / "merged.json"
    run_driftgov("profile", "merge", *profiles, "-o", merged_path)
    merged = load(merged_path)
    whole_path = tmp_path / "whole.json"
    run_driftgov("profile", union, "-o", whole_path, "--threads", "1")
    whole = load(whole_path)
    data = pd.concat(frames)
    assert merged["row_count"] == whole["row_count"] == len(data)
    for name in ("x", "k"):
        m, w = column(merged, name), column(whole, name)
        values = data[name].to_numpy(dtype=float)
        finite = values[~np.isnan(values)]
        assert m["count"] == w["count"] == len(values)
        assert m["null_count"] == w["null_count"] == int(np.isnan(values).sum())
        assert m["numeric"]["min"] == w["numeric"]["min"] == finite.min()
        assert m["numeric"]["max"] == w["numeric"]["max"] == finite.max()
        assert m["numeric"]["mean"] == pytest.approx(finite.mean(), rel=1e-12)
        assert m["numeric"]["m2"] == pytest.approx(((finite - finite.mean()) ** 2).sum(), rel=1e-10)
        assert m["numeric"]["zero_count"] == int((finite == 0).sum())
        # The merged sketch keeps the rank-error bound against the true ranks of the union.
        sketch = m["numeric"]["sketch"]
        ordered = np.sort(finite)
        assert sketch["n"] == len(finite)
        worst = 0.0
        for q in np.linspace(0.01, 0.99, 99):
            x = np.quantile(ordered, q)
            true_rank = np.searchsorted(ordered, x, side="right")
            worst = max(worst, abs(sketch_rank(sketch, x) - true_rank) / len(finite))
        assert worst <= EPSILON_K200, worst
    counts = dict(map(tuple, column(merged, "label")["categorical"]["counts"]))
    expected = data["label"].value_counts(dropna=True).to_dict()
    assert counts == expected
    assert column(merged, "label")["null_count"] == int(data["label"].isna().sum())


def test_merge_is_associative(parts, tmp_path):
    _, _, (a, b, c), _ = parts
    left, right = tmp_path / "ab_c.json", tmp_path / "a_bc.json"
    run_driftgov("profile", "merge", a, b, "-o", tmp_path / "ab.json")
    run_driftgov("profile", "merge", tmp_path / "ab.json", c, "-o", left)
    run_driftgov("profile", "merge", b, c, "-o", tmp_path / "bc.json")
    run_driftgov("profile", "merge", a, tmp_path / "bc.json", "-o", right)
    l, r = load(left), load(right)
    for name in ("x", "k", "label"):
        cl, cr = column(l, name), column(r, name)
        assert cl["count"] == cr["count"] and cl["null_count"] == cr["null_count"]
        if name != "label":
            assert cl["numeric"]["mean"] == pytest.approx(cr["numeric"]["mean"], rel=1e-13)
            assert cl["numeric"]["m2"] == pytest.approx(cr["numeric"]["m2"], rel=1e-11)
        else:
            assert sorted(map(tuple, cl["categorical"]["counts"])) == sorted(map(tuple, cr["categorical"]["counts"]))


def test_merge_refuses_different_sketch_parameters(parts, tmp_path):
    folder, _, profiles, _ = parts
    other = tmp_path / "k100.json"
    run_driftgov("profile", folder / "part0.csv", "-o", other, "--sketch-k", "100")
    result = run_driftgov("profile", "merge", profiles[1], other, "-o", tmp_path / "bad.json", check=False)
    assert result.returncode == 2
    assert "100" in result.stderr and "200" in result.stderr, result.stderr


def test_tampered_profile_is_refused(parts, tmp_path):
    _, _, profiles, _ = parts
    doc = load(profiles[0])
    column(doc, "x")["numeric"]["sketch"]["n"] += 5
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc))
    result = run_driftgov("profile", "merge", bad, profiles[1], "-o", tmp_path / "out.json", check=False)
    assert result.returncode == 2
    assert "tampered.json" in result.stderr, result.stderr


def test_merge_of_many_profiles_equals_numpy_on_the_concatenated_data(tmp_path):
    # Seven parts of very different sizes, one of a single row and one whose x is entirely null.
    sizes = (1, 2, 17, 250, 3000, 1000, 40)
    frames = [make_part(100 + i, n) for i, n in enumerate(sizes)]
    frames[5]["x"] = np.nan
    profiles = []
    for i, frame in enumerate(frames):
        path = tmp_path / f"part{i}.csv"
        frame.to_csv(path, index=False, na_rep="")
        profiles.append(tmp_path / f"part{i}.json")
        run_driftgov("profile", path, "-o", profiles[-1], "--type", "x=double", "--type", "k=int64",
                     "--type", "label=string")
    merged_path = tmp_path / "merged.json"
    run_driftgov("profile", "merge", *profiles, "-o", merged_path)
    merged = load(merged_path)
    data = pd.concat(frames)
    assert merged["row_count"] == len(data) == sum(sizes)
    for name in ("x", "k"):
        values = data[name].to_numpy(dtype=float)
        finite = values[~np.isnan(values)]
        got = column(merged, name)
        assert got["count"] == len(values)
        assert got["null_count"] == int(np.isnan(values).sum())
        assert got["numeric"]["finite_count"] == len(finite)
        assert got["numeric"]["min"] == finite.min()
        assert got["numeric"]["max"] == finite.max()
        assert got["numeric"]["mean"] == pytest.approx(finite.mean(), rel=1e-12)
        assert got["numeric"]["m2"] == pytest.approx(((finite - finite.mean()) ** 2).sum(), rel=1e-10)
    label = column(merged, "label")
    assert label["null_count"] == int(data["label"].isna().sum())
    assert dict(map(tuple, label["categorical"]["counts"])) == data["label"].value_counts(dropna=True).to_dict()


def test_inconsistent_profiles_are_refused_naming_the_field(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,c\n1.5,a\n2.5,b\n,a\n")
    good = tmp_path / "good.json"
    run_driftgov("profile", data, "-o", good)

    def tamper(change):
        doc = load(good)
        change(doc)
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(doc))
        result = run_driftgov("profile", "merge", path, good, "-o", tmp_path / "out.json", check=False)
        assert result.returncode == 2, result
        return result.stderr

    assert f"{tmp_path / 'bad.json'}: sketch_k must be from 8 to 65535, got 2147483647" in tamper(
        lambda d: d.update(sketch_k=2**31 - 1))
    assert "category_cap must be at least 1, got 0" in tamper(lambda d: d.update(category_cap=0))
    assert "column 'x' appears twice" in tamper(lambda d: d["columns"].append(d["columns"][0]))
    assert "column 'x': count 3 differs from the profile's row_count 4" in tamper(lambda d: d.update(row_count=4))
    assert "column 'x': numeric.nan_count must be from 0 to count - null_count (2), got 3" in tamper(
        lambda d: column(d, "x")["numeric"].update(nan_count=3))
    # A number beyond the integer's range is refused, never converted (undefined behaviour).
    assert "column 'x': count must be a whole number from -9223372036854775808 to 9223372036854775807, got 3e+48" in \
        tamper(lambda d: column(d, "x").update(count=3e48))
    assert "column 'x': sketch.k must be a whole number from 8 to 65535, got 1.5" in tamper(
        lambda d: column(d, "x")["numeric"]["sketch"].update(k=1.5))
    assert "column 'c': categorical.counts add up to 2, but count - null_count is 3" in tamper(
        lambda d: column(d, "c")["categorical"]["counts"].pop())


def test_number_beyond_double_is_an_input_error(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x\n1.5\n")
    good = tmp_path / "good.json"
    run_driftgov("profile", data, "-o", good)
    bad = tmp_path / "huge.json"
    bad.write_text(good.read_text().replace('"m2":', '"m2":1' + "0" * 400 + ',"unused":', 1))
    result = run_driftgov("profile", "merge", bad, good, "-o", tmp_path / "out.json", check=False)
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"driftgov: error: {bad}: not valid JSON: ") and "number overflow" in result.stderr
