"""Every text a caseworker reads is plain Chinese: no developer codes in forms or task documentation.

Walks every process under ``bpmn/``: the ``documentation`` of every process and flow element of every
BPMN file, and every ``title``, ``description`` and ``errorMessage`` of every form (at any depth,
choice labels included). Developer references belong in the ``devNotes`` extension property of the
element (BPMN) or in ``$comment`` (forms), which no screen shows. Every choice list carries Chinese
labels: ``oneOf`` of ``{"const": code, "title": 中文}``; a plain ``enum`` is accepted only when its
values are Chinese words themselves (they are their own labels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_FILES = sorted(BPMN_DIR.glob("*/*.bpmn"))
FORM_FILES = sorted(BPMN_DIR.glob("*/forms/*.schema.json"))
USER_TEXT_KEYS = ("title", "description", "errorMessage")

_NOT_WORD = r"(?<![A-Za-z0-9_])"
_END = r"(?![A-Za-z0-9_])"
DEVELOPER_CODES = {
    "section sign": re.compile("§"),
    "evidence label": re.compile(r"\[\s*[VPU]\s*[\]:：]"),
    "domain.md": re.compile(r"domain\.md", re.IGNORECASE),
    "camelCase word": re.compile(_NOT_WORD + r"[a-z]+[A-Z][A-Za-z0-9]*" + _END),
    "upper-case flag": re.compile(_NOT_WORD + r"[A-Z][A-Z0-9]*_[A-Z0-9_]+" + _END),
    "upper-case code": re.compile(_NOT_WORD + r"[A-Z]{4,}" + _END),
    "snake_case name": re.compile(_NOT_WORD + r"[a-z][a-z0-9]*_[a-z0-9_]+" + _END),
    "step id": re.compile(_NOT_WORD + r"(?:E-[A-Z]+(?:-[A-Z0-9]+)*|G?[ABCFP]\d+[a-z]?|M-[A-Z]\d+)" + _END),
    "file name": re.compile(r"[A-Za-z_]+\.(?:bpmn|dmn|json)"),
    "ISO duration": re.compile(_NOT_WORD + r"P(?:\d+[YMWD])+" + _END),
    "setting name": re.compile(r"(?:cfg|registration|purchase|mediation)\.[a-zA-Z]+"),
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def developer_codes(text: str) -> list[str]:
    """The developer codes found in a text, each as 'kind: match'."""
    return [f"{kind}: {m.group(0)}" for kind, rx in DEVELOPER_CODES.items() for m in rx.finditer(text)]


def _documentation(path: Path) -> Iterator[tuple[str, str]]:
    """(element id, text) of every documentation in a BPMN file."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    for doc in root.iter(f"{{{BPMN_NS}}}documentation"):
        owner = doc.getparent()
        yield str(owner.get("id") or etree.QName(owner).localname), doc.text or ""


def _form_texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every user-facing string of a form schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in USER_TEXT_KEYS and isinstance(value, str):
                yield f"{path}/{key}", value
            elif key != "$comment":
                yield from _form_texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _form_texts(value, f"{path}[{i}]")


def _choice_nodes(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "enum" in node or "oneOf" in node:
            yield path, node
        for key, value in node.items():
            yield from _choice_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _choice_nodes(value, f"{path}[{i}]")


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name if p.parent.name != 'forms' else p.parent.parent.name}/{p.name}" for p in paths]


def test_the_walk_covers_every_process_and_form() -> None:
    assert {p.parent.name for p in BPMN_FILES} == {"mediation", "purchase", "registration"}
    assert len(BPMN_FILES) >= 6
    assert len(FORM_FILES) >= 60


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_documentation_of_every_element_is_free_of_developer_codes(path: Path) -> None:
    found = {eid: codes for eid, text in _documentation(path) if (codes := developer_codes(text))}
    assert found == {}


@pytest.mark.parametrize("path", BPMN_FILES, ids=_ids(BPMN_FILES))
def test_every_user_and_manual_task_has_chinese_documentation(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    tasks = [*root.iter(f"{{{BPMN_NS}}}userTask"), *root.iter(f"{{{BPMN_NS}}}manualTask")]
    missing = [
        t.get("id") for t in tasks if not CJK.search(t.findtext(f"{{{BPMN_NS}}}documentation", default="") or "")
    ]
    assert missing == []


@pytest.mark.parametrize("path", FORM_FILES, ids=_ids(FORM_FILES))
def test_form_titles_descriptions_and_messages_are_free_of_developer_codes(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    found = {where: codes for where, text in _form_texts(schema) if (codes := developer_codes(text))}
    assert found == {}


@pytest.mark.parametrize("path", FORM_FILES, ids=_ids(FORM_FILES))
def test_every_choice_has_a_chinese_label(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    unlabelled = []
    for where, node in _choice_nodes(schema):
        if "enum" in node:
            unlabelled += [f"{where}: {v}" for v in node["enum"] if not CJK.search(str(v))]
        for option in node.get("oneOf") or []:
            if "const" in option and not CJK.search(str(option.get("title") or "")):
                unlabelled.append(f"{where}: {option['const']}")
    assert unlabelled == []


def test_the_pattern_finds_what_the_issue_names() -> None:
    text = "A11：见 domain.md §5.3 B15a [V]，设置 windowIntakeWorkdays，标记 STATUTORY_DEADLINE_BREACHED，P5D"
    kinds = {code.split(":")[0] for code in developer_codes(text)}
    assert kinds >= {"section sign", "domain.md", "evidence label", "camelCase word", "upper-case flag", "step id"}
    assert developer_codes("社团条例 第十条：个人会员50个以上，活动资金3万元以上；3A以上社会组织；12345热线") == []


def _all_user_text() -> str:
    texts = [text for path in BPMN_FILES for _eid, text in _documentation(path)]
    texts += [t for p in FORM_FILES for _w, t in _form_texts(json.loads(p.read_text(encoding="utf-8")))]
    return "\n".join(texts)


def test_citations_found_wrong_in_the_second_pass_stay_corrected() -> None:
    text = _all_user_text()
    assert "须为法人" not in text  # 政府采购法 第二十一条: 法人、其他组织或者自然人
    assert "申请筹备" not in text  # the 筹备 stage was abolished in 2016
    assert not re.search(r"口头[^。]*人民调解法 ?第十八条", text)  # 第十八条 is about referrals
    assert not re.search(r"\d{5,}\.00元以上", text)  # "3万元以上", not "30000.00元以上"
    award = (BPMN_DIR / "purchase" / "purchase_award.bpmn").read_text(encoding="utf-8")
    assert 'name="确认中标（成交）供应商"' in award
    procurement = (BPMN_DIR / "purchase" / "purchase_procurement.bpmn").read_text(encoding="utf-8")
    assert 'name="登记投标（响应）文件并资格审查"' in procurement


# -- features: the scenarios read in the process owner's words ---------------------------------------
FEATURES = sorted((BPMN_DIR.parent / "features").glob("*.feature"))
TOKEN = re.compile(r"[A-Za-z0-9_]+")


def _english_words(text: str) -> list[str]:
    """Runs of two or more Latin letters with no digit in them: a code or an English word, where a mixed
    token such as a credit code (52310105MJ12345020) or a document number is data as written."""
    return [t for t in TOKEN.findall(text) if len(re.findall("[A-Za-z]", t)) >= 2 and not re.search(r"\d", t)]


def _feature_texts(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, kind, text) of every step's quoted words and table cell; JSON cells yield keys and values."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if text.startswith("#") or not text:
            continue
        if text.startswith("|"):
            for cell in (c.strip() for c in text.strip("|").split("|")):
                yield from _cell_texts(n, cell)
        else:
            for quoted in re.findall(r'"([^"]*)"', text):
                yield n, "quoted", quoted


def _cell_texts(n: int, cell: str) -> Iterator[tuple[int, str, str]]:
    try:
        value = json.loads(cell)
    except ValueError:
        yield n, "cell", cell
        return

    def walk(v: Any) -> Iterator[tuple[int, str, str]]:
        if isinstance(v, dict):
            for k, item in v.items():
                yield n, "key", k
                yield from walk(item)
        elif isinstance(v, list):
            for item in v:
                yield from walk(item)
        elif isinstance(v, str):
            yield n, "cell", v
        elif isinstance(v, bool):
            yield n, "cell", json.dumps(v)

    yield from walk(value)


@pytest.mark.parametrize("path", FEATURES, ids=_ids(FEATURES))
def test_scenarios_read_without_english_codes(path: Path) -> None:
    """Field names, choices, yes/no, messages and end states appear as the process owner says them."""
    found = [
        f"{path.name}:{n}: {kind} {text!r}: {', '.join(developer_codes(text)) or 'English word'}"
        for n, kind, text in _feature_texts(path)
        if developer_codes(text) or _english_words(text)
    ]
    assert found == [], "\n".join(found[:40]) + (f"\n… {len(found)} in all" if len(found) > 40 else "")
