"""Validators for the identity, money and date fields that every process form carries.

- 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character set; the 18th is an ISO 7064
  MOD 31-3 check character. Structure and checksum errors are hard errors. Whether the code belongs
  to a Shanghai civil-affairs organization (rules 4–5 of domain.md 1.1) is only a warning, because
  organizations registered elsewhere may bid for services in process B.
- 公民身份号码 (GB 11643-1999): 17 digits, then an ISO 7064 MOD 11-2 check character (0–9 or X).
- Mobile numbers: 11 digits starting 13–19.
- Money: yuan with at most 2 decimals, never a float (a float cannot hold 0.1 exactly), at most
  decimal(14,2).

Each check returns None (check_uscc: a list of warnings) or raises ValidationProblem, whose
messages are shown to users: Chinese first, English alongside. Input is stripped of surrounding
whitespace before checking (domain.md 1.1 rule 1); callers store the stripped value.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
USCC_PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# 民政 category code (USCC position 2) per orgType of the registration form.
USCC_CATEGORY_BY_ORG_TYPE = {"SOCIAL_GROUP": "1", "SOCIAL_SERVICE_ORG": "2", "FOUNDATION": "3"}
ORG_TYPES = frozenset({*USCC_CATEGORY_BY_ORG_TYPE, "COMMUNITY_GROUP_FILING"})  # domain.md 4.5 orgType
# GB/T 2260 codes of Shanghai: the municipality, its 16 districts, and two codes in use when USCCs were
# first issued (2015–2016): 闸北 310108 (merged into 静安 in 2015) and 崇明县 310230 (a district since 2016).
SHANGHAI_DIVISIONS = frozenset(
    {
        "310000", "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
        "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151",
        "310108", "310230",
    }
)  # fmt: skip
CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CN_ID_CHECK = "10X98765432"
MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
MONEY_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)?")
MONEY_LIMIT = Decimal(10) ** 12  # decimal(14,2)
CENT = Decimal("0.01")
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CN_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")


class ValidationProblem(ValueError):
    """A value a user entered is not acceptable; carries a Chinese and an English message."""

    code = "validation_problem"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.message_zh} ({self.message_en})"

    def to_dict(self) -> dict[str, str]:
        """Return the problem as a JSON-safe dict."""
        return {"code": self.code, "message": self.message_zh, "message_en": self.message_en}


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 organization-code check character for 8 characters."""
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def check_uscc(code: object, *, org_type: str | None = None) -> list[str]:
    """Raise on a malformed 统一社会信用代码; return Chinese warnings for a non-Shanghai-民政 code."""
    if org_type is not None and org_type not in ORG_TYPES:
        raise ValueError(f"unknown org_type {org_type!r}; expected one of {sorted(ORG_TYPES)}")
    code = _text(code, "统一社会信用代码", "unified social credit code")
    if len(code) != 18:
        raise ValidationProblem(
            f"统一社会信用代码应为18位，当前为{len(code)}位",
            f"the code must have 18 characters, not {len(code)}",
        )
    if code != code.upper():
        raise ValidationProblem("统一社会信用代码中的字母须大写", "letters in the code must be upper case")
    bad = sorted(set(code) & set("IOSVZ"))
    if bad:
        letters = "、".join(bad)
        raise ValidationProblem(
            f"统一社会信用代码不使用字母 I、O、S、V、Z（含有 {letters}）",
            f"the code never uses the letters I, O, S, V, Z (found {', '.join(bad)})",
        )
    if not USCC_PATTERN.fullmatch(code):
        raise ValidationProblem(
            "统一社会信用代码格式不正确：第3至8位应为行政区划代码（数字），其余为数字或大写字母",
            "malformed code: positions 3-8 must be digits, the others digits or upper-case letters",
        )
    if uscc_check_char(code[:17]) != code[17]:
        # Deliberately not telling the expected character: a typo elsewhere would then "pass".
        raise ValidationProblem(
            "统一社会信用代码校验位不正确，请核对", "the check character does not match; check the code"
        )
    return _uscc_warnings(code, org_type)


def _uscc_warnings(code: str, org_type: str | None) -> list[str]:
    warnings: list[str] = []
    if code[0] != "5":
        warnings.append("登记管理部门代码（第1位）不是“5”（民政），该代码不属于在民政部门登记的社会组织")
    expected = USCC_CATEGORY_BY_ORG_TYPE.get(org_type) if org_type else None
    if code[0] == "5" and code[1] not in "123":
        warnings.append(f"机构类别代码（第2位）为“{code[1]}”，不是社会团体(1)、民办非企业单位(2)或基金会(3)")
    elif code[0] == "5" and expected and code[1] != expected:
        warnings.append(f"机构类别代码（第2位）为“{code[1]}”，与所选组织类型不符（应为“{expected}”）")
    if code[2:4] == "31" and code[2:8] not in SHANGHAI_DIVISIONS:
        warnings.append(f"登记管理机关行政区划代码“{code[2:8]}”不是上海市的有效区划代码")
    if org_code_check_char(code[8:16]) != code[16]:
        warnings.append("主体标识码（第9至17位）的组织机构代码校验位不符，请核对")
    return warnings


def check_cn_id(number: object) -> None:
    """Raise unless the value is a valid 18-digit 公民身份号码 (GB 11643)."""
    number = _text(number, "公民身份号码", "ID number")
    if len(number) == 18 and number.endswith("x"):
        raise ValidationProblem("身份号码末位的X须大写", "the final X of the ID number must be upper case")
    if not CN_ID_PATTERN.fullmatch(number):
        raise ValidationProblem(
            "公民身份号码应为18位：前17位为数字，末位为数字或X",
            "the ID number is 17 digits followed by a digit or X",
        )
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationProblem(
            "身份号码中的出生日期不存在", "the birth date in the ID number does not exist"
        ) from None
    total = sum(int(c) * w for c, w in zip(number[:17], CN_ID_WEIGHTS, strict=True))
    if CN_ID_CHECK[total % 11] != number[17]:
        raise ValidationProblem(
            "公民身份号码校验位不正确，请核对", "the check character of the ID number does not match"
        )


def check_mobile(s: object) -> None:
    """Raise unless the value is an 11-digit mainland mobile number."""
    s = _text(s, "手机号码", "mobile number")
    if not MOBILE_PATTERN.fullmatch(s):
        raise ValidationProblem(
            "手机号码应为以1开头的11位数字（第2位为3至9），不含空格、横线或+86",
            "a mobile number is 11 digits starting 13-19, without spaces, dashes or +86",
        )


def parse_money(value: object) -> Decimal:
    """Return an amount in yuan as a Decimal with 2 places; reject floats, negatives, sub-fen digits."""
    if isinstance(value, float):
        raise ValidationProblem(
            "金额不能以浮点数传入，请使用字符串或整数",
            "amounts must not be floats; pass a string or an integer",
        )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationProblem("金额须为数字字符串", f"an amount must be a decimal string, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise ValidationProblem("金额不能为负数", "the amount must not be negative")
        if not MONEY_PATTERN.fullmatch(text):
            raise ValidationProblem(
                "金额格式不正确，应如 1234.50（单位：元）", "malformed amount; write e.g. 1234.50 (yuan)"
            )
        value = text
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValidationProblem("金额格式不正确", "malformed amount") from None
    if not amount.is_finite():
        raise ValidationProblem("金额须为有限数值", "the amount must be a finite number")
    if amount < 0:
        raise ValidationProblem("金额不能为负数", "the amount must not be negative")
    if amount >= MONEY_LIMIT:
        raise ValidationProblem("金额超出上限（须小于1万亿元）", "the amount must be below 1,000,000,000,000 yuan")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise ValidationProblem("金额最多保留两位小数（精确到分）", "at most 2 decimal places (fen)")
    return abs(amount).quantize(CENT)


def parse_iso_date(s: object) -> dt.date:
    """Return the date written as YYYY-MM-DD (a date object passes through; a datetime does not)."""
    if isinstance(s, dt.datetime):
        raise ValidationProblem("需要日期，而不是日期时间", "expected a date, not a date-time")
    if isinstance(s, dt.date):
        return s
    text = _text(s, "日期", "date")
    if ISO_DATE_PATTERN.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationProblem(f"日期不存在：{text}", f"no such date: {text}") from None
    raise ValidationProblem(f"日期格式应为 YYYY-MM-DD：{text}", f"dates are written YYYY-MM-DD: {text}")


def _text(value: object, name_zh: str, name_en: str) -> str:
    if not isinstance(value, str):
        raise ValidationProblem(f"{name_zh}须为文本", f"the {name_en} must be text, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValidationProblem(f"请填写{name_zh}", f"the {name_en} is empty")
    return value
