"""driftgov.monitor.run (docs/python.md) against the CLI: the same configuration refreshed by the package on target
`dev` and by `driftgov monitor run` on target `full` gives the same summary and the same metric and breach tables,
read back with deltalake."""
import datetime

import numpy as np
import pytest
from deltalake import write_deltalake

from conftest import run_driftgov
from monitor_oracles import (DRIFT_KEY, PROFILE_KEY, UTC, assert_rows_equal, baseline_of, output_table, random_log,
                             read_rows, run_monitor, write_config)
from python_package import driftgov

import driftgov.monitor  # noqa: E402,F401

BREACH = "    breach: [{metric: population_stability_index, op: \">=\", value: 0.1}]\n"
# Fields of a summary that differ between two refreshes of the same data.
PER_REFRESH = {"refresh_id", "seconds", "telemetry"}


@pytest.fixture()
def config(tmp_path):
    rng = np.random.default_rng(21)
    start = datetime.datetime(2024, 3, 4, tzinfo=UTC)
    stamps = [None if i % 50 == 0 else start + datetime.timedelta(seconds=int(rng.integers(0, 5 * 86400)))
              for i in range(400)]
    write_deltalake(str(tmp_path / "log"), random_log(rng, stamps))
    write_deltalake(str(tmp_path / "train"), baseline_of(random_log(rng, [None] * 300, regions=("north", "west"))))
    return write_config(tmp_path, tmp_path / "log", tmp_path / "train", ["1 day", "1 week"], ["region"], extra=BREACH)


def test_run_writes_the_tables_of_the_cli(tmp_path, config):
    summary = driftgov.monitor.run(config, "m")
    cli = run_monitor(config, "--target", "full")
    assert summary["state"] == "SUCCESS" and summary["full_refresh"] and summary["rows_read"] == 400
    assert summary["breaches"], "the configuration's rule should fire on the shifted regions"
    assert {key: value for key, value in summary.items() if key not in PER_REFRESH} == {
        key: value for key, value in cli.items() if key not in PER_REFRESH | {"incidents"}}
    for name, key in (("profile_metrics", PROFILE_KEY), ("drift_metrics", DRIFT_KEY), ("breaches", ("breach_id",))):
        python_rows = read_rows(output_table(tmp_path, name))
        assert python_rows, name
        assert_rows_equal(python_rows, read_rows(output_table(tmp_path, name, "lake_full")), key, name)

    again = driftgov.monitor.run(str(config), "m")
    assert again["state"] == "UP_TO_DATE" and again["table_version_to"] == 0
    full = driftgov.monitor.run(config, "m", target="dev", full=True)
    assert full["state"] == "SUCCESS" and full["full_refresh"]


def test_errors_carry_the_cli_messages(tmp_path, config):
    with pytest.raises(driftgov.InputError) as raised:
        driftgov.monitor.run(config, "nope")
    cli = run_driftgov("monitor", "run", "nope", "--config", config, check=False)
    assert cli.returncode != 0 and str(raised.value) in cli.stderr
    with pytest.raises(driftgov.InputError) as raised:
        driftgov.monitor.run(config, "m", target="staging")
    cli = run_driftgov("monitor", "run", "m", "--config", config, "--target", "staging", check=False)
    assert str(raised.value) in cli.stderr
    with pytest.raises(driftgov.InputError, match="missing.yaml"):
        driftgov.monitor.run(tmp_path / "missing.yaml", "m")


def test_a_configuration_with_principals_is_refused_naming_the_cli_way(tmp_path, config):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from governance_oracles import public_text

    key = public_text(Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32))
    text = config.read_text().replace(
        "monitors:", f"principals:\n  ops: {{type: user, public_key: \"{key}\", roles: {{dev: [operator]}}}}\nmonitors:")
    governed = tmp_path / "governed.yaml"
    governed.write_text(text)
    with pytest.raises(driftgov.InputError, match="declares principals.*--as NAME"):
        driftgov.monitor.run(governed, "m")
    assert not output_table(tmp_path, "profile_metrics").exists()


def test_a_configuration_with_lineage_is_refused(tmp_path, config):
    lineage = tmp_path / "lineage.yaml"
    lineage.write_text(config.read_text().replace("monitors:", "lineage: {file: events.jsonl}\nmonitors:"))
    with pytest.raises(driftgov.InputError, match="declares lineage"):
        driftgov.monitor.run(lineage, "m")
    assert not output_table(tmp_path, "profile_metrics").exists()
