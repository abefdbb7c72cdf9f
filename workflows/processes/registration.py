"""Domain rules of the registration process (see ../shared/domain.md): configuration defaults and script functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Every [U] value of domain.md for this process: name → default (comment: the domain.md section).
DEFAULTS: dict[str, Any] = {}

# Pure functions the process's BPMN scripts and conditions may call, by name.
FUNCTIONS: dict[str, Callable[..., Any]] = {}
