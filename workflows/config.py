"""Per-process configuration: every value domain.md marks [U] lives here with its default, never in a diagram.

Defaults are the ``DEFAULTS`` mapping (process key → name → value). Operators override any of them in a
JSON file of the same shape — ``SHEQUFLOW_PROCESS_CONFIG`` or ``instance/process-config.json`` — read at
start. BPMN scripts, conditions and timers read a value with ``cfg("registration.maxCorrections")``.

The configuration is shared by every case a worker runs, so what ``cfg`` returns is read-only: lists
become tuples, dicts ``MappingProxyType`` views and sets frozensets, all the way down, frozen once when
the configuration is loaded. A script that needs to change a value works on a copy
(``list(cfg("purchase.negativeListKeywords"))``, ``dict(cfg("purchase.responsePeriods"))``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from workflows.validators import ValidationProblem

CONFIG_FILE_ENV = "SHEQUFLOW_PROCESS_CONFIG"
DEFAULT_CONFIG_FILE = Path("instance") / "process-config.json"

# Extra defaults registered at run time (tests, plug-ins); the processes' own defaults live in
# ``workflows.processes.<process>.DEFAULTS``.
DEFAULTS: dict[str, dict[str, Any]] = {}


def register_defaults(process_key: str, values: dict[str, Any]) -> None:
    """Add (or extend) the defaults of one process; used by the modules that define them."""
    DEFAULTS.setdefault(process_key, {}).update(values)
    load_config.cache_clear()


def _override_file() -> Path | None:
    explicit = os.environ.get(CONFIG_FILE_ENV)
    if explicit:
        return Path(explicit)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def freeze(value: Any) -> Any:
    """A read-only deep copy: dict → MappingProxyType, list/tuple → tuple, set → frozenset."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(item) for item in value)
    return value


@lru_cache(maxsize=1)
def load_config() -> Mapping[str, Mapping[str, Any]]:
    """Defaults merged with the operator's overrides, frozen (see the module docstring)."""
    from workflows.processes import all_defaults

    merged = all_defaults()
    for key, values in DEFAULTS.items():
        merged.setdefault(key, {}).update(values)
    path = _override_file()
    if path is not None:
        overrides = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(overrides, dict):
            raise ValueError(f"{path}: the process configuration must be a JSON object")
        for key, values in overrides.items():
            if not isinstance(values, dict):
                raise ValueError(f"{path}: {key} must be an object of settings")
            merged.setdefault(key, {}).update(values)
    frozen: Mapping[str, Mapping[str, Any]] = freeze(merged)
    return frozen


def cfg(name: str) -> Any:
    """The value of ``process.setting`` (e.g. ``registration.maxCorrections``), read-only."""
    process, _, setting = str(name).partition(".")
    values = load_config().get(process, {})
    if setting not in values:
        raise ValidationProblem(f"未知的流程配置项：{name}", f"Unknown process setting: {name}")
    return values[setting]
