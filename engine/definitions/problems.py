"""The :class:`Problem` a bundle check reports, and the helpers every check uses to build one.

Shared by the model checks (:mod:`engine.definitions.checks`, :mod:`engine.definitions.dmn`), the safe XML loader
(:mod:`engine.definitions.xmlsafe`) and the SpiffWorkflow adapter (:mod:`engine.definitions.spiff`): a finding points
at a file, a line and an element, with a Chinese message followed by its English gist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.errors import SandboxError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
_PREFIXES = {BPMN_NS: "bpmn:", SPIFF_NS: "spiffworkflow:", DMN_NS: "dmn:"}

Mode = Literal["exec", "eval"]
Severity = Literal["error", "warning"]
Label = tuple[str, str]  # what is being checked, in Chinese and in English


@dataclass(frozen=True)
class Problem:
    """One finding about one place in a bundle; prints as ``file:line: element: message``."""

    file: str
    line: int | None
    element: str | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        line = "-" if self.line is None else str(self.line)
        return f"{self.file or '-'}:{line}: {self.element or '-'}: {self.message}"


def shorten_names(text: str) -> str:
    """Write ``{namespace}local`` names in a text with their usual prefixes (``bpmn:userTask``)."""
    for ns, prefix in _PREFIXES.items():
        text = text.replace("{" + ns + "}", prefix)
    return text


def problem_at(file: str, at: Any, zh: str, en: str, severity: Severity = "error", *, owner: Any = None) -> Problem:
    """A problem at element ``at``'s line, naming ``owner`` (default ``at``) by id, else by tag."""
    owner = at if owner is None else owner
    element = owner.get("id") or shorten_names(owner.tag)
    return Problem(file, at.sourceline, element, f"{zh} ({en})", severity)


def check_source_at(
    file: str, line: int | None, element: str | None, source: str, mode: Mode, label: Label
) -> Problem | None:
    """Compile a script or expression through the sandbox; return a problem if it is refused."""
    from engine.sandbox.core import check_source  # lazy: loading a bundle module stays cheap

    try:
        check_source(source, mode, filename=file)
    except SandboxError as err:
        where = line + err.lineno - 1 if line is not None and err.lineno else line
        return Problem(
            file,
            where,
            element,
            f"{label[0]}未通过沙箱检查：{err.message_zh} ({label[1]} rejected: {err.message_en})",
        )
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return Problem(file, line, element, f"{label[0]}无法编译 ({label[1]} does not compile: {err})")
    return None


def as_list(problem: Problem | None) -> list[Problem]:
    """Return the problem as a one-item list, or an empty list for None."""
    return [] if problem is None else [problem]
