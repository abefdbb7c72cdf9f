"""Comparing two versions of the mediation process from their bundle files (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.definitions.bundle import Bundle
from engine.definitions.compare import compare_files
from engine.errors import NotFoundError

MEDIATION = Path(__file__).resolve().parents[2] / "bpmn" / "mediation"


def _edited(*replacements: tuple[str, str, str]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The bundle as it is, and with each (file, old text, new text) replacement made once."""
    old = dict(Bundle.from_dir(MEDIATION).files)
    new = dict(old)
    for file, a, b in replacements:
        text = new[file].decode()
        assert text.count(a) == 1, a
        new[file] = text.replace(a, b).encode()
    return old, new


def test_identical_bundles_have_no_differences() -> None:
    old, new = _edited()
    assert compare_files("mediation", 1, 2, old, new).unchanged


def test_a_changed_time_limit_is_listed_with_old_and_new_expression() -> None:
    old, new = _edited(
        ("mediation_sessions.bpmn", "end_of_day(mediationDeadline)<", "end_of_day(add_days(mediationDeadline, 15))<")
    )
    result = compare_files("mediation", 1, 2, old, new)
    (change,) = result.elements
    assert (change.element_id, change.kind, change.element_type) == ("mediation_expired", "changed", "boundaryEvent")
    (prop,) = change.changes
    assert prop.key == "timer" and prop.new == "timeDate: end_of_day(add_days(mediationDeadline, 15))"
    assert change.describe_zh().startswith("修改边界事件“调解期限届满”（mediation_expired）：定时器由")
    assert result.to_dict()["elements"][0]["changes"][0]["label"] == "定时器"


def test_an_edited_form_marks_the_tasks_that_use_it() -> None:
    old, new = _edited()
    path = "forms/register_case.schema.json"
    new[path] = new[path].replace(b'"title"', b'"title" ', 1)
    result = compare_files("mediation", 1, 2, old, new)
    assert [(e.element_id, [c.key for c in e.changes]) for e in result.elements] == [
        ("register_case", ["form_content"])
    ]
    assert result.files == [("forms/register_case.schema.json", "changed")]


def test_a_renamed_step_and_another_called_process_are_changes() -> None:
    old, new = _edited(
        ("mediation_intake.bpmn", 'name="分类分流"', 'name="分类"'),
        ("mediation.bpmn", '<bpmn:callActivity id="call_petition" name="信访办理" calledElement="petition">',
         '<bpmn:callActivity id="call_petition" name="信访办理" calledElement="petition_v2">'),
    )  # fmt: skip
    result = compare_files("mediation", 1, 2, old, new)
    changed = {e.element_id: {c.key for c in e.changes} for e in result.elements if e.kind == "changed"}
    assert changed == {"classify": {"name"}, "call_petition": {"called_element"}}
    with pytest.raises(NotFoundError):
        compare_files("no_such_process", 1, 2, old, new)


def test_a_changed_correlation_expression_marks_the_message_events() -> None:
    old = dict(Bundle.from_dir(MEDIATION.parents[1] / "tests" / "fixtures" / "engine" / "linked").files)
    text = old["linked.bpmn"].decode().replace("<bpmn:formalExpression>ref<", "<bpmn:formalExpression>caseRef<")
    result = compare_files("court_case", 1, 2, old, {**old, "linked.bpmn": text.encode()})
    assert result.elements and all({c.key for c in e.changes} == {"message"} for e in result.elements)
    assert "申请编号=caseRef" in str(result.elements[0].changes[0].new)
