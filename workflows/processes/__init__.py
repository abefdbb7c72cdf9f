"""Per-process domain rules: one module per process with its configuration defaults and script functions.

Each module defines ``DEFAULTS`` (every [U] value of domain.md for that process, with its default and the
section it comes from) and ``FUNCTIONS`` (pure helpers its BPMN scripts and conditions call). They are
collected here so ``workflows.config`` and ``workflows.functions`` see all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.processes import mediation, purchase, registration

MODULES = {"registration": registration, "purchase": purchase, "mediation": mediation}


def all_defaults() -> dict[str, dict[str, Any]]:
    """Configuration defaults of every process, by process key."""
    return {key: dict(module.DEFAULTS) for key, module in MODULES.items()}


def all_functions() -> dict[str, Callable[..., Any]]:
    """Script functions of every process (names must be unique across processes)."""
    merged: dict[str, Callable[..., Any]] = {}
    for module in MODULES.values():
        clash = set(merged) & set(module.FUNCTIONS)
        if clash:
            raise ValueError(f"script function names defined twice: {sorted(clash)}")
        merged.update(module.FUNCTIONS)
    return merged
