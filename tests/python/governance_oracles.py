"""Helpers of the governance tests: the CLI and the test tools run with a clean DRIFTGOV_* environment, and Ed25519
keys (from Python's `cryptography`) written in driftgov's text forms (docs/governance.md, "Keys")."""
import base64
import os
import subprocess

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conftest import driftgov_binary, tool_binary


def run(*args, env=None, tool=None):
    """driftgov (or the test tool `tool`) with `args`; the caller's DRIFTGOV_* variables are dropped, `env` added."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTGOV_")}
    environment.update(env or {})
    binary = tool_binary(tool) if tool else driftgov_binary()
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, env=environment, timeout=300)


def secret_text(private_key):
    """A key file's text: the 32-byte seed in base64."""
    return "ed25519-secret:" + base64.b64encode(private_key.private_bytes_raw()).decode() + "\n"


def public_text(private_key):
    """The `public_key:` text of driftgov.yaml."""
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()
