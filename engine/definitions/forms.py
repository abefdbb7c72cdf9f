"""Server-side validation of submitted task data against the task's JSON Schema form.

Errors come back as one :class:`~engine.errors.InputError` listing every problem with the field's
Chinese title, so a caseworker sees all of them at once and nothing is changed. A field may state its
rule in its own words with the keyword ``errorMessage`` (used for every failure except "required").
Each field error also carries an English message (``message_en``, the field named by its path) for
the English UI. Domain formats (``uscc``, ``cn-id``, ``cn-mobile``, ``money``, ``date``) are checked
with the validators of ``workflows`` through the format checker. Patterns run on RE2, in time linear
in what was typed (:mod:`engine.definitions.patterns`).
"""

from __future__ import annotations

from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from engine.definitions.patterns import FormValidator
from engine.definitions.payload import check_payload
from engine.errors import InputError
from workflows import validators as v

format_checker = FormatChecker()


def _register(name: str, check: Any) -> None:
    @format_checker.checks(name, raises=(v.ValidationProblem, ValueError))
    def _fmt(value: object) -> bool:
        if not isinstance(value, str):
            return True
        check(value)
        return True


_register("uscc", v.check_uscc)
_register("cn-id", v.check_cn_id)
_register("cn-mobile", v.check_mobile)
_register("money", v.parse_money)
_register("date", v.parse_iso_date)

_MESSAGES = {
    "required": "必填项未填写",
    "type": "类型不正确",
    "enum": "不是可选的值之一",
    "minimum": "小于允许的最小值",
    "maximum": "大于允许的最大值",
    "exclusiveMinimum": "必须大于最小值",
    "exclusiveMaximum": "必须小于最大值",
    "minLength": "长度不足",
    "maxLength": "长度超出限制",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "minItems": "条目数量不足",
    "maxItems": "条目数量过多",
    "additionalProperties": "包含表单未定义的字段",
    "const": "取值不正确",
    "oneOf": "不是可选的值之一，请从列表中选择",
    "anyOf": "不符合任何一种允许的写法",
    "multipleOf": "数值的倍数或小数位数不符合要求",
    "uniqueItems": "有重复的条目",
    "not": "取值不被允许",
}

_MESSAGES_EN = {
    "required": "is required",
    "type": "has the wrong type",
    "enum": "is not one of the allowed values",
    "minimum": "is less than the minimum allowed",
    "maximum": "is greater than the maximum allowed",
    "exclusiveMinimum": "must be greater than the minimum",
    "exclusiveMaximum": "must be less than the maximum",
    "minLength": "is too short",
    "maxLength": "is too long",
    "pattern": "has the wrong format",
    "format": "has the wrong format",
    "minItems": "has too few entries",
    "maxItems": "has too many entries",
    "additionalProperties": "contains fields the form does not define",
    "const": "has the wrong value",
    "oneOf": "is not one of the allowed values; choose one from the list",
    "anyOf": "matches none of the allowed forms",
    "multipleOf": "is not a multiple of the required step (or has too many decimals)",
    "uniqueItems": "has duplicate entries",
    "not": "is a value that is not allowed",
}


def _field_title(schema: dict[str, Any], error: SchemaError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
        path = [*path, missing]
    node: Any = schema
    titles = []
    for part in path:
        if isinstance(part, str) and isinstance(node, dict):
            node = (node.get("properties") or {}).get(part, {})
            titles.append(str(node.get("title") or part) if isinstance(node, dict) else part)
        elif isinstance(node, dict):
            node = node.get("items", {})
            titles.append(f"第{int(part) + 1}项")
    return " / ".join(titles) or "表单"


def _node(schema: dict[str, Any], error: SchemaError) -> dict[str, Any]:
    """The schema of the field an error is about (for ``required``: the missing field's schema)."""
    path = list(error.absolute_path)
    if error.validator == "required" and "'" in str(error.message):
        path.append(str(error.message).split("'")[1])
    node: Any = schema
    for part in path:
        if not isinstance(node, dict):
            return {}
        node = (node.get("properties") or {}).get(part, {}) if isinstance(part, str) else node.get("items", {})
    return node if isinstance(node, dict) else {}


def _path(error: SchemaError) -> str:
    """The dotted path of the field an error is about (``obligations.0.deadline``; for ``required``, the
    missing field), so a form renderer can put the message at its field."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and "'" in str(error.message):
        path.append(str(error.message).split("'")[1])
    return ".".join(path)


def _message(schema: dict[str, Any], error: SchemaError) -> str:
    custom = _node(schema, error).get("errorMessage")
    if isinstance(custom, str) and error.validator != "required":
        detail = custom  # the form's own wording of the rule (e.g. the article it comes from)
    elif error.validator == "format" and error.cause is not None:
        cause = error.cause
        detail = getattr(cause, "message_zh", None) or str(cause)
    else:
        detail = _MESSAGES.get(str(error.validator), str(error.message))
    return f"{_field_title(schema, error)}：{detail}"


def _message_en(schema: dict[str, Any], error: SchemaError) -> str:
    """The English counterpart of :func:`_message`, naming the field by its path (``amount: …``).

    A field's own ``errorMessage`` is Chinese wording of a legal rule: it is kept as written, after the
    English generic detail, rather than translated by guesswork."""
    custom = _node(schema, error).get("errorMessage")
    generic = _MESSAGES_EN.get(str(error.validator), str(error.message))
    if isinstance(custom, str) and error.validator != "required":
        detail = f"does not satisfy the rule: {custom}"
    elif error.validator == "format" and error.cause is not None:
        detail = str(getattr(error.cause, "message_en", None) or generic)
    else:
        detail = generic
    return f"{_path(error) or 'form'}: {detail}"


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}
_MAX_VALIDATORS = 512


def _validator(schema: dict[str, Any]) -> Any:
    """One validator per form schema object (forms are parsed once per bundle and shared)."""
    entry = _VALIDATORS.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    if len(_VALIDATORS) >= _MAX_VALIDATORS:
        _VALIDATORS.clear()
    validator = FormValidator(schema, format_checker=format_checker)
    _VALIDATORS[id(schema)] = (schema, validator)  # the schema is kept alive, so its id is not reused
    return validator


def validate_form_data(schema: dict[str, Any] | None, data: Any) -> None:
    """Raise InputError listing every problem of ``data`` against ``schema``; check keys always."""
    check_submission(data)
    validate_against_form(schema, data)


def check_submission(data: Any) -> None:
    """What any submission must be whatever its form: plain bounded JSON with identifier field names."""
    check_payload(data)  # plain, bounded JSON before anything looks at it
    bad_keys = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k.startswith("_")]
    if bad_keys:
        raise InputError(
            f"字段名不合法：{', '.join(map(str, bad_keys))}",
            f"Invalid field names: {bad_keys}",
            fields=[str(k) for k in bad_keys],
        )


def validate_against_form(schema: dict[str, Any] | None, data: dict[str, Any]) -> None:
    """The schema's own rules, for a submission :func:`check_submission` already passed."""
    if not schema:
        return
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        messages = [_message(schema, e) for e in errors]
        paths = [_path(e) for e in errors]
        english = [_message_en(schema, e) for e in errors]
        raise InputError(
            "表单填写有误：" + "；".join(messages),
            "Form has errors: "
            + "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '-'}: {e.message}" for e in errors),
            problems=messages,
            field_errors=[
                {"path": p, "message": m, "message_en": en} for p, m, en in zip(paths, messages, english, strict=True)
            ],
        )
