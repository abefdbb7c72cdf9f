"""Checks of DMN decision tables: every input expression and rule cell must compile in the sandbox.

SpiffWorkflow's DMN engine does not evaluate an input cell on its own: it glues it to the column's
input expression (``?`` stands for the input value; a cell that parses alone is compared with ``==``;
anything else is appended). :func:`dmn_cell_expression` rebuilds that expression so that the sandbox
checks what will really run, and a cell that would glue two words together is reported with the fix.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from engine.definitions.problems import Problem, as_list, check_source_at, problem_at

MAX_DMN_CELL_CHARS = 10_000

# Spiff's DMN engine replaces "?" outside quotes by the input value (DMNEngine.evaluate).
_DMN_QMARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")


def dmn_cell_expression(input_expr: str, cell: str) -> str:
    """Return the Python expression Spiff's DMN engine evaluates for an input cell (DMNEngine.evaluate)."""
    replaced = _DMN_QMARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in replaced:
        return replaced
    try:
        ast.parse(cell)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return input_expr + cell
    return f"({input_expr}) == ({cell})"


def _glued(input_expr: str, cell: str) -> bool:
    """True if Spiff would glue two words together: ``kind`` + ``in ("a",)`` → ``kindin ("a",)``."""

    def word(ch: str) -> bool:
        return ch.isalnum() or ch == "_"

    joined = dmn_cell_expression(input_expr, cell) == input_expr + cell
    return joined and word(input_expr[-1:] or " ") and word(cell[:1] or " ")


def check_dmn(name: str, tree: Any) -> list[Problem]:
    """Check that every input expression and every rule cell of a DMN file compiles in the sandbox."""
    root = tree.getroot()
    ns = etree.QName(root).namespace
    tables = root.iter(f"{{{ns}}}decisionTable")
    return [p for table in tables for p in _check_decision_table(name, table, ns)]


def _check_decision_table(name: str, table: Any, ns: str) -> list[Problem]:
    def q(local: str) -> str:
        return f"{{{ns}}}{local}"

    problems: list[Problem] = []
    inputs: list[str] = []
    for inp in table.findall(q("input")):
        text_el = inp.find(f"{q('inputExpression')}/{q('text')}")
        expr = text_el.text if text_el is not None else None
        if not expr or not expr.strip():
            problems.append(problem_at(name, inp, "DMN 输入列没有表达式", "DMN input has no expression"))
            found = None
        else:
            found = check_source_at(
                name,
                text_el.sourceline,
                inp.get("id"),
                expr,
                "eval",
                ("DMN 输入表达式", "DMN input expression"),
            )
        problems += as_list(found)
        inputs.append(expr if expr and expr.strip() and found is None else "dmninputexpr")
    n_outputs = len(table.findall(q("output")))
    for rule in table.findall(q("rule")):
        entries, outs = rule.findall(q("inputEntry")), rule.findall(q("outputEntry"))
        if len(entries) != len(inputs) or len(outs) != n_outputs:
            problems.append(problem_at(name, rule, "规则单元格数与表头列数不符", "cells do not match columns"))
            continue
        problems += _check_cells(name, entries, inputs, q("text"))
        problems += _check_cells(name, outs, None, q("text"))
    return problems


def _check_cells(name: str, entries: Iterable[Any], inputs: list[str] | None, text_tag: str) -> list[Problem]:
    problems = []
    for i, entry in enumerate(entries):
        text_el = entry.find(text_tag)
        cell = text_el.text if text_el is not None else None
        if cell is None or cell.strip() in ("", "-"):
            continue
        line = text_el.sourceline
        if len(cell) > MAX_DMN_CELL_CHARS:
            problems.append(problem_at(name, text_el, "DMN 单元格过长", "DMN cell too long", owner=entry))
        elif inputs is None:
            problems += as_list(
                check_source_at(name, line, entry.get("id"), cell, "eval", ("DMN 输出单元格", "DMN output entry"))
            )
        elif _glued(inputs[i], cell):
            problems.append(
                problem_at(
                    name,
                    text_el,
                    f"DMN 输入单元格“{cell}”会与输入表达式连成 {inputs[i]}{cell}，请用 ? 写成 “? in (...)”",
                    "write the cell with '?'",
                    owner=entry,
                )
            )
        else:
            expr = dmn_cell_expression(inputs[i], cell)
            problems += as_list(
                check_source_at(
                    name,
                    line,
                    entry.get("id"),
                    expr,
                    "eval",
                    (f"DMN 输入单元格“{cell}”（即 {expr}）", "DMN input entry"),
                )
            )
    return problems
