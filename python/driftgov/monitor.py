"""driftgov.monitor: refreshing the monitors of a configuration file (docs/monitoring.md) from Python."""
from __future__ import annotations

import json
import os
from typing import Mapping, Optional, Union

from . import _core

__all__ = ["run"]


def run(config: Union[str, os.PathLike], name: str, target: Optional[str] = None, full: bool = False, *,
        variables: Optional[Mapping[str, str]] = None, wait: float = 0.0) -> dict:
    """Refreshes monitor `name` of the configuration file `config`, as ``driftgov monitor run NAME`` does, and
    returns its summary: the object ``driftgov monitor run NAME --json`` prints for the monitor (``state``,
    ``table_version_from``/``table_version_to``, ``rows_read``, ``windows_touched``, ``breaches``, ...).

    ``target`` is ``--target`` (default: the configuration's default target), ``full`` is ``--full`` (recompute
    every window), ``variables`` the ``--var NAME=VALUE`` assignments, ``wait`` is ``--wait`` (seconds to wait for
    a running refresh of the same monitor). The GIL is released while refreshing. Raises InputError (a ValueError)
    for a configuration or table that does not fit, naming the file and field, when another refresh holds the
    monitor, and for a configuration with principals (their refreshes are signed: use the CLI's ``--as``);
    StorageError (an OSError) when the storage fails.
    """
    text = _core._run_monitor(os.fspath(config), name, target or "", dict(variables or {}), bool(full), float(wait))
    return json.loads(text)
