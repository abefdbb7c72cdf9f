"""Parse untrusted BPMN and DMN bytes into lxml trees without ever expanding an entity.

Process owners upload bundles through the workbench, so every XML file is untrusted input to a parser
running inside the server. A ``<!DOCTYPE>`` may declare entities that read local files (XXE:
``SYSTEM "file:///etc/passwd"``), fetch URLs (server-side request forgery) or expand exponentially
("billion laughs"). :func:`load_xml` parses with ``resolve_entities=False, no_network=True,
load_dtd=False, huge_tree=False`` and a resolver that answers any external lookup with nothing; then a
file whose tree has a DOCTYPE, an internal or external DTD or an entity reference is refused. BPMN and
DMN never need a DTD, so refusing outright is simpler to trust than expanding "safely".
``huge_tree=False`` keeps libxml2's limits on depth and text size. A malformed file is reported at the
line lxml gives (``XMLSyntaxError.lineno``); a refused DTD at its first entity declaration or DOCTYPE.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.definitions.problems import Problem


class _NoResolver(etree.Resolver):
    """Answer every external entity or DTD lookup with an empty document (defence in depth)."""

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        return self.resolve_empty(context)


def load_xml(name: str, data: bytes) -> tuple[Any, Problem | None]:
    """Parse XML safely; return (tree, None), or (None, problem) if malformed or it has a DOCTYPE."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    parser.resolvers.add(_NoResolver())
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        # libxml2 may stop an entity bomb itself ("amplification factor exceeded"): still a DTD refusal
        line = _doctype_line(data, None)
        if line is not None:
            return None, _dtd_problem(name, line, [])
        return None, Problem(name, err.lineno or None, None, f"XML 格式错误：{err.msg} (malformed XML)")
    tree = root.getroottree()
    info = tree.docinfo
    has_entities = next(tree.iter(etree.Entity), None) is not None
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None or has_entities:
        dtd = info.internalDTD
        entities = sorted(e.name for e in dtd.iterentities()) if dtd is not None else []
        return None, _dtd_problem(name, _doctype_line(data, info.encoding), entities)
    return tree, None


def _dtd_problem(name: str, line: int | None, entities: list[str]) -> Problem:
    named = f"（实体 {', '.join(entities)}）" if entities else ""
    return Problem(
        name,
        line,
        None,
        f"禁止 DOCTYPE 和实体声明{named}，文件被拒绝，未展开任何实体 "
        "(DOCTYPE/ENTITY declarations are refused; nothing was expanded)",
    )


def _doctype_line(data: bytes, encoding: str | None) -> int | None:
    """Return the line of the first entity declaration, else of the DOCTYPE (for the report only)."""
    text = data.decode(encoding or "utf-8", errors="replace")
    match = re.search(r"<!ENTITY", text) or re.search(r"<!DOCTYPE", text)
    return text.count("\n", 0, match.start()) + 1 if match else None
