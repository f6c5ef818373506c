"""Issue 14's authorisation matrix (docs/governance.md, "Roles", "Authorisation matrix"): every governance command
that checks a role, on every target, run as a principal holding each single role on each target (and one holding
none). Every principal lacking the role on that target is refused with exit 6 and the documented message, and the
project's files are byte for byte what they were; the principal holding it is not refused.

The list of commands is checked against the sources: every `Role::k...` use and `check_reader` call under src/cli
must belong to a command of the matrix, so a new command that checks a role fails here until it is added.

Then bad input of the signing commands that other tests do not cover: a key file others may read, a DRIFTGOV_KEY
that is not the principal's, both key variables, an unknown principal (with a did-you-mean), a rejection of an
expired request. Each exits 2 with its message and changes nothing.
"""
import datetime
import json
import re
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from deltalake import write_deltalake

from approval_chain import Project
from conftest import ROOT
from governance_oracles import public_text, run, secret_text

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_ACCESS_DENIED = 6

TARGETS = {"dev": "development", "staging": "development", "prod": "production"}
ROLES = ("viewer", "operator", "steward", "trainer", "approver", "admin")
# One principal per (role, target) holding only that role there, and one holding nothing anywhere. All are service
# principals (`audit checkpoint` and a production `deploy` need one); `admin-user` is the user case of deploy.
HOLDERS = {f"{role}-{target}": (role, target) for role in ROLES for target in TARGETS}
PRINCIPALS = {**HOLDERS, "nobody": None, "admin-user": ("admin", "prod")}


@dataclass
class Command:
    """A governance command: its arguments (`{folder}` is the project folder), the role it needs, the functions of
    src/cli that check it, and what the holder of the role gets on each target: (exit code, text in the output)."""
    name: str
    argv: list
    role: str
    sources: list
    allowed: dict = field(default_factory=dict)  # target -> (code, text); default (0, "")

    def outcome(self, target):
        return self.allowed.get(target, (EXIT_OK, ""))


def everywhere(code, text):
    return {target: (code, text) for target in TARGETS}


NO_INCIDENT = everywhere(EXIT_INPUT, "no incident 'INC-404'")


def registry(text):
    """The registry lives in the production target: a development target is refused after the role check."""
    development = (EXIT_INPUT, "is a development target; the registry lives in a production target's lakehouse")
    return {"dev": development, "staging": development, "prod": (EXIT_INPUT, text)}

COMMANDS = [
    Command("monitor run", ["monitor", "run", "sales"], "operator", [("monitor_command.cpp", "run_refresh")]),
    Command("audit verify", ["audit", "verify"], "viewer", [("governance_command.cpp", "run_verify")]),
    Command("audit log", ["audit", "log"], "viewer", [("governance_command.cpp", "run_log")]),
    Command("audit checkpoint", ["audit", "checkpoint"], "operator", [("governance_command.cpp", "run_checkpoint")]),
    Command("incident list", ["incident", "list"], "viewer", [("incident_command.cpp", "run_list")]),
    Command("incident show", ["incident", "show", "INC-404"], "viewer", [("incident_command.cpp", "run_show")],
            NO_INCIDENT),
    Command("incident verify", ["incident", "verify"], "viewer", [("incident_command.cpp", "run_verify")]),
    Command("incident close", ["incident", "close", "INC-404", "--reason", "done"], "steward",
            [("incident_command.cpp", "run_close")], NO_INCIDENT),
    Command("incident stage", ["incident", "stage", "INC-404"], "steward", [("remediation_command.cpp", "run_stage")],
            NO_INCIDENT),
    Command("model train", ["model", "train", "{folder}/train.csv", "--trainer-config", "{folder}/train.json", "--out",
                            "{folder}/models"], "trainer", [("model_command.cpp", "run_train")]),
    Command("evaluate", ["evaluate", "--holdout", "{folder}/train.csv", "--label", "y", "--champion",
                         "{folder}/missing.json", "--challenger", "{folder}/missing.json", "--bootstrap", "0"],
            "trainer", [("model_command.cpp", "run_evaluate")], everywhere(EXIT_INPUT, "missing.json")),
    Command("approval request", ["approval", "request", "INC-404", "--evaluation", "{folder}/missing.eval.json",
                                 "--model", "{folder}/missing.json"], "trainer",
            [("approval_command.cpp", "run_request")], everywhere(EXIT_INPUT, "missing.eval.json")),
    Command("approval request --rollback", ["approval", "request", "--rollback", "churn", "--to", "1"], "operator",
            [("approval_command.cpp", "run_request")], everywhere(EXIT_INPUT, "churn")),
    Command("approval approve", ["approval", "approve", "APR-404"], "approver", [("approval_command.cpp", "run_decide")],
            everywhere(EXIT_INPUT, "APR-404")),
    Command("approval reject", ["approval", "reject", "APR-404"], "approver", [("approval_command.cpp", "run_decide")],
            everywhere(EXIT_INPUT, "APR-404")),
    Command("approval list", ["approval", "list"], "viewer", [("approval_command.cpp", "run_list")]),
    Command("model promote", ["model", "promote", "INC-404", "--model", "churn"], "operator",
            [("registry_command.cpp", "run_promote")], registry("INC-404")),
    Command("model rollback", ["model", "rollback", "--model", "churn", "--to", "1"], "operator",
            [("registry_command.cpp", "run_rollback")], registry("churn")),
    Command("model register", ["model", "register", "{folder}/missing.json", "--model", "churn", "--reason",
                               "in service"], "admin", [("registry_command.cpp", "run_register")], registry("missing.json")),
    Command("model remove-alias", ["model", "remove-alias", "--model", "churn", "--alias", "champion", "--reason",
                                   "r"], "operator", [("registry_command.cpp", "run_remove_alias")], registry("churn")),
    Command("model mirror", ["model", "mirror"], "operator", [("registry_command.cpp", "run_mirror")],
            everywhere(EXIT_INPUT, "configures no mirror")),
    Command("model list", ["model", "list"], "viewer", [("registry_command.cpp", "run_list")]),
    Command("model show", ["model", "show", "churn"], "viewer", [("registry_command.cpp", "run_show")],
            everywhere(EXIT_INPUT, "churn")),
    Command("deploy", ["deploy"], "admin", [("deploy_command.cpp", "run_deploy")],
            {"prod": (EXIT_INPUT, "is not in a git work tree")}),
    Command("governance view", ["governance", "view"], "viewer", [("governance_view_command.cpp", "run_view")]),
    Command("governance view --format delta", ["governance", "view", "--format", "delta"], "operator",
            [("governance_view_command.cpp", "run_view")], everywhere(EXIT_OK, "governance/governed_view (version")),
]
# check_reader (governance_command.cpp) is the helper the viewer commands call: its own `Role::kViewer`.
HELPERS = {("governance_command.cpp", "check_reader", "viewer")}


# ---- the matrix against the sources ----

FUNCTION = re.compile(r"^(?!namespace\b|using\b|struct\b|class\b|return\b)[A-Za-z_][\w:<>,\s*&]*?[\s*&]([\w:]+)\(")
ROLE_USE = re.compile(r"Role::k(\w+)")


def role_checks_in_sources():
    """(file, enclosing function, role) of every `Role::k...` and every `check_reader(` call under src/cli."""
    found = set()
    for source in sorted((ROOT / "src" / "cli").glob("*.cpp")):
        function = None
        for line in source.read_text().splitlines():
            match = FUNCTION.match(line)
            if match and not line.rstrip().endswith(";"):
                function = match.group(1).split("::")[-1]
            if line.lstrip().startswith("//"):
                continue
            for role in ROLE_USE.findall(line):
                found.add((source.name, function, role.lower()))
            if re.search(r"\bcheck_reader\(config\b", line):
                found.add((source.name, function, "viewer"))
    return found


def test_every_role_check_in_the_sources_is_a_command_of_the_matrix():
    declared = {(file, function, command.role) for command in COMMANDS for file, function in command.sources}
    found = role_checks_in_sources()
    assert found, "no role check found under src/cli: the parser no longer fits the sources"
    assert found - HELPERS == declared, (
        f"role checks in src/cli but not in the matrix: {sorted(found - HELPERS - declared)}; "
        f"in the matrix but not in src/cli: {sorted(declared - found)}")


# ---- the project ----

def key_of(name):
    index = sorted(PRINCIPALS).index(name)
    return Ed25519PrivateKey.from_private_bytes(bytes([index + 3]) * 32)


def write_config(folder):
    principals = ""
    for name, held in PRINCIPALS.items():
        kind = "user" if name == "admin-user" else "service_principal"
        roles = f"{{{held[1]}: [{held[0]}]}}" if held else "{}"
        principals += f"""  {name}:
    type: {kind}
    public_key: "{public_text(key_of(name))}"
    roles: {roles}
"""
    targets = "".join(f"  {name}: {{mode: {mode}, lakehouse: ./{name}{', default: true' if name == 'dev' else ''}}}\n"
                      for name, mode in TARGETS.items())
    (folder / "driftgov.yaml").write_text(f"""project: matrix
targets:
{targets}principals:
{principals}monitors:
  sales:
    table: sales
    profile_type: time_series
    timestamp_col: ts
    granularities: ["1 day"]
    breach:
      - {{metric: count, op: ">=", value: 1}}
""")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Built once per module (per xdist worker): the configuration, a small sales table in each target's lakehouse
    and a small training set."""
    folder = tmp_path_factory.mktemp("matrix")
    stamps = [datetime.datetime(2026, 3, day, 12, tzinfo=datetime.timezone.utc) for day in (1, 2)]
    for target in TARGETS:
        write_deltalake(str(folder / target / "sales"),
                        pa.table({"ts": pa.array(stamps, pa.timestamp("us", tz="UTC")), "price": [1.0, 2.0]}))
    rows = ["a,b,y"] + [f"{i % 7},{(i * 3) % 5},{int(i % 7 + (i * 3) % 5 > 5)}" for i in range(60)]
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    (folder / "train.json").write_text(json.dumps({"trainer": "xgboost", "label": "y", "features": ["a", "b"],
                                                   "rounds": 2, "seed": 1, "params": {"max_depth": 2}}))
    write_config(folder)
    return folder


def snapshot(folder):
    """Every file's bytes and every folder under `folder`, lock files left out."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith(".lock"):
            continue
        state[str(path.relative_to(folder))] = None if path.is_dir() else path.read_bytes()
    return state


def key_env(name, **extra):
    return {"DRIFTGOV_KEY": secret_text(key_of(name)), **extra}


def governed(folder, command, target, name, env=None, argv=None):
    argv = [part.replace("{folder}", str(folder)) for part in (argv or command.argv)]
    return run(*argv, "--config", folder / "driftgov.yaml", "--target", target, "--as", name,
               env=key_env(name) if env is None else env)


def holds(name, role, target):
    return PRINCIPALS[name] == (role, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_principal_without_the_role_is_refused_and_the_holder_is_not(project, command, target):
    before = snapshot(project)
    refused = [name for name in PRINCIPALS if not holds(name, command.role, target)]
    # Only `{role}-{target}` holds it (and `admin-user` holds admin on prod: its refusal as a user is tested below).
    assert len(refused) == len(PRINCIPALS) - 1 - (command.role == "admin" and target == "prod")
    for name in refused:
        result = governed(project, command, target, name)
        assert (result.returncode, result.stderr) == (
            EXIT_ACCESS_DENIED, f"driftgov: refused: principal '{name}' needs role '{command.role}' on target "
                                f"'{target}'\n"), f"{command.name} --target {target} --as {name}: {result.stdout}"
        assert result.stdout == ""
    assert snapshot(project) == before, f"a refused {command.name} changed the project's files"

    holder = f"{command.role}-{target}"
    result = governed(project, command, target, holder)
    code, text = command.outcome(target)
    assert result.returncode != EXIT_ACCESS_DENIED and "refused" not in result.stderr, result.stderr
    assert result.returncode == code, result.stdout + result.stderr
    assert text in result.stdout + result.stderr


def test_a_role_named_without_principal_is_read_from_the_environment_too(project):
    """DRIFTGOV_PRINCIPAL names the acting principal as --as does: refused the same way."""
    result = run("audit", "log", "--config", project / "driftgov.yaml", "--target", "prod",
                 env={"DRIFTGOV_PRINCIPAL": "viewer-dev"})
    assert (result.returncode, result.stderr) == (
        EXIT_ACCESS_DENIED, "driftgov: refused: principal 'viewer-dev' needs role 'viewer' on target 'prod'\n")
    assert run("audit", "log", "--config", project / "driftgov.yaml", "--target", "prod",
               env={"DRIFTGOV_PRINCIPAL": "viewer-prod"}).returncode == EXIT_OK


def test_deploying_to_production_as_a_user_admin_is_refused(project):
    """`admin-user` holds admin on prod but is a user: production needs a service principal (docs/deploy.md)."""
    deploy = next(c for c in COMMANDS if c.name == "deploy")
    before = snapshot(project)
    result = governed(project, deploy, "prod", "admin-user")
    assert (result.returncode, result.stderr) == (
        EXIT_ACCESS_DENIED, "driftgov: refused: principal 'admin-user' is a user; deploying to production target "
                            "'prod' needs a service principal\n")
    assert snapshot(project) == before


# ---- bad input: keys, principals, an expired request ----

SIGNING = [c for c in COMMANDS if c.role != "viewer"]  # the commands that load the acting principal's key


def refused_as_input(project, result, message, what):
    """Exit 2 with exactly `message` on stderr, nothing on stdout."""
    assert (result.returncode, result.stderr) == (EXIT_INPUT, f"driftgov: error: {message}\n"), \
        f"{what}: {result.stdout}"
    assert result.stdout == ""


@pytest.mark.parametrize("command", SIGNING, ids=[c.name for c in SIGNING])
def test_a_bad_key_is_refused_before_anything_is_written(project, command, tmp_path):
    """The holder of the role on dev, with a key that cannot be used: every case is bad input (exit 2) naming what is
    wrong, and the project's files are unchanged."""
    holder = f"{command.role}-dev"
    before = snapshot(project)
    # A key file others may read (not the group: test_governance.py covers 0644), then one only the group may read.
    key_file = tmp_path / f"{holder}.key"
    key_file.write_text(secret_text(key_of(holder)))
    for mode in (0o604, 0o640):
        key_file.chmod(mode)
        result = governed(project, command, "dev", holder, env={"DRIFTGOV_KEY_FILE": str(key_file)})
        refused_as_input(project, result, f"{key_file}: the key file has mode {mode:04o}, readable by group or others; "
                                          f"a secret key must be readable by its owner only: run chmod 600 {key_file}",
                         command.name)
    # DRIFTGOV_KEY holding another principal's key: both public keys are named, the secret never.
    other = "nobody"
    result = governed(project, command, "dev", holder, env=key_env(other))
    refused_as_input(project, result, f"DRIFTGOV_KEY: the key's public half {public_text(key_of(other))} is not "
                                      f"principal '{holder}''s configured public_key {public_text(key_of(holder))}",
                     command.name)
    assert secret_text(key_of(other)).strip().split(":")[1] not in result.stderr
    # Both variables set, and none.
    key_file.chmod(0o600)
    result = governed(project, command, "dev", holder, env=key_env(holder, DRIFTGOV_KEY_FILE=str(key_file)))
    refused_as_input(project, result, f"principal '{holder}': both DRIFTGOV_KEY_FILE and DRIFTGOV_KEY are set; set one",
                     command.name)
    result = governed(project, command, "dev", holder, env={})
    refused_as_input(project, result, f"principal '{holder}': no key given; set DRIFTGOV_KEY_FILE to its key file "
                                      "(written by `driftgov principal keygen`) or DRIFTGOV_KEY to the key text",
                     command.name)
    assert snapshot(project) == before


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_an_unknown_principal_is_bad_input_with_a_did_you_mean(project, command):
    """A misspelt principal: exit 2 naming it, the closest name and every principal; nothing changed."""
    before = snapshot(project)
    holder = f"{command.role}-prod"
    misspelt = holder.replace("prod", "prdo")
    result = governed(project, command, "prod", misspelt, env=key_env(holder))
    refused_as_input(project, result, f"no principal '{misspelt}' in the configuration (did you mean '{holder}'?); "
                                      f"principals: {', '.join(sorted(PRINCIPALS))}", command.name)
    assert snapshot(project) == before


def test_rejecting_an_expired_request_is_refused_naming_its_expiry(tmp_path, driftgov):
    """test_approvals.py covers approving an expired request; rejecting one is refused the same way, and changes
    nothing: a request past its expiry can no longer be decided either way."""
    chain = Project(tmp_path)
    incident = chain.open_incident()
    artefact, record = chain.evaluated(incident)
    chain.ok("approval", "request", incident, "--evaluation", record, "--model", artefact, "--expires", "1s",
             as_="tom")
    expires = chain.approval_rows()[0]["expires"]
    time.sleep(max(0.0, expires.timestamp() + 0.2 - time.time()))
    before = snapshot(chain.lake)
    late = chain.run("approval", "reject", incident, "--comment", "too late", as_="ann")
    assert (late.returncode, late.stderr) == (
        EXIT_INPUT, f"driftgov: error: approval request APR-1 expired at {expires.strftime('%Y-%m-%dT%H:%M:%S')}Z; "
                    "request approval again (nothing was recorded)\n")
    assert snapshot(chain.lake) == before
    assert chain.incident_state(incident) == "awaiting_approval"


UNNAMED = {  # what a signing command says when no acting principal is named, on target prod
    "monitor run": "monitor run: the configuration declares principals, so a refresh is signed: name the acting "
                   "principal (role operator on target 'prod') with --as NAME or DRIFTGOV_PRINCIPAL",
    "audit checkpoint": "audit checkpoint: name the signing service principal (role operator on target 'prod') with "
                        "--as NAME or DRIFTGOV_PRINCIPAL",
    "deploy": "deploy: target 'prod' is in production mode: name the acting principal (role admin, a service "
              "principal) with --as NAME or DRIFTGOV_PRINCIPAL",
}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_without_an_acting_principal_a_signed_action_is_bad_input_and_a_read_is_allowed(project, command):
    """No --as and no DRIFTGOV_PRINCIPAL: reading needs no principal, nor do training and evaluation (unsigned then);
    every other command signs what it writes, so it is bad input (exit 2) naming the role and target, and nothing
    changes."""
    before = snapshot(project)
    argv = [part.replace("{folder}", str(project)) for part in command.argv]
    result = run(*argv, "--config", project / "driftgov.yaml", "--target", "prod", env={})
    if command.role in ("viewer", "trainer") and command.name != "approval request":
        assert result.returncode != EXIT_ACCESS_DENIED and "refused" not in result.stderr, result.stderr
        return
    verb = command.name.split(" --")[0]
    message = UNNAMED.get(command.name, f"{verb}: name the acting principal (role {command.role} on target 'prod') "
                                       "with --as NAME or DRIFTGOV_PRINCIPAL")
    refused_as_input(project, result, message, command.name)
    assert snapshot(project) == before
