"""Scenario tables in the process owner's words: titles, labels and 是/否 map through the form schema."""

from __future__ import annotations

from tests.acceptance.steps.context import by_form_titles, table_data

SCHEMA = {
    "type": "object",
    "properties": {
        "source": {"type": "string", "title": "来源", "oneOf": [{"const": "SELF", "title": "当事人申请"}]},
        "urgent": {"type": "boolean", "title": "紧急"},
        "obligations": {
            "type": "array",
            "title": "履行义务",
            "items": {
                "type": "object",
                "properties": {
                    "obligor": {"type": "string", "title": "义务人"},
                    "kind": {"type": "string", "title": "方式", "oneOf": [{"const": "PAY", "title": "支付"}]},
                    "paid": {"type": "boolean", "title": "已付"},
                },
            },
        },
        "tags": {"type": "array", "items": {"type": "string", "oneOf": [{"const": "A1", "title": "甲类"}]}},
    },
}


def test_titles_labels_and_yes_no_map_to_names_codes_and_booleans_at_every_depth() -> None:
    data = table_data(
        [
            ["来源", "当事人申请"],
            ["紧急", "否"],
            ["履行义务", '[{"义务人": "王某", "方式": "支付", "已付": "是"}]'],
            ["tags", '["甲类", "A1"]'],
        ]
    )
    assert by_form_titles(SCHEMA, data) == {
        "source": "SELF",
        "urgent": False,
        "obligations": [{"obligor": "王某", "kind": "PAY", "paid": True}],
        "tags": ["A1", "A1"],
    }


def test_names_and_codes_keep_working_and_unknown_keys_pass_through() -> None:
    data = {"source": "SELF", "obligations": [{"obligor": "李某", "kind": "PAY"}], "其他": "原样"}
    assert by_form_titles(SCHEMA, data) == data
