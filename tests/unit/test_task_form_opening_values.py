"""What a task form opens with: the draft wins over the case, read-only fields always show the case."""

from __future__ import annotations

from engine.worklist.taskforms import opening_values, with_case_values

SCHEMA = {
    "type": "object",
    "properties": {"applicant": {"type": "string", "readOnly": True}, "amount": {"type": "integer"}},
}


def test_without_a_draft_the_form_opens_with_the_case_values() -> None:
    assert opening_values(SCHEMA, {"applicant": "王某", "amount": 900}, None) == {"applicant": "王某", "amount": 900}


def test_a_draft_wins_over_the_case_except_for_read_only_fields() -> None:
    draft = {"applicant": "冒名", "amount": 800}
    assert opening_values(SCHEMA, {"applicant": "王某", "amount": 900}, draft) == {"applicant": "王某", "amount": 800}


def test_a_read_only_field_the_case_lacks_is_dropped_from_posted_values() -> None:
    assert with_case_values(SCHEMA, {"applicant": "冒名", "amount": 1}, {}) == {"amount": 1}
