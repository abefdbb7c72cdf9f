"""Validators: every test vector of domain.md 1.1 (USCC) and 1.2 (ID number, mobile, money, dates)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from workflows.validators import (
    USCC_CHARSET,
    USCC_WEIGHTS,
    ValidationProblem,
    check_cn_id,
    check_mobile,
    check_uscc,
    org_code_check_char,
    parse_iso_date,
    parse_money,
    uscc_check_char,
)


def with_check_chars(first16: str) -> str:
    """Complete 16 characters into a code whose organization-code and USCC checks both pass."""
    first17 = first16 + org_code_check_char(first16[8:16])
    return first17 + uscc_check_char(first17)


# 统一社会信用代码 — domain.md 1.1


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",
        "914403001922038216",
        "91330100716105852F",
        "9144030071526726XG",
        "51310105MJ4Y2K7AXU",
        "52310115MJ5B3N8C7E",
        "52310105MJ12345020",
    ],
)
def test_the_valid_uscc_vectors_pass(code: str) -> None:
    check_uscc(code)


@pytest.mark.parametrize("code", ["91350100M000100Y4Z", "52310105MJ1234502O"])
def test_the_invalid_uscc_vectors_are_refused(code: str) -> None:
    with pytest.raises(ValidationProblem):
        check_uscc(code)


def test_the_standards_worked_example_sums_to_1640_and_checks_to_3() -> None:
    code = "91350100M000100Y4"
    assert sum(USCC_CHARSET.index(c) * w for c, w in zip(code, USCC_WEIGHTS, strict=True)) == 1640
    assert uscc_check_char(code) == "3"
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_a_sum_divisible_by_31_gives_check_character_zero() -> None:
    assert uscc_check_char("52310105MJ1234502") == "0"


def test_a_wrong_check_character_is_refused_without_revealing_the_right_one() -> None:
    with pytest.raises(ValidationProblem) as problem:
        check_uscc("91350100M000100Y44")
    assert "校验位" in problem.value.message_zh
    assert "3" not in problem.value.message_zh


def test_a_forbidden_letter_is_named_in_the_message() -> None:
    with pytest.raises(ValidationProblem) as problem:
        check_uscc("52310105MJ1234502O")
    assert "O" in problem.value.message_zh


def test_lower_case_letters_are_refused_with_a_hint() -> None:
    with pytest.raises(ValidationProblem) as problem:
        check_uscc("51310105mj4y2k7axu")
    assert "大写" in problem.value.message_zh


@pytest.mark.parametrize("code", ["5131010", "51310105MJ4Y2K7AXUU", "", 51310105, None])
def test_codes_of_the_wrong_length_or_type_are_refused(code: object) -> None:
    with pytest.raises(ValidationProblem):
        check_uscc(code)


def test_letters_in_the_division_code_are_refused() -> None:
    with pytest.raises(ValidationProblem) as problem:
        check_uscc("5131A105MJ4Y2K7AXU")
    assert "行政区划" in problem.value.message_zh


def test_surrounding_whitespace_is_trimmed() -> None:
    assert check_uscc("  51310105MJ4Y2K7AXU\n") == []


def test_a_shanghai_civil_affairs_code_of_the_chosen_type_has_no_warnings() -> None:
    assert check_uscc("51310105MJ4Y2K7AXU", org_type="SOCIAL_GROUP") == []
    assert check_uscc("52310115MJ5B3N8C7E", org_type="SOCIAL_SERVICE_ORG") == []


def test_an_enterprise_code_is_valid_but_warned_about() -> None:
    warnings = check_uscc("914403001922038216", org_type="SOCIAL_SERVICE_ORG")
    assert len(warnings) == 1 and "民政" in warnings[0]


def test_a_category_that_disagrees_with_the_org_type_is_warned_about() -> None:
    warnings = check_uscc("51310105MJ4Y2K7AXU", org_type="SOCIAL_SERVICE_ORG")
    assert len(warnings) == 1 and "组织类型不符" in warnings[0]


def test_an_unknown_civil_affairs_category_is_warned_about() -> None:
    warnings = check_uscc(with_check_chars("59310105MJ4Y2K7A"))
    assert len(warnings) == 1 and "机构类别" in warnings[0]


def test_a_division_code_that_is_not_a_shanghai_district_is_warned_about() -> None:
    warnings = check_uscc(with_check_chars("51310199MJ4Y2K7A"))
    assert len(warnings) == 1 and "310199" in warnings[0]


def test_a_code_registered_outside_shanghai_has_no_division_warning() -> None:
    assert check_uscc(with_check_chars("51330100MJ4Y2K7A")) == []


def test_a_bad_organization_code_check_digit_is_only_a_warning() -> None:
    first17 = "51310105MJ4Y2K7A" + ("0" if org_code_check_char("MJ4Y2K7A") != "0" else "1")
    warnings = check_uscc(first17 + uscc_check_char(first17))
    assert len(warnings) == 1 and "主体标识码" in warnings[0]


def test_an_unknown_org_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError) as error:
        check_uscc("51310105MJ4Y2K7AXU", org_type="CLUB")
    assert not isinstance(error.value, ValidationProblem)


# 公民身份号码 — domain.md 1.2


def test_the_gb11643_example_id_number_is_valid() -> None:
    check_cn_id("11010519491231002X")


@pytest.mark.parametrize(
    ("number", "hint"),
    [
        ("110105194912310021", "校验位"),
        ("11010519491231002x", "大写"),
        ("11010519491331002X", "出生日期"),
        ("110105491231002", "18位"),
        ("１１010519491231002X", "18位"),
        ("", "请填写"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(number: str, hint: str) -> None:
    with pytest.raises(ValidationProblem) as problem:
        check_cn_id(number)
    assert hint in problem.value.message_zh


# Mobile numbers


@pytest.mark.parametrize("number", ["13800138000", "19912345678", " 15000000000 "])
def test_mainland_mobile_numbers_pass(number: str) -> None:
    check_mobile(number)


@pytest.mark.parametrize(
    "number",
    ["12800138000", "1380013800", "138001380000", "+8613800138000", "138 0013 8000", "１３800138000"],
)
def test_other_phone_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationProblem):
        check_mobile(number)


# Money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2400", "2400.00"),
        (2400, "2400.00"),
        ("30000.5", "30000.50"),
        (Decimal("0.1"), "0.10"),
        ("1.500", "1.50"),
        ("0", "0.00"),
        (" 12.34 ", "12.34"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_amounts_are_normalized_to_two_places(value: object, expected: str) -> None:
    amount = parse_money(value)
    assert amount == Decimal(expected) and str(amount) == expected


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (0.1, "浮点数"),
        ("1.234", "两位小数"),
        (Decimal("0.005"), "两位小数"),
        ("-1", "负数"),
        (-1, "负数"),
        (Decimal("-0.01"), "负数"),
        ("1,000", "格式"),
        ("1e3", "格式"),
        ("NaN", "格式"),
        (Decimal("Infinity"), "有限"),
        ("1000000000000", "上限"),
        ("9" * 40, "上限"),
        (True, "数字字符串"),
        (None, "数字字符串"),
    ],
)
def test_bad_amounts_are_refused_in_chinese(value: object, hint: str) -> None:
    with pytest.raises(ValidationProblem) as problem:
        parse_money(value)
    assert hint in problem.value.message_zh


# Dates


def test_iso_dates_parse_and_dates_pass_through() -> None:
    assert parse_iso_date("2025-06-02") == date(2025, 6, 2)
    assert parse_iso_date(date(2025, 6, 2)) == date(2025, 6, 2)


@pytest.mark.parametrize("text", ["2025-02-29", "20250101", "2025-W01-1", "2025/01/01", "2025-1-1", 20250101])
def test_other_date_spellings_are_refused(text: object) -> None:
    with pytest.raises(ValidationProblem):
        parse_iso_date(text)


def test_a_datetime_is_not_taken_for_a_date() -> None:
    with pytest.raises(ValidationProblem):
        parse_iso_date(datetime(2025, 6, 2, 9, 0))


def test_a_problem_reads_in_chinese_then_english() -> None:
    problem = ValidationProblem("金额不能为负数", "the amount must not be negative")
    assert str(problem) == "金额不能为负数 (the amount must not be negative)"
    assert problem.to_dict()["message"] == "金额不能为负数"
