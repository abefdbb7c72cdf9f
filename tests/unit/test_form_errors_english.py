"""Every field error of a form carries an English message next to the Chinese one."""

from __future__ import annotations

import pytest

from engine.definitions.forms import validate_form_data
from engine.errors import InputError

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "title": "姓名"},
        "days": {"type": "integer", "title": "天数", "maximum": 30, "errorMessage": "依第十条不得超过30日"},
    },
}


def test_field_errors_carry_an_english_message_named_by_path() -> None:
    with pytest.raises(InputError) as caught:
        validate_form_data(SCHEMA, {"days": 31})
    errors = {e["path"]: e for e in caught.value.details["field_errors"]}
    assert errors["name"]["message"] == "姓名：必填项未填写"
    assert errors["name"]["message_en"] == "name: is required"


def test_a_fields_own_rule_keeps_its_chinese_wording_after_an_english_detail() -> None:
    with pytest.raises(InputError) as caught:
        validate_form_data(SCHEMA, {"name": "王某", "days": 31})
    (error,) = caught.value.details["field_errors"]
    assert error["message_en"] == "days: does not satisfy the rule: 依第十条不得超过30日"
