"""Errors raised by the engine layer.

Every error carries a Chinese message (shown first to users) and an English one, plus a stable
``code`` that the web layer maps to an HTTP status in one place. Nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class: a user-facing error with a Chinese and an English message."""

    code = "engine_error"

    def __init__(self, message_zh: str, message_en: str | None = None, **details: Any) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.details = details

    def __str__(self) -> str:
        if self.message_en and self.message_en != self.message_zh:
            return f"{self.message_zh} ({self.message_en})"
        return self.message_zh

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-safe dict for APIs and the CLI."""
        return {"code": self.code, "message": self.message_zh, "message_en": self.message_en, **self.details}


class InternalError(EngineError):
    """A defect inside the engine (never the caller's input): rolled back, logged with its traceback."""

    code = "internal_error"


class NotFoundError(EngineError):
    """The thing does not exist, or the actor may not know that it exists."""

    code = "not_found"


class PermissionDeniedError(EngineError):
    """The actor is known but holds no grant for this operation."""

    code = "forbidden"


class ConflictError(EngineError):
    """Someone else changed the instance first (optimistic lock lost, task already done)."""

    code = "conflict"


class DeadlinePassedError(ConflictError):
    """A deadline fell due before the caller's action: its timer fired first and the action was refused."""

    code = "deadline_passed"


class InvalidStateError(EngineError):
    """The operation does not fit the instance's or task's current state."""

    code = "invalid_state"


class InputError(EngineError):
    """The caller's input is malformed (form data, arguments)."""

    code = "invalid_input"


class SandboxError(EngineError):
    """A script or expression was rejected by, or failed inside, the sandbox."""

    code = "sandbox"

    def __init__(
        self, message_zh: str, message_en: str | None = None, lineno: int | None = None, **details: Any
    ) -> None:
        super().__init__(message_zh, message_en, lineno=lineno, **details)
        self.lineno = lineno


class BundleError(EngineError):
    """A process bundle failed validation; ``problems`` lists every finding."""

    code = "invalid_bundle"

    def __init__(self, problems: list[Any]) -> None:
        first = problems[0] if problems else None
        super().__init__(
            f"流程包校验失败，共 {len(problems)} 个问题：{first}",
            f"Bundle validation failed with {len(problems)} problem(s): {first}",
        )
        self.problems = problems


class MessageNotDeliverableError(EngineError):
    """No waiting instance and no message start event for a message."""

    code = "message_not_deliverable"
