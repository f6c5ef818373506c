"""External trainers (docs/evaluation.md, "External trainers"): `driftgov model train` runs a `command:` under a
documented contract and stores what it writes under its SHA-256.

Oracles independent of driftgov: a scikit-learn script trains on the CSV the contract hands it; the same model is
trained here directly from the table read with deltalake (float32 features, as the contract says), and its pickled
predictions, hashlib's digest of the stored artefact and the environment the script recorded are compared.
"""
import hashlib
import json
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable, write_deltalake
from sklearn.linear_model import LogisticRegression

from governance_oracles import run

EXIT_INPUT = 2
FEATURES = ["a", "b"]

TRAIN_SCRIPT = """
import json, os, pickle, sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
frame = pd.read_csv(os.environ["DRIFTGOV_TRAIN_INPUT"])
features = os.environ["DRIFTGOV_TRAIN_FEATURES"].split(",")
label = os.environ["DRIFTGOV_TRAIN_LABEL"]
model = LogisticRegression(random_state=int(os.environ["DRIFTGOV_TRAIN_SEED"])).fit(frame[features], frame[label])
with open(os.environ["DRIFTGOV_TRAIN_OUTPUT"], "wb") as out:
    pickle.dump(model, out, protocol=4)
seen = {k: v for k, v in os.environ.items() if k.startswith("DRIFTGOV_TRAIN_")}
seen["columns"] = list(frame.columns)
seen["rows"] = len(frame)
with open(sys.argv[1], "w") as out:
    json.dump(seen, out)
"""

SCORE_SCRIPT = """
import os, pickle
import pandas as pd
model = pickle.load(open(os.environ["DRIFTGOV_MODEL"], "rb"))
frame = pd.read_csv(os.environ["DRIFTGOV_SCORE_INPUT"])
with open(os.environ["DRIFTGOV_SCORE_OUTPUT"], "w") as out:
    out.write("prediction\\n")
    for value in model.predict_proba(frame)[:, 1]:
        out.write(repr(float(value)) + "\\n")
"""


@pytest.fixture
def training_table(tmp_path):
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = ((df.a - 0.7 * df.b + rng.normal(size=n) * 0.5) > 0).astype(np.int64)
    write_deltalake(str(tmp_path / "train"), df)
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    (tmp_path / "score.py").write_text(SCORE_SCRIPT)
    return tmp_path


def trainer_config(folder, command, extra=""):
    path = folder / "trainer.yaml"
    path.write_text(f"command: {json.dumps(command)}\nlabel: y\nfeatures: [a, b]\nseed: 7\nformat: pkl\n{extra}")
    return path


def test_an_external_scikit_learn_trainer_is_stored_under_its_digest_and_scored(training_table):
    folder = training_table
    seen_file = folder / "seen.json"
    config = trainer_config(folder, f"{sys.executable} {folder / 'train.py'} {seen_file}")
    result = run("model", "train", folder / "train", "--trainer-config", config, "--out", folder / "models", "--json")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)

    # The contract's variables, as the script saw them.
    seen = json.loads(seen_file.read_text())
    assert seen["DRIFTGOV_TRAIN_LABEL"] == "y" and seen["DRIFTGOV_TRAIN_FEATURES"] == "a,b"
    assert seen["DRIFTGOV_TRAIN_SEED"] == "7" and seen["DRIFTGOV_TRAIN_PROBLEM"] == "classification"
    assert seen["columns"] == ["a", "b", "y"] and seen["rows"] == 400
    assert seen["DRIFTGOV_TRAIN_OUTPUT"].endswith(".pkl")

    # Content addressed: the file is named by hashlib's SHA-256 of its bytes, the manifest beside it.
    artefact = folder / "models" / (manifest["artefact"]["sha256"] + ".pkl")
    assert manifest["artefact"]["path"] == str(artefact)
    assert hashlib.sha256(artefact.read_bytes()).hexdigest() == manifest["artefact"]["sha256"]
    stored = json.loads((folder / "models" / (manifest["artefact"]["sha256"] + ".training.json")).read_text())
    assert stored == manifest
    assert manifest["trainer"] == "command" and manifest["command"] == f"{sys.executable} {folder / 'train.py'} {seen_file}"
    assert manifest["table_version"] == 0 and manifest["rows"] == 400 and manifest["features"] == FEATURES

    # The oracle: the same model trained from the table read with deltalake, at float32 like the contract's input.
    table = DeltaTable(str(folder / "train")).to_pandas()
    x = table[FEATURES].astype(np.float32).astype(np.float64)
    oracle = LogisticRegression(random_state=7).fit(x, table["y"])
    model = pickle.loads(artefact.read_bytes())
    np.testing.assert_allclose(model.coef_, oracle.coef_, rtol=1e-6)
    # The CSV handed over holds exactly these values: its digest is recorded.
    assert len(manifest["input_sha256"]) == 64

    # The artefact plugs into evaluation through a score_command, both as champion and challenger.
    scorer = f"{sys.executable} {folder / 'score.py'}"
    evaluated = run("evaluate", "--holdout", folder / "train", "--label", "y", "--champion", artefact,
                    "--champion-command", scorer, "--challenger", artefact, "--challenger-command", scorer,
                    "--problem", "classification", "--features", "a,b", "--metrics", "roc_auc", "--bootstrap", "0",
                    "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    from sklearn.metrics import roc_auc_score
    expected = roc_auc_score(table["y"], oracle.predict_proba(x)[:, 1])
    assert json.loads(evaluated.stdout)["overall"]["roc_auc"]["challenger"] == pytest.approx(expected, abs=1e-9)


def test_retraining_gives_the_same_artefact(training_table):
    folder = training_table
    config = trainer_config(folder, f"{sys.executable} {folder / 'train.py'} {folder / 'seen.json'}")
    digests = []
    for out in ("m1", "m2"):
        result = run("model", "train", folder / "train", "--trainer-config", config, "--out", folder / out, "--json")
        assert result.returncode == 0, result.stderr
        digests.append(json.loads(result.stdout)["artefact"]["sha256"])
    assert digests[0] == digests[1]


@pytest.mark.parametrize("command,message", [
    ("exit 3", "trainer command 'exit 3' failed (exit status 3)"),
    ("true", "trainer command 'true' exited 0 but did not write DRIFTGOV_TRAIN_OUTPUT"),
    ("touch \"$DRIFTGOV_TRAIN_OUTPUT\"", "wrote an empty DRIFTGOV_TRAIN_OUTPUT"),
])
def test_a_failing_trainer_is_refused_naming_the_command_and_stores_nothing(training_table, command, message):
    folder = training_table
    config = trainer_config(folder, command)
    result = run("model", "train", folder / "train", "--trainer-config", config, "--out", folder / "models")
    assert result.returncode == EXIT_INPUT
    assert message in result.stderr
    assert not (folder / "models").exists() or not any((folder / "models").iterdir())


@pytest.mark.parametrize("extra,message", [
    ("rounds: 5\n", "rounds: a setting of the built-in trainer"),
    ("problem: ranking\n", "problem: expected classification or regression, got 'ranking'"),
])
def test_trainer_settings_that_do_not_fit_an_external_trainer_are_refused(training_table, extra, message):
    folder = training_table
    config = trainer_config(folder, "true", extra)
    result = run("model", "train", folder / "train", "--trainer-config", config, "--out", folder / "models")
    assert result.returncode == EXIT_INPUT and message in result.stderr
