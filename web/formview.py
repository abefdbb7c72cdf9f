"""Turn a task's JSON Schema + UI schema into fields to render, and a posted form back into data.

The server renders every widget the forms use: text, textarea (``ui:widget`` or long text), choice
lists whose Chinese labels come from the enum's description (``WRITTEN 书面；ORAL 口头``), dates,
money as decimal text, mobiles, yes/no for booleans, numbers, multi-choice checkboxes for arrays of
enums, and repeatable rows for arrays of objects (add/remove buttons post the form, so they work with
JavaScript off). Posted text becomes typed data where the type is clear; anything else is passed on
as typed, because validation is the engine's (``engine.definitions.forms``). Its field errors carry
the field's path and a Chinese and an English message; :func:`field_errors` puts each at its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.worklist.numbers import ascii_int

PREFIX = "f."
MAX_ROWS = 50


@dataclass
class Field:
    """One input (or a repeatable group of rows) to render."""

    name: str  # HTML name / error key, e.g. "f.obligations.0.obligor"
    key: str
    title: str
    help: str
    kind: str  # text textarea select boolean checkboxes date money integer number rows
    required: bool
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    rows: list[list[Field]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    readonly: bool = False  # the schema's ``readOnly``: shown, not editable (the case's value is submitted)


def enum_options(values: list[Any], description: str) -> list[tuple[str, str]]:
    """(value, Chinese label) pairs; the label is read from the description when it names the value."""
    options = []
    for value in values:
        text = str(value)
        label = text
        if text.isascii():
            found = re.search(rf"(?:^|[\s；;，,：:（(]){re.escape(text)}\s*[＝=]?\s*([^；;\s][^；;]*)", description)
            if found:
                label = f"{found.group(1).strip().rstrip('。')}"
        options.append((text, label))
    return options


def _const_choices(node: dict[str, Any]) -> list[tuple[str, str]]:
    """Choices written as ``oneOf``/``anyOf`` of ``{"const": …, "title": …}`` (spiff-arena's labelled enums)."""
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return [(str(o["const"]), str(o.get("title") or o["const"])) for o in options]
    return []


def _without_legend(help_text: str, values: list[Any]) -> str:
    """Drop a description that only lists the codes and their labels (the choice list shows them now)."""
    codes = [str(v) for v in values if str(v).isascii()]
    return "" if codes and all(code in help_text for code in codes) else help_text


def _kind(node: dict[str, Any], ui: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "array":
        items = node.get("items") or {}
        return "rows" if items.get("type") == "object" else "checkboxes"
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        return str(kind)
    if "enum" in node or _const_choices(node):
        return "select"
    fmt = node.get("format")
    if fmt in ("date", "money"):
        return str(fmt)
    if ui.get("ui:widget") == "textarea" or int(node.get("maxLength") or 0) >= 500:
        return "textarea"
    return "text"


def _attrs(node: dict[str, Any], kind: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if node.get("maxLength") and kind in ("text", "textarea"):
        attrs["maxlength"] = node["maxLength"]
    fmt = node.get("format")
    if fmt == "cn-mobile":
        attrs.update(inputmode="tel", autocomplete="tel")
    elif fmt in ("uscc", "cn-id"):
        attrs.update(autocapitalize="characters", spellcheck="false")
    elif kind in ("money", "number"):
        attrs["inputmode"] = "decimal"
    elif kind == "integer":
        attrs["inputmode"] = "numeric"
    return attrs


def _order(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    props = list((schema.get("properties") or {}).keys())
    wanted = [k for k in ui.get("ui:order") or [] if k in props]
    return wanted + [k for k in props if k not in wanted]


def build_fields(
    schema: dict[str, Any],
    ui: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, list[str]],
    prefix: str = PREFIX,
    readonly: bool = False,
) -> list[Field]:
    """The fields of an object schema, filled with values and errors (read-only ones marked)."""
    required = set(schema.get("required") or [])
    fields_: list[Field] = []
    for key in _order(schema, ui):
        node = schema["properties"][key]
        if not isinstance(node, dict):
            continue
        node_ui = ui.get(key) if isinstance(ui.get(key), dict) else {}
        kind = _kind(node, node_ui or {})
        name = prefix + key
        f = Field(
            name=name,
            key=key,
            title=str(node.get("title") or key),
            help=str(node.get("description") or ""),
            kind=kind,
            required=key in required,
            value=values.get(key),
            attrs=_attrs(node, kind),
            errors=errors.get(name, []),
            readonly=readonly or (prefix == PREFIX and node.get("readOnly") is True),  # top level only
        )
        if kind == "select" and "enum" not in node:
            f.options = _const_choices(node)
        elif kind == "select":
            f.options = enum_options(node["enum"], f.help)
            f.help = _without_legend(f.help, node["enum"])
        elif kind == "checkboxes":
            items = node.get("items") or {}
            f.options = enum_options(items.get("enum") or [], str(items.get("description") or f.help))
        elif kind == "rows":
            items = node["items"]
            given = values.get(key)
            rows: list[Any] = given if isinstance(given, list) else []
            item_ui = (node_ui or {}).get("items") or {}
            f.rows = [
                build_fields(items, item_ui, row if isinstance(row, dict) else {}, errors, f"{name}.{i}.", f.readonly)
                for i, row in enumerate(rows[:MAX_ROWS])
            ]
        fields_.append(f)
    return fields_


def _scalar(node: dict[str, Any], raw: str) -> Any:
    """Typed value of one posted input (raw text when it does not parse: the engine reports it)."""
    text = raw.strip()
    kind = node.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "integer":
        return int(text) if re.fullmatch(r"[+-]?\d{1,15}", text) else text
    if kind == "number":
        if re.fullmatch(r"[+-]?\d{1,15}", text):
            return int(text)
        return float(text) if re.fullmatch(r"[+-]?\d{1,15}\.\d{1,10}", text) else text
    return text


def parse_object(schema: dict[str, Any], form: MultiDict[str, str], prefix: str = PREFIX) -> dict[str, Any]:
    """The data of a posted form, shaped by the schema; empty inputs are left out."""
    data: dict[str, Any] = {}
    for key, node in (schema.get("properties") or {}).items():
        if not isinstance(node, dict):
            continue
        name = prefix + key
        if node.get("type") == "array":
            items = node.get("items") or {}
            if items.get("type") == "object":
                rows = [parse_object(items, form, f"{name}.{i}.") for i in range(_row_count(form, name))]
                if rows or name + ".n" in form:
                    data[key] = rows
            else:
                chosen = [v for v in form.getlist(name) if v.strip()]
                if chosen or key in (schema.get("required") or []):
                    data[key] = [_scalar(items, v) for v in chosen]
            continue
        raw = form.get(name)
        if raw is not None and raw.strip() != "":
            data[key] = _scalar(node, raw)
    return data


def _row_count(form: MultiDict[str, str], name: str) -> int:
    raw = form.get(name + ".n", "0")
    return min(ascii_int(raw, maximum=999_999) or 0, MAX_ROWS)


def edit_rows(schema: dict[str, Any], data: dict[str, Any], action: str) -> bool:
    """Apply an ``add:<field>`` or ``del:<field>:<i>`` button to the data; True when it was one."""
    parts = action.split(":")
    if parts[0] not in ("add", "del") or len(parts) < 2:
        return False
    node = (schema.get("properties") or {}).get(parts[1])
    if not isinstance(node, dict) or node.get("type") != "array":
        return False
    found = data.get(parts[1])
    rows: list[Any] = found if isinstance(found, list) else []
    if parts[0] == "add" and len(rows) < MAX_ROWS:
        rows = [*rows, {}]
    elif parts[0] == "del" and len(parts) == 3 and (i := ascii_int(parts[2], maximum=MAX_ROWS)) is not None:
        rows = rows[:i] + rows[i + 1 :]
    data[parts[1]] = rows
    return True


def _title_paths(
    schema: dict[str, Any], data: dict[str, Any], prefix: str = PREFIX, titles: str = ""
) -> dict[str, str]:
    """Engine title path ("履行事项 / 第1项 / 履行人") → field name, for every field and row."""
    found: dict[str, str] = {}
    for key, node in (schema.get("properties") or {}).items():
        if not isinstance(node, dict):
            continue
        title = (titles + " / " if titles else "") + str(node.get("title") or key)
        found[title] = prefix + key
        items = node.get("items") if node.get("type") == "array" else None
        rows = data.get(key)
        if isinstance(items, dict) and items.get("type") == "object" and isinstance(rows, list):
            for i, row in enumerate(rows):
                row_title = f"{title} / 第{i + 1}项"
                found[row_title] = f"{prefix}{key}.{i}"
                found.update(
                    _title_paths(items, row if isinstance(row, dict) else {}, f"{prefix}{key}.{i}.", row_title)
                )
    return found


def field_errors(
    schema: dict[str, Any],
    data: dict[str, Any],
    problems: list[str],
    structured: list[dict[str, Any]] | None = None,
    english: bool = False,
) -> tuple[dict[str, list[str]], list[str]]:
    """Split the engine's problem messages into per-field messages and form-level ones.

    With the engine's ``field_errors`` (``structured``) each message goes to the field its path names,
    in English when ``english``; otherwise the Chinese messages are matched by the fields' titles."""
    titles = _title_paths(schema, data)
    if structured:
        return _by_path(titles, structured, english)
    paths = sorted(titles.items(), key=lambda kv: -len(kv[0]))
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        for title, name in paths:
            if problem.startswith(title + "："):
                by_field.setdefault(name, []).append(problem[len(title) + 1 :])
                break
        else:
            general.append(problem)
    return by_field, general


def _by_path(
    titles: dict[str, str], structured: list[dict[str, Any]], english: bool
) -> tuple[dict[str, list[str]], list[str]]:
    """Messages placed by field path; a path no rendered field has stays a form-level message."""
    title_of = {name: title for title, name in titles.items()}
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for entry in structured:
        path = str(entry.get("path") or "")
        message = str(entry.get("message_en") or entry.get("message") or "") if english else str(entry.get("message"))
        name = PREFIX + path
        if not path or name not in title_of:
            general.append(message)
            continue
        prefix = f"{path}: " if english else title_of[name] + "："
        by_field.setdefault(name, []).append(message.removeprefix(prefix))
    return by_field, general
