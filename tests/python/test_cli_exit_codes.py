"""Exit codes and command-line mistakes of every verb (docs/cli.md).

0 success, 1 internal error, 2 bad input, 3 `compare --fail-on-drift` found dataset drift. A command-line mistake
(no verb, unknown verb or option, missing argument, bad number, extra argument) exits with 2 and prints the usage of
the verb concerned and a last line `driftgov VERB: error: ...` naming what was wrong, all on stderr; `--help` and
`-h` print to stdout and exit with 0.

The verbs and subverbs, their required positionals and their numeric options are read from the help output, so a
new verb or option is covered without editing this file; the documented set must be among them.

Exit code 1: no input reaches an internal-error check (that would be a bug, fixed with a test of its own), so the
path is exercised with the one failure that is neither bad input nor drift and can be caused from outside: running
out of memory (an address-space limit while reading a 64 MiB field). Under AddressSanitizer, whose allocator stops
the program instead of throwing std::bad_alloc, the test checks the sanitizer's report of the same failure.
"""
import json
import os
import re
import resource
import subprocess

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import BUILD_DIR, ROOT, driftgov_binary

# Every verb and subverb docs/cli.md describes.
DOCUMENTED_VERBS = {"cat", "compare", "convert", "profile", "profile merge", "quality", "table", "table info",
                    "table history", "table schema", "table write", "validate", "monitor", "monitor run",
                    "monitor list", "monitor status", "monitor history", "export", "report", "principal",
                    "principal keygen", "audit", "audit verify", "audit log", "audit checkpoint", "incident", "incident list",
                    "incident show", "incident close", "incident stage", "incident verify", "approval",
                    "approval request", "approval approve", "approval reject", "approval list", "model",
                    "model train", "model score", "model list", "model show", "model promote", "model rollback",
                    "evaluate", "evaluate verify", "deploy", "governance", "governance view", "model mirror",
                    "model register", "model remove-alias"}
NUMERIC_TYPES = ("INT", "UINT", "FLOAT")


def run(*args, **kwargs):
    return subprocess.run([str(driftgov_binary()), *map(str, args)], capture_output=True, text=True, timeout=120,
                          **kwargs)


def help_text(path):
    result = run(*path.split(), "--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def section(text, title):
    """The lines of a help section ("Subcommands:", "Options:", ...) up to the next blank line."""
    lines = text.splitlines()
    if f"{title}:" not in lines:
        return []
    start = lines.index(f"{title}:") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def subverbs(path):
    return [line.split()[0] for line in section(help_text(path), "Subcommands")]


def discover_verbs():
    if not driftgov_binary().exists():
        return sorted(DOCUMENTED_VERBS)  # each test then fails with the build hint
    found, pending = [], subverbs("")
    while pending:
        verb = pending.pop(0)
        found.append(verb)
        pending += [f"{verb} {sub}" for sub in subverbs(verb)]
    return found


VERBS = discover_verbs()


def usage(path):
    """The words of `Usage: driftgov PATH ...` after the path."""
    line = next(line for line in help_text(path).splitlines() if line.startswith("Usage: "))
    words = line.split()[1:]
    prefix = path.split()
    assert words[0].endswith("driftgov") and words[1:1 + len(prefix)] == prefix, line
    return words[1 + len(prefix):]


def required_positionals(path):
    return [re.sub(r"(\.\.\.|\(\d+x\))$", "", word) for word in usage(path)
            if not word.startswith("[") and word != "SUBCOMMAND"]


def requires_subverb(path):
    return "SUBCOMMAND" in usage(path)


def options_taking(path, types):
    """The options whose help shows a value of one of `types` (TEXT, INT, UINT, FLOAT)."""
    options = []
    for line in section(help_text(path), "Options"):
        match = re.match(r"\s+(?:-\w,)?(--[\w-]+) ([A-Z]+)", line)
        if match and match.group(2) in types:
            options.append(match.group(1))
    return options


# A few positionals are optional to CLI11 (so that `profile merge` can do without them) yet required by the verb.
def positionals_for_mistakes(path):
    return ["DATA"] if path == "profile" else required_positionals(path)


def filler(path):
    """Placeholder arguments for every positional (two for a list) and required option: the command line fails before
    any is opened."""
    lists = {re.sub(r"\.\.\.$", "", word) for word in usage(path) if word.endswith("...")}
    required_options = {"incident close": ["--reason", "r"],
                        "model promote": ["--model", "m"], "model rollback": ["--model", "m", "--to", "1"],
                        "model register": ["--model", "m", "--reason", "r"],
                        "model remove-alias": ["--model", "m", "--alias", "a", "--reason", "r"]}.get(path, [])
    return [f"missing-{name.lower()}{i}.csv" for name in positionals_for_mistakes(path)
            for i in range(2 if name in lists else 1)] + required_options


def assert_usage_error(result, path, *named):
    """Exit 2, nothing on stdout, the verb's usage and a last line naming each of `named`."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert f"Usage: {' '.join(['driftgov', *path.split()])} " in result.stderr, result.stderr
    last = result.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"{' '.join(['driftgov', *path.split()])}: error: "), result.stderr
    for word in named:
        assert word in last, (word, last)


def assert_input_error(result, *named):
    """Exit 2 with one line `driftgov: error: ...` naming each of `named`, and no usage (the command line was fine)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.rstrip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftgov: error: "), result.stderr
    for word in named:
        assert word in lines[0], (word, lines[0])


# --- the verbs themselves -------------------------------------------------------------------------------------------


def test_documented_verbs_are_the_verbs_in_help():
    assert set(VERBS) == DOCUMENTED_VERBS
    text = (ROOT / "docs" / "cli.md").read_text()
    for verb in VERBS:
        assert re.search(rf"driftgov {verb.split()[0]}\b", text), verb


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("path", ["", *VERBS])
def test_help_prints_to_stdout_and_exits_0(driftgov, path, flag):
    result = run(*path.split(), flag)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"Usage: {' '.join(['driftgov', *path.split()])} " in result.stdout
    for sub in subverbs(path) if flag == "--help" else []:
        assert re.search(rf"^  {sub} ", result.stdout, re.M), sub


def test_help_comes_first_even_after_a_mistake(driftgov):
    result = run("cat", "--no-such-option", "--help")
    assert result.returncode == 0 and "Usage: driftgov cat " in result.stdout


def test_version_exits_0(driftgov):
    result = run("--version")
    assert result.returncode == 0 and re.fullmatch(r"driftgov \d+\.\d+\.\d+\n", result.stdout), result.stdout


# --- command-line mistakes: exit 2 with the verb's usage ------------------------------------------------------------


def test_no_verb(driftgov):
    result = run()
    top_level = [verb for verb in VERBS if " " not in verb]
    assert_usage_error(result, "", "verb is required", *top_level)


@pytest.mark.parametrize("path", ["", *(verb for verb in VERBS if requires_subverb(verb))])
def test_unknown_verb(driftgov, path):
    result = run(*path.split(), "frobnicate")
    assert_usage_error(result, path, "verb 'frobnicate'", *subverbs(path))


@pytest.mark.parametrize("path", ["", *VERBS])
def test_unknown_option(driftgov, path):
    result = run(*path.split(), *filler(path), "--no-such-option")
    assert_usage_error(result, path, "--no-such-option")


@pytest.mark.parametrize("path", [verb for verb in VERBS if positionals_for_mistakes(verb)])
def test_missing_positional(driftgov, path):
    names = positionals_for_mistakes(path)
    for given in range(len(names)):
        result = run(*path.split(), *filler(path)[:given])  # a list positional comes last
        assert_usage_error(result, path, names[given])


@pytest.mark.parametrize("path", ["profile", "profile merge"])
def test_missing_output_option(driftgov, path):
    inputs = ["a.json", "b.json"] if path == "profile merge" else ["data.csv"]
    assert_usage_error(run(*path.split(), *inputs), path, "--output")


@pytest.mark.parametrize("path", [verb for verb in VERBS if not requires_subverb(verb)])
def test_bad_number_for_every_numeric_option(driftgov, path):
    options = options_taking(path, NUMERIC_TYPES)
    assert options or path in ("profile merge", "table info", "table schema", "validate", "monitor list",
                               "monitor status", "export", "principal keygen", "audit verify", "audit log",
                               "audit checkpoint", "incident list", "incident show", "incident close", "incident verify",
                               "model score", "evaluate verify", "deploy", "incident stage", "governance view", "model mirror",
                               "approval approve", "approval reject", "approval list", "model list", "model show",
                               "model promote", "model register", "model remove-alias"), path
    for option in options:
        args = filler(path)
        if option in args:  # a required option: its value replaced
            args[args.index(option) + 1] = "twelve"
        else:
            args += [option, "twelve"]
        result = run(*path.split(), *args)
        assert_usage_error(result, path, option, "twelve")


@pytest.mark.parametrize("path", [verb for verb in VERBS if not requires_subverb(verb)])
def test_option_without_its_value(driftgov, path):
    options = options_taking(path, ("TEXT", *NUMERIC_TYPES))
    assert options or path in ("table info", "table schema"), path
    for option in options:
        assert_usage_error(run(*path.split(), *filler(path), option), path, option)


@pytest.mark.parametrize("path", [verb for verb in VERBS if not requires_subverb(verb) and verb != "profile merge"])
def test_excess_argument(driftgov, path):
    # monitor run takes an optional NAME, approval request an optional INCIDENT.
    optional = ["m"] if path == "monitor run" else ["INC-1"] if path == "approval request" else []
    result = run(*path.split(), *filler(path), *optional, "one-too-many")
    assert_usage_error(result, path, "one-too-many")


@pytest.mark.parametrize("path", [verb for verb in VERBS if requires_subverb(verb)])
def test_missing_subverb(driftgov, path):
    assert path in ("table", "monitor", "principal", "audit", "incident", "approval", "model", "governance")
    assert_usage_error(run(*path.split()), path, "verb is required", *subverbs(path))


def test_profile_merge_needs_two_profiles(driftgov):
    assert_usage_error(run("profile", "merge", "a.json", "-o", "m.json"), "profile merge", "PROFILES", "2")


def test_out_of_range_threads_is_bad_input(driftgov, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x\n1\n2\n")
    for threads in ("-1", "1025", "100000"):
        assert_input_error(run("profile", data, "-o", tmp_path / "p.json", "--threads", threads), "--threads",
                           threads)


# --- exit codes of real runs ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exit_codes")
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 500), "label": rng.choice(["a", "b", "c"], 500)})
    drifted = pd.DataFrame({"x": rng.normal(10, 1, 400), "label": rng.choice(["a", "b", "c"], 400, p=[.8, .1, .1])})
    paths = {"reference": folder / "reference.csv", "drifted": folder / "drifted.csv"}
    reference.to_csv(paths["reference"], index=False)
    drifted.to_csv(paths["drifted"], index=False)
    table = folder / "table"
    write_deltalake(str(table), reference.iloc[:200])
    write_deltalake(str(table), reference.iloc[200:], mode="append")
    # Commit times far apart, so that @ts= picks a version without depending on the clock.
    for version, when in ((0, "2026-01-01T00:00:00Z"), (1, "2026-02-01T00:00:00Z")):
        seconds = pd.Timestamp(when).timestamp()
        os.utime(table / "_delta_log" / f"{version:020}.json", (seconds, seconds))
    return folder, reference, drifted, paths, table


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


def test_cat_exits_0_and_prints_every_row(driftgov, data):
    _, reference, _, paths, _ = data
    result = run("cat", paths["reference"])
    assert result.returncode == 0 and result.stderr == ""
    rows = jsonl(result.stdout)
    assert [row["label"] for row in rows] == reference["label"].tolist()
    np.testing.assert_allclose([row["x"] for row in rows], reference["x"], rtol=1e-15)


def test_cat_time_travel_as_documented_in_help(driftgov, data):
    _, reference, _, _, table = data
    assert "@ts=" in help_text("cat") and "@v=N" in help_text("cat")
    assert len(jsonl(run("cat", f"{table}@v=0").stdout)) == 200
    assert len(jsonl(run("cat", f"{table}@ts=2026-01-15T00:00:00Z").stdout)) == 200
    assert len(jsonl(run("cat", f"{table}@ts=2026-02-01T00:00:00Z").stdout)) == len(reference)
    assert_input_error(run("cat", f"{table}@v=7"), "7")


@pytest.mark.parametrize("path", ["cat", "convert", "profile", "table info", "table history", "table schema",
                                  "table write"])
def test_help_of_every_source_names_time_travel(driftgov, path):
    text = help_text(path)
    assert "@v=N" in text and "@ts=" in text, text


def test_profile_and_merge_exit_0(driftgov, data, tmp_path):
    _, reference, _, paths, _ = data
    assert run("profile", paths["reference"], "-o", tmp_path / "a.json").returncode == 0
    assert run("profile", paths["reference"], "-o", tmp_path / "b.json").returncode == 0
    result = run("profile", "merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "m.json").read_text())["row_count"] == 2 * len(reference)


def test_compare_exit_codes(driftgov, data, tmp_path):
    _, _, _, paths, _ = data
    same = run("compare", paths["reference"], paths["reference"], "--fail-on-drift", "--json", "-")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["dataset"]["dataset_drift"] is False
    drift = run("compare", paths["reference"], paths["drifted"], "--fail-on-drift", "--json", "-")
    assert drift.returncode == 3, drift.stderr
    assert json.loads(drift.stdout)["dataset"]["dataset_drift"] is True
    assert drift.stderr == ""
    # Without --fail-on-drift, drift is a result, not a failure.
    assert run("compare", paths["reference"], paths["drifted"], "-q").returncode == 0
    # The same verdict from stored profiles.
    run("profile", paths["reference"], "-o", tmp_path / "r.json")
    run("profile", paths["drifted"], "-o", tmp_path / "d.json")
    assert run("compare", tmp_path / "r.json", tmp_path / "d.json", "--fail-on-drift", "-q").returncode == 3


def test_convert_and_table_exit_0(driftgov, data, tmp_path):
    _, reference, _, paths, table = data
    result = run("convert", paths["reference"], tmp_path / "out.parquet")
    assert result.returncode == 0, result.stderr
    assert pq.read_table(tmp_path / "out.parquet").num_rows == len(reference)
    info = run("table", "info", table, "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["version"] == DeltaTable(str(table)).version()
    history = run("table", "history", table, "--json")
    assert history.returncode == 0 and [c["version"] for c in json.loads(history.stdout)] == [1, 0]
    schema = run("table", "schema", table, "--json")
    assert schema.returncode == 0
    assert [f["name"] for f in json.loads(schema.stdout)["fields"]] == list(reference.columns)
    write = run("table", "write", paths["reference"], tmp_path / "written", "--json")
    assert write.returncode == 0, write.stderr
    assert DeltaTable(str(tmp_path / "written")).to_pyarrow_table().num_rows == len(reference)


# principal keygen reads no file (it writes a new key pair).
@pytest.mark.parametrize("path", [verb for verb in VERBS if not requires_subverb(verb) and verb != "principal keygen"])
def test_missing_file_is_bad_input_without_usage(driftgov, path, tmp_path):
    missing = tmp_path / "no-such-data.csv"
    (tmp_path / "train.yaml").write_text("label: y\n")
    args = {"cat": [missing], "compare": [missing, missing], "convert": [missing, tmp_path / "out.parquet"],
            "profile": [missing, "-o", tmp_path / "p.json"],
            "profile merge": [missing, missing, "-o", tmp_path / "m.json"],
            "quality": [missing, "--prediction-col", "p", "--label-col", "l", "--problem-type", "regression"],
            "table write": [missing, tmp_path / "table"],
            "validate": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "monitor run": ["--config", tmp_path / "no-such-driftgov.yaml", "m"],
            "monitor list": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "monitor status": ["--config", tmp_path / "no-such-driftgov.yaml", "m"],
            "monitor history": ["--config", tmp_path / "no-such-driftgov.yaml", "m"],
            "export": ["--config", tmp_path / "no-such-driftgov.yaml", "m"],
            "report": ["--config", tmp_path / "no-such-driftgov.yaml", "m", "--out", tmp_path / "r"],
            "audit verify": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "audit log": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "audit checkpoint": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "incident list": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "incident show": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1"],
            "incident close": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1", "--reason", "r"],
            "incident stage": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1"],
            "incident verify": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "approval request": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1"],
            "approval approve": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1"],
            "approval reject": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1"],
            "approval list": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "model list": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "model show": ["--config", tmp_path / "no-such-driftgov.yaml", "m"],
            "model promote": ["--config", tmp_path / "no-such-driftgov.yaml", "INC-1", "--model", "m"],
            "model rollback": ["--config", tmp_path / "no-such-driftgov.yaml", "--model", "m", "--to", "1"],
            "model train": [missing, "--trainer-config", tmp_path / "train.yaml", "--out", tmp_path / "m"],
            "model score": [tmp_path / "no-such-model.json", missing],
            "evaluate": ["--champion", tmp_path / "no-such-model.json", "--challenger", tmp_path / "no-such-model.json",
                         "--holdout", missing, "--label", "y"],
            "evaluate verify": [tmp_path / "no-such-record.json", "--config", tmp_path / "driftgov.yaml"],
            "deploy": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "model mirror": ["--config", tmp_path / "no-such-driftgov.yaml"],
            "model register": ["--config", tmp_path / "no-such-driftgov.yaml", "m.json", "--model", "m", "--reason",
                               "r"],
            "model remove-alias": ["--config", tmp_path / "no-such-driftgov.yaml", "--model", "m", "--alias", "a",
                                   "--reason", "r"],
            "governance view": ["--config", tmp_path / "no-such-driftgov.yaml"]}.get(
                path, [tmp_path / "no-such-table"])
    result = run(*path.split(), *args)
    assert_input_error(result, str(args[1] if str(args[0]).startswith("--") else args[0]))
    assert result.stdout == ""


def sanitized_build():
    cache = BUILD_DIR / "CMakeCache.txt"
    return cache.exists() and re.search(r"^DRIFTGOV_SANITIZE:\w+=ON$", cache.read_text(), re.M) is not None


def test_out_of_memory_exits_1(driftgov, tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("a\n" + "x" * (64 << 20) + "\n")
    if sanitized_build():
        # AddressSanitizer's operator new never throws std::bad_alloc (it reports the allocation and stops the
        # program), and it cannot start under an address-space limit; its own cap shows the same read failing.
        options = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "max_allocation_size_mb=32"]))
        result = run("cat", big, env={**os.environ, "ASAN_OPTIONS": options})
        assert result.returncode != 0 and "AddressSanitizer: requested allocation size" in result.stderr, result
        return
    limit = 150 << 20

    def limit_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = run("cat", big, preexec_fn=limit_address_space)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr == "driftgov: error: out of memory\n"
    # Under the same limit a small file reads: the limit leaves room for the program itself.
    small = tmp_path / "small.csv"
    small.write_text("a\nxyz\n")
    result = run("cat", small, preexec_fn=limit_address_space)
    assert result.returncode == 0 and result.stdout == '{"a":"xyz"}\n', result.stderr


def test_refused_worker_thread_exits_1_and_many_threads_profile_correctly(driftgov, tmp_path):
    data = tmp_path / "data.csv"
    values = list(range(1, 2001))
    data.write_text("a\n" + "\n".join(map(str, values)) + "\n")
    # 1024 workers (the most --threads allows) still give the same counts and moments as the data.
    result = run("profile", data, "-o", tmp_path / "p.json", "--threads", "1024")
    assert result.returncode == 0, result.stderr
    (column,) = json.loads((tmp_path / "p.json").read_text())["columns"]
    assert (column["count"], column["numeric"]["min"], column["numeric"]["max"]) == (len(values), 1, 2000)
    assert column["numeric"]["mean"] == pytest.approx(np.mean(values), rel=1e-12)
    if sanitized_build():
        return  # AddressSanitizer cannot start under an address-space limit; the refusal is checked in release.

    def limit_address_space():
        # 1024 thread stacks of 8 MiB do not fit in 1.5 GiB: the system refuses a thread part way.
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))

    result = run("profile", data, "-o", tmp_path / "q.json", "--threads", "1024", preexec_fn=limit_address_space)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert re.fullmatch(r"driftgov: error: could not start profiling worker \d+ of 1024 \(.+\); use fewer --threads\n",
                        result.stderr), result.stderr
    assert not (tmp_path / "q.json").exists()
