"""`driftgov deploy` and the CI examples (docs/deploy.md).

Oracles independent of driftgov: git itself (rev-parse, status), hashlib for the configuration's digest, deltalake
for the tables deploy creates and the registry rows, `cryptography` for the audit entries' signatures; the CI
examples are read with PyYAML and their steps run by bash, as a runner would run them.
"""
import hashlib
import json
import os
import re
import subprocess

import pyarrow as pa
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import DeltaTable, write_deltalake

from conftest import driftgov_binary
from governance_oracles import public_text, run, secret_text

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6


def git(folder, *args):
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def project(tmp_path, driftgov):
    """A project in a git repository: dev and prod targets, a service principal ci-deployer (admin and operator on
    both), a user alice (admin on both), and one inference-log monitor with a model id."""
    keys = {name: Ed25519PrivateKey.from_private_bytes(bytes([index + 11]) * 32)
            for index, name in enumerate(["ci-deployer", "alice"])}
    for lake in ("dev-lake", "prod-lake"):
        write_deltalake(str(tmp_path / lake / "sales"),
                        pa.table({"ts": pa.array([1_700_000_000_000_000, 1_700_090_000_000_000], pa.timestamp("us", "UTC")),
                                  "price": [1.0, 2.0], "model": ["a", "b"], "prediction": [0.1, 0.2]}))
    (tmp_path / "driftgov.yaml").write_text(f"""project: deploy-test
targets:
  dev: {{mode: development, lakehouse: ./dev-lake, default: true}}
  prod: {{mode: production, lakehouse: ./prod-lake}}
principals:
  ci-deployer:
    type: service_principal
    public_key: "{public_text(keys['ci-deployer'])}"
    roles: {{dev: [admin, operator, viewer], prod: [admin, operator, viewer]}}
  alice:
    type: user
    public_key: "{public_text(keys['alice'])}"
    roles: {{dev: [admin], prod: [admin]}}
monitors:
  sales:
    table: sales
    profile_type: inference_log
    timestamp_col: ts
    granularities: ["1 day"]
    model_id_col: model
    prediction_col: prediction
    problem_type: regression
""")
    (tmp_path / ".gitignore").write_text("dev-lake/\nprod-lake/\n*.key\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "config")
    env = {name: {"DRIFTGOV_PRINCIPAL": name, "DRIFTGOV_KEY": secret_text(key).strip()} for name, key in keys.items()}
    return tmp_path, keys, env


def deploy(folder, target, env, *extra):
    return run("deploy", "--config", folder / "driftgov.yaml", "--target", target, "--json", *extra, env=env)


def audit_entries(lake):
    table = DeltaTable(str(lake / "governance" / "audit_log")).to_pyarrow_table().to_pylist()
    return sorted(table, key=lambda row: row["seq"])


def test_deploy_creates_the_tables_registers_the_monitors_and_signs_an_audit_entry(project):
    folder, keys, env = project
    result = deploy(folder, "dev", env["ci-deployer"])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    config_sha = hashlib.sha256((folder / "driftgov.yaml").read_bytes()).hexdigest()
    assert report["config_sha256"] == config_sha
    assert report["git_commit"] == git(folder, "rev-parse", "HEAD")
    assert report["git_dirty"] is False
    monitoring = folder / "dev-lake" / "monitoring"
    expected_tables = [str(monitoring / f"sales_{name}") for name in ("profile_metrics", "drift_metrics", "breaches")]
    assert sorted(report["tables_created"]) == sorted(expected_tables)
    for table in expected_tables:
        delta = DeltaTable(table)
        assert delta.version() == 0
        assert delta.to_pyarrow_table().num_rows == 0
        assert "model" in delta.schema().to_arrow().names  # the model id column, as a refresh writes it
    registry = DeltaTable(str(folder / "dev-lake" / "governance" / "monitors")).to_pyarrow_table().to_pylist()
    assert [(r["monitor"], r["actor"], r["target"], r["mode"], r["config_sha256"], r["git_commit"], r["git_dirty"])
            for r in registry] == [("sales", "ci-deployer", "dev", "development", config_sha,
                                    report["git_commit"], False)]
    assert registry[0]["table"] == str(folder / "dev-lake" / "sales")
    assert re.fullmatch(r"[0-9a-f]{64}", registry[0]["config_hash"])
    [entry] = audit_entries(folder / "dev-lake")
    assert (entry["actor"], entry["action"], entry["target"], entry["subject"]) == ("ci-deployer", "deploy", "dev",
                                                                                     "deploy-test")
    details = json.loads(entry["details"])
    assert details["config_sha256"] == config_sha and details["deploy_id"] == report["deploy_id"]
    keys["ci-deployer"].public_key().verify(bytes.fromhex(entry["signature"]), entry["entry_hash"].encode())

    # The first refresh writes into the created tables; a second deploy creates nothing and registers again.
    refreshed = run("monitor", "run", "sales", "--config", folder / "driftgov.yaml", "--target", "dev",
                    env=env["ci-deployer"])
    assert refreshed.returncode == 0, refreshed.stderr
    assert DeltaTable(expected_tables[0]).to_pyarrow_table().num_rows > 0
    again = json.loads(deploy(folder, "dev", env["ci-deployer"]).stdout)
    assert again["tables_created"] == []
    assert len(DeltaTable(str(folder / "dev-lake" / "governance" / "monitors")).to_pyarrow_table()) == 2
    assert run("audit", "verify", "--config", folder / "driftgov.yaml", "--target", "dev").returncode == 0


def test_production_needs_a_service_principal_and_a_clean_committed_tree(project):
    folder, keys, env = project
    nobody = deploy(folder, "prod", {})
    assert nobody.returncode == EXIT_INPUT
    assert "production mode" in nobody.stderr and "service principal" in nobody.stderr
    person = deploy(folder, "prod", env["alice"])
    assert person.returncode == EXIT_ACCESS_DENIED
    assert "principal 'alice' is a user; deploying to production target 'prod' needs a service principal" in person.stderr

    (folder / "driftgov.yaml").write_text((folder / "driftgov.yaml").read_text() + "# edited\n")
    (folder / "notes.txt").write_text("x")
    dirty = deploy(folder, "prod", env["ci-deployer"])
    assert dirty.returncode == EXIT_INPUT
    changed = git(folder, "status", "--porcelain").splitlines()
    assert f"has uncommitted changes ({len(changed)} paths" in dirty.stderr
    assert all(line in dirty.stderr for line in changed)
    assert not (folder / "prod-lake" / "governance").exists()
    assert not (folder / "prod-lake" / "monitoring").exists()

    # A development target records the dirty tree instead of refusing it.
    dev = json.loads(deploy(folder, "dev", env["ci-deployer"]).stdout)
    assert dev["git_dirty"] is True

    git(folder, "checkout", "driftgov.yaml")
    os.remove(folder / "notes.txt")
    clean = deploy(folder, "prod", env["ci-deployer"])
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["git_commit"] == git(folder, "rev-parse", "HEAD")


def test_production_refuses_a_configuration_outside_git(project):
    folder, keys, env = project
    subprocess.run(["rm", "-rf", str(folder / ".git")], check=True)
    result = deploy(folder, "prod", env["ci-deployer"])
    assert result.returncode == EXIT_INPUT
    assert "is not in a git work tree with a commit" in result.stderr
    assert not (folder / "prod-lake" / "governance").exists()


def test_a_configuration_with_a_missing_table_deploys_nothing(project):
    folder, keys, env = project
    text = (folder / "driftgov.yaml").read_text().replace("table: sales", "table: nowhere")
    (folder / "driftgov.yaml").write_text(text)
    result = deploy(folder, "dev", env["ci-deployer"])
    assert result.returncode == EXIT_INPUT
    assert "driftgov.yaml:" in result.stderr and "nowhere" in result.stderr
    assert "nothing was deployed" in result.stderr
    assert not (folder / "dev-lake" / "monitoring").exists()


def secrets_substituted(text, secrets):
    """A runner's substitution of what the examples use: ${{ secrets.X }} / ${{ vars.X }} (GitHub) and $(X)
    macros (Azure)."""
    text = re.sub(r"\$\{\{\s*(?:secrets|vars)\.(\w+)\s*\}\}", lambda m: secrets[m.group(1)], text)
    return re.sub(r"\$\((\w+)\)", lambda m: secrets[m.group(1)], text)


def run_steps(folder, steps, env, secrets):
    ran = []
    for name, script, step_env in steps:
        if name == "Install driftgov":  # driftgov is on PATH already: the build under test
            continue
        environment = dict(os.environ)
        environment = {k: v for k, v in environment.items() if not k.startswith("DRIFTGOV_")}
        environment["PATH"] = f"{driftgov_binary().parent}:{environment['PATH']}"
        environment.update({k: secrets_substituted(str(v), secrets) for k, v in {**env, **step_env}.items()})
        result = subprocess.run(["bash", "-e", "-c", secrets_substituted(script, secrets)], cwd=folder,
                                capture_output=True, text=True, timeout=600, env=environment)
        assert result.returncode == 0, f"step {name!r} failed:\n{result.stdout}\n{result.stderr}"
        ran.append(name)
    return ran


def check_deployed(folder, target, keys):
    [entry] = [e for e in audit_entries(folder / f"{target}-lake") if e["action"] == "deploy"]
    assert entry["actor"] == "ci-deployer"
    assert json.loads(entry["details"])["git_commit"] == git(folder, "rev-parse", "HEAD")
    keys["ci-deployer"].public_key().verify(bytes.fromhex(entry["signature"]), entry["entry_hash"].encode())


def test_the_github_actions_example_runs_its_steps_locally(project):
    folder, keys, env = project
    workflow = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "github-actions.yml")))
    jobs = workflow["jobs"]
    assert jobs["prod"]["needs"] == "dev" and jobs["prod"]["environment"] == "production"  # the approval gate
    secrets = {"DRIFTGOV_CI_KEY": env["ci-deployer"]["DRIFTGOV_KEY"], "DRIFTGOV_REPO": "unused"}
    ran = []
    for job in ("dev", "prod"):
        steps = [(step["name"], step["run"], step.get("env", {})) for step in jobs[job]["steps"] if "run" in step]
        ran += run_steps(folder, steps, {**workflow["env"], **jobs[job]["env"]}, secrets)
    assert ran == ["Validate", "Deploy to dev", "Test on dev", "Validate", "Deploy to prod", "Verify the prod audit log"]
    check_deployed(folder, "dev", keys)
    check_deployed(folder, "prod", keys)
    assert DeltaTable(str(folder / "dev-lake" / "monitoring" / "sales_profile_metrics")).to_pyarrow_table().num_rows > 0


def test_the_azure_pipelines_example_runs_its_steps_locally(project):
    folder, keys, env = project
    pipeline = yaml.safe_load(open(os.path.join(ROOT, "examples", "ci", "azure-pipelines.yml")))
    variables = {v["name"]: v["value"] for v in pipeline["variables"] if "name" in v}
    dev_stage, prod_stage = pipeline["stages"]
    assert prod_stage["dependsOn"] == "Dev"
    prod_job = prod_stage["jobs"][0]
    assert prod_job["environment"] == "production"  # approvals are checks on this environment
    secrets = {"DRIFTGOV_CI_KEY": env["ci-deployer"]["DRIFTGOV_KEY"], "DRIFTGOV_REPO": "unused",
               "Agent.TempDirectory": "/unused"}
    stage_steps = [dev_stage["jobs"][0]["steps"], prod_job["strategy"]["runOnce"]["deploy"]["steps"]]
    ran = []
    for steps in stage_steps:
        ran += run_steps(folder, [(s["displayName"], s["script"], s.get("env", {})) for s in steps if "script" in s],
                         variables, secrets)
    assert ran == ["Validate", "Deploy to dev", "Test on dev", "Validate", "Deploy to prod", "Verify the prod audit log"]
    check_deployed(folder, "dev", keys)
    check_deployed(folder, "prod", keys)
