"""Lint of JSON Schema form files: the Draft 2020-12 meta-schema, and every pattern against RE2.

A form file is checked as jsonschema's ``check_schema`` would, and each ``pattern`` and
``patternProperties`` key must compile with RE2 (:mod:`engine.definitions.patterns`), because form data
is matched against them in linear time only. Findings name the file and the JSON path of the keyword
(``$.properties.proposedName.pattern``); JSON files carry no line numbers once parsed.
"""

from __future__ import annotations

from typing import Any

from engine.definitions.patterns import pattern_problems
from engine.definitions.problems import Problem

MAX_SCHEMA_ERRORS = 20


def check_json_schema(name: str, doc: Any) -> list[Problem]:
    """Check a form file against the Draft 2020-12 meta-schema, and every pattern against RE2."""
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    try:
        errors = sorted(meta.iter_errors(doc), key=lambda e: e.json_path)
        refused = pattern_problems(doc)
    except RecursionError:
        return [Problem(name, None, None, "表单 JSON Schema 嵌套过深 (form schema nested too deeply)")]
    problems = [
        Problem(
            name,
            None,
            err.json_path,
            f"不是有效的 JSON Schema (Draft 2020-12)：{err.message} (invalid JSON Schema)",
        )
        for err in errors[:MAX_SCHEMA_ERRORS]
    ]
    problems += [
        Problem(
            name,
            None,
            path,
            f"正则表达式“{pattern}”无法用 RE2 编译，已拒绝（表单只允许线性时间匹配，不支持反向引用和环视）：{reason} "
            f"(pattern refused: RE2 cannot compile it; form patterns must match in linear time, "
            f"without backreferences or lookaround)",
        )
        for path, pattern, reason in refused[:MAX_SCHEMA_ERRORS]
    ]
    return problems
