"""Linear-time regular expressions for JSON Schema forms: ``pattern`` and ``patternProperties`` run on RE2.

Form data is typed by residents and caseworkers, so it is untrusted input to every form pattern.
Python's ``re`` (which jsonschema uses) backtracks: ``^(a+)+$`` against forty ``a`` and a ``!`` takes
minutes of a worker's CPU. RE2 (google-re2) matches in time linear in the input, at the price of
backreferences and lookaround, which it does not have. So:

* :data:`FormValidator` is Draft 2020-12 with the four keywords that match regular expressions
  (``pattern``, ``patternProperties``, ``additionalProperties``, ``unevaluatedProperties``) on RE2;
* lint and deploy refuse a pattern RE2 cannot compile (:func:`pattern_problems`, called by
  ``check_json_schema``), naming the file and the JSON path; at run time such a pattern (a bundle
  deployed before this rule) fails the field instead of falling back to ``re``.

JSON Schema patterns are ECMA-262; RE2 reads the common subset the same way (``\\d`` is ASCII in both,
``$`` is the end of the text). ECMA's ``\\uXXXX`` escapes are rewritten to RE2's ``\\x{XXXX}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every refused pattern to stderr
_ECMA_U_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9A-Fa-f]{4})")
_JSON_PATH_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PatternNotSupported(ValueError):
    """RE2 cannot compile a pattern (backreference, lookaround, bad syntax)."""


@lru_cache(maxsize=2048)
def compile_pattern(pattern: str) -> Any:
    """Compile a JSON Schema pattern with RE2; raise PatternNotSupported if RE2 refuses it."""
    try:
        return re2.compile(_ECMA_U_ESCAPE.sub(r"\1\\x{\2}", pattern), options=_OPTIONS)
    except re2.error as err:
        detail = err.args[0].decode(errors="replace") if err.args and isinstance(err.args[0], bytes) else str(err)
        raise PatternNotSupported(detail) from None


def matches(pattern: str, text: str) -> bool:
    """True if ``pattern`` matches anywhere in ``text`` (JSON Schema semantics: unanchored search)."""
    return compile_pattern(pattern).search(text) is not None


def pattern_error(pattern: str) -> str | None:
    """Return why RE2 refuses a pattern, or None if it compiles."""
    try:
        compile_pattern(pattern)
    except PatternNotSupported as err:
        return str(err)
    return None


# -- the keywords ----------------------------------------------------------------------------------------
def _pattern(validator: Any, patrn: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        ok = matches(patrn, instance)
    except PatternNotSupported as err:
        yield ValidationError(f"pattern {patrn!r} cannot run in linear time (RE2: {err})")
        return
    if not ok:
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _key_matches(patterns: Any, key: str) -> bool:
    """True if a property name matches one of the patterns; a pattern RE2 refuses matches nothing."""
    for patrn in patterns:
        try:
            if matches(patrn, key):
                return True
        except PatternNotSupported:
            continue
    return False


def _pattern_properties(validator: Any, pp: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in pp.items():
        for key, value in instance.items():
            if _key_matches([patrn], key):
                yield from validator.descend(value, subschema, path=key, schema_path=patrn)


def _additional_properties(validator: Any, ap: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    properties, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = [key for key in instance if key not in properties and not _key_matches(patterns, key)]
    if validator.is_type(ap, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], ap, path=extra)
    elif not ap and extras:
        names = ", ".join(repr(key) for key in sorted(extras, key=str))
        yield ValidationError(f"Additional properties are not allowed ({names} unexpected)")


def _evaluated_keys(validator: Any, instance: dict[str, Any], schema: Any) -> list[str]:
    """jsonschema 4.26's ``find_evaluated_property_keys_by_schema``, matching ``patternProperties`` with RE2."""
    if validator.is_type(schema, "boolean"):
        return []
    keys: list[str] = []
    for ref_keyword in ("$ref", "$dynamicRef"):
        ref = schema.get(ref_keyword)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            evolved = validator.evolve(schema=resolved.contents, _resolver=resolved.resolver)
            keys += _evaluated_keys(evolved, instance, resolved.contents)
    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        keys += properties.keys() & instance.keys()
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if (sub := schema.get(keyword)) is not None:
            keys += [key for key, value in instance.items() if _is_valid(validator.descend(value, sub))]
    if "patternProperties" in schema:
        keys += [key for key in instance if _key_matches(schema["patternProperties"], key)]
    for sub in _applied_subschemas(validator, instance, schema):
        keys += _evaluated_keys(validator, instance, sub)
    return keys


def _applied_subschemas(validator: Any, instance: dict[str, Any], schema: Any) -> Iterator[Any]:
    """The in-place subschemas that apply to the instance (dependentSchemas, allOf/oneOf/anyOf, if/then/else)."""
    for key, sub in (schema.get("dependentSchemas") or {}).items():
        if key in instance:
            yield sub
    for keyword in ("allOf", "oneOf", "anyOf"):
        yield from (sub for sub in schema.get(keyword, []) if _is_valid(validator.descend(instance, sub)))
    if "if" not in schema:
        return
    if validator.evolve(schema=schema["if"]).is_valid(instance):
        yield schema["if"]
        if "then" in schema:
            yield schema["then"]
    elif "else" in schema:
        yield schema["else"]


def _is_valid(errors: Iterator[ValidationError]) -> bool:
    return next(errors, None) is None


def _unevaluated(validator: Any, up: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """jsonschema's ``unevaluatedProperties``, except that no ``patternProperties`` reaches ``re``."""
    if not validator.is_type(instance, "object"):
        return
    evaluated = set(_evaluated_keys(validator, instance, schema))
    failed = [
        key
        for key in instance
        if key not in evaluated and not _is_valid(validator.descend(instance[key], up, path=key, schema_path=key))
    ]
    if failed and up is False:
        names = ", ".join(repr(key) for key in sorted(failed, key=str))
        yield ValidationError(f"Unevaluated properties are not allowed ({names} unexpected)")
    elif failed:
        names = ", ".join(repr(key) for key in sorted(failed, key=str))
        yield ValidationError(
            f"Unevaluated properties are not valid under the given schema ({names} unevaluated and invalid)"
        )


FormValidator: Any = validators.extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
        "unevaluatedProperties": _unevaluated,
    },
)


# -- lint ------------------------------------------------------------------------------------------------
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    "not",
    "if",
    "then",
    "else",
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
)


def iter_patterns(schema: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (schema path, pattern) for every ``pattern`` and ``patternProperties`` key in a schema."""
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("pattern"), str):
        yield (*path, "pattern"), schema["pattern"]
    if isinstance(schema.get("patternProperties"), dict):
        for key in schema["patternProperties"]:
            yield (*path, "patternProperties", key), key
    for keyword in _SCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            for key, sub in schema[keyword].items():
                yield from iter_patterns(sub, (*path, keyword, key))
    for keyword in (*_SCHEMA_LISTS, *_SCHEMA_ONE):
        value = schema.get(keyword)
        if isinstance(value, list):
            for i, sub in enumerate(value):
                yield from iter_patterns(sub, (*path, keyword, i))
        else:
            yield from iter_patterns(value, (*path, keyword))


def json_path(parts: tuple[str | int, ...]) -> str:
    """Write a path as jsonschema writes ``ValidationError.json_path``: ``$.properties.name.pattern``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _JSON_PATH_NAME.match(part):
            out += "." + part
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def pattern_problems(schema: Any) -> list[tuple[str, str, str]]:
    """Return (JSON path, pattern, RE2's reason) for every pattern of a schema that RE2 refuses."""
    found = []
    for parts, patrn in iter_patterns(schema):
        reason = pattern_error(patrn)
        if reason is not None:
            found.append((json_path(parts), patrn, reason))
    return found
