"""Load and validate a process bundle: BPMN, DMN and JSON Schema form files parsed into Spiff specs.

Threat model. Process owners upload bundles through the workbench, so every file is untrusted input to
an XML parser running inside the server:

* **Entities** (XXE, "billion laughs"): a ``<!DOCTYPE>`` may declare entities that read local files
  (``SYSTEM "file:///etc/passwd"``), fetch URLs (server-side request forgery) or expand exponentially.
  Every XML file is parsed by lxml with ``resolve_entities=False, no_network=True, load_dtd=False,
  huge_tree=False`` and a resolver that answers any external lookup with nothing; then a file whose tree
  has a DOCTYPE, an internal or external DTD or an entity reference is refused. BPMN and DMN never need a
  DTD, so refusing outright is simpler to trust than expanding "safely". ``huge_tree=False`` keeps
  libxml2's limits on depth and text size.
* **Size**: a per-file limit (default 5 MB) and a per-bundle limit (default 20 MB) are checked on byte
  counts before any parser runs; :meth:`Bundle.from_dir` looks at sizes with ``stat`` and never reads a
  file over the limit.
* **Re-parsing**: SpiffWorkflow only receives the already-parsed safe trees (``add_bpmn_xml`` /
  ``add_dmn_xml``), never raw bytes, so its default lxml parser never sees the input.
* **Code**: every script and expression is compiled by the sandbox (``engine.sandbox.check_source``)
  at load time (see :mod:`engine.bundle_checks`), so a bundle reaching for the interpreter's internals is
  never deployed.

Line numbers. lxml gives ``XMLSyntaxError.lineno``, XSD errors carry their line, and every element keeps
``sourceline``. Spiff's ``ValidationException`` names the element id but no usable line (it reads
``node.line_number``, which lxml elements lack), so lines come from an id → line index of each file.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from .bundle_checks import BundleIndex, Problem, check_documents, check_sizes, shorten_names
from .errors import InputError

__all__ = ["Bundle", "ParsedBundle", "Problem", "lint_paths", "load_xml", "parse_bundle"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
SUFFIXES = (".bpmn", ".dmn", ".json")
_SKIP_DIRS = {"node_modules", "__pycache__"}
_MAX_XSD_ERRORS = 20
_XSD_LOCK = threading.Lock()  # an lxml XMLSchema keeps its error log on the (shared) object
_DMN_XSD: dict[str, Any] = {}
_PROCESS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}process"


@dataclass
class Bundle:
    """The files of one deployment: relative POSIX path → bytes."""

    files: dict[str, bytes]
    skipped: dict[str, int] = field(default_factory=dict)  # files left unread for their size: path → bytes

    @classmethod
    def from_files(cls, mapping: Mapping[str, bytes | str]) -> Bundle:
        """Build a bundle from names and contents (text is stored as UTF-8)."""
        return cls({name: data.encode() if isinstance(data, str) else bytes(data) for name, data in mapping.items()})

    @classmethod
    def from_dir(
        cls,
        path: str | os.PathLike[str],
        *,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_bundle_bytes: int = MAX_BUNDLE_BYTES,
    ) -> Bundle:
        """Read every *.bpmn, *.dmn and *.json below a folder; hidden folders and symlinks are skipped."""
        root = os.fspath(path)
        if not os.path.isdir(root):
            raise InputError(f"不是目录：{root}", f"Not a directory: {root}")
        names = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
            rel = os.path.relpath(folder, root).replace(os.sep, "/")
            names += [
                posixpath.normpath(posixpath.join(rel, f))
                for f in files
                if f.lower().endswith(SUFFIXES) and not os.path.islink(os.path.join(folder, f))
            ]
        return _read_files(root, sorted(names), max_file_bytes, max_bundle_bytes)

    def content_hash(self) -> str:
        """Return a sha256 hex digest over the sorted file names and contents."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            data = self.files[name]
            digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()


def _read_files(root: str, names: Iterable[str], max_file_bytes: int, max_bundle_bytes: int) -> Bundle:
    """Read bundle files below ``root``; files over the limits stay unread, recorded with their size."""
    bundle, total = Bundle({}), 0
    for name in names:
        full = os.path.join(root, *name.split("/"))
        size = os.stat(full).st_size
        if size > max_file_bytes or total + size > max_bundle_bytes:
            bundle.skipped[name] = size
            continue
        with open(full, "rb") as handle:
            data = handle.read(max_file_bytes + 1)  # the file may have grown since stat
        if len(data) > max_file_bytes:
            bundle.skipped[name] = len(data)
            continue
        bundle.files[name] = data
        total += len(data)
    return bundle


@dataclass
class ParsedBundle:
    """The outcome of :func:`parse_bundle`: the problems, and whatever could be parsed."""

    problems: list[Problem] = field(default_factory=list)
    process_ids: list[str] = field(default_factory=list)  # executable processes
    specs: dict[str, tuple[BpmnProcessSpec, dict[str, Any]]] = field(default_factory=dict)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # every JSON object file, by path

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings are allowed)."""
        return not any(p.severity == "error" for p in self.problems)


@dataclass
class _Documents:
    bpmn: dict[str, Any] = field(default_factory=dict)
    dmn: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_bundle(
    bundle: Bundle,
    *,
    known_roles: set[str] | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_bundle_bytes: int = MAX_BUNDLE_BYTES,
) -> ParsedBundle:
    """Parse and validate a bundle; every finding becomes a Problem, bad input never raises."""
    sizes = {name: len(data) for name, data in bundle.files.items()}
    size_problems = check_sizes(sizes, bundle.skipped, max_file_bytes, max_bundle_bytes)
    if size_problems:
        return ParsedBundle(problems=size_problems)
    docs = _load_documents(bundle)
    index = BundleIndex(
        names=set(bundle.files),
        json_docs=docs.json,
        known_roles=known_roles,
        process_ids={p.get("id") for t in docs.bpmn.values() for p in t.getroot().iter(_PROCESS)},
        decision_ids={d.get("id") for t in docs.dmn.values() for d in t.getroot().iter("{*}decision")},
    )
    checked = check_documents(docs.bpmn, docs.dmn, index)
    result = ParsedBundle(forms={n: d for n, d in docs.json.items() if isinstance(d, dict)})
    from_spiff = _run_spiff(docs, result)
    seen = {(p.file, p.element) for p in checked if p.severity == "error"}
    from_spiff = [p for p in from_spiff if not _already_found(p, seen)]
    if not any(name.lower().endswith(".bpmn") for name in bundle.files):
        docs.problems.append(Problem("", None, None, "流程包中没有 BPMN 文件 (the bundle has no BPMN file)"))
    elif docs.bpmn and not from_spiff and not result.process_ids:
        docs.problems.append(Problem("", None, None, "流程包中没有可执行的流程 (no executable process)"))
    problems = list(dict.fromkeys(docs.problems + checked + from_spiff))
    result.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
    return result


def _already_found(problem: Problem, seen: set[tuple[str, str | None]]) -> bool:
    """True for a Spiff error that a model check already reported about the same element."""
    return (problem.file, problem.element) in seen and any(key in problem.message for key in _DUPLICATES)


def _load_documents(bundle: Bundle) -> _Documents:
    docs = _Documents()
    for name in sorted(bundle.files):
        data, suffix = bundle.files[name], posixpath.splitext(name)[1].lower()
        if posixpath.normpath(name) != name or name.startswith(("/", "../")) or "\\" in name or name == "..":
            docs.problems.append(Problem(name, None, None, "文件名必须是规范的相对路径 (bad relative path)"))
        elif suffix in (".bpmn", ".dmn"):
            tree, problem = load_xml(name, data)
            if problem is not None:
                docs.problems.append(problem)
            else:
                (docs.bpmn if suffix == ".bpmn" else docs.dmn)[name] = tree
        elif suffix == ".json":
            try:
                docs.json[name] = json.loads(data)
            except json.JSONDecodeError as err:
                docs.problems.append(Problem(name, err.lineno, None, f"JSON 格式错误：{err.msg} (bad JSON)"))
            except (ValueError, RecursionError) as err:
                docs.problems.append(Problem(name, None, None, f"JSON 无法读取 (unreadable JSON: {err})"))
        else:
            docs.problems.append(Problem(name, None, None, "文件类型不用，已忽略 (file ignored)", "warning"))
    return docs


# -- safe XML -----------------------------------------------------------------------------------------
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


# -- SpiffWorkflow ------------------------------------------------------------------------------------
def _run_spiff(docs: _Documents, result: ParsedBundle) -> list[Problem]:
    """Feed the safe trees to SpiffBpmnParser, put specs into ``result``, return the problems."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    lines = _LineIndex({**docs.bpmn, **docs.dmn})
    problems: list[Problem] = []
    for name, tree in [*docs.dmn.items(), *docs.bpmn.items()]:
        is_dmn = name in docs.dmn
        if not is_dmn:
            VALIDATOR.preprocess(tree)  # the rewrite Spiff applies before validating (a bpmn-js quirk)
        schema = _dmn_schema(etree.QName(tree.getroot()).namespace) if is_dmn else VALIDATOR.validator
        xsd = _xsd_problems(name, tree, schema) if schema is not None else []
        try:
            if xsd:
                problems += xsd
            elif is_dmn:
                parser.add_dmn_xml(tree.getroot(), filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        except Exception as err:
            problems.append(_from_exception(err, name, lines))
    for dmn_parser in parser.dmn_parsers.values():
        try:
            dmn_parser.parse()
        except Exception as err:
            problems.append(_from_exception(err, dmn_parser.filename, lines))
    result.process_ids = parser.get_process_ids()
    for pid in result.process_ids:
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid, require_call_activity_specs=False)
        except Exception as err:
            problems.append(_from_exception(err, parser.get_process_parser(pid).filename or "", lines))
            continue
        result.specs[pid] = (spec, subprocess_specs)
    return problems


_SPIFF_MESSAGES = [
    ("No start event found", "流程没有开始事件"),
    ("There is no support implemented for this task type", "不支持的任务类型"),
    ("No DMN Diagram available", "找不到引用的 DMN 决策"),
    ("Duplicate process ID", "流程 ID 重复"),
    ("was not found", "找不到引用的流程"),
    ("Multiple outgoing flows are not supported", "任务不能有多条流出的顺序流，请用网关"),
    ("Unknown Time Specification", "定时器缺少时间定义"),
    ("we found two items", "顺序流指向不存在的节点，或 ID 重复"),
    ("is not executable", "流程不可执行"),
]
_DUPLICATES = ("No DMN Diagram available", "was not found", "Malformed Output Expression")
_XSD_HINTS = [
    ("This element is not expected", "不支持的元素，或元素位置不对"),
    ("is required but missing", "缺少必需的属性"),
    ("attribute is not allowed", "不允许的属性"),
    ("is not a valid value", "属性值无效"),
    ("No matching global declaration", "根元素不对，不是 BPMN/DMN 文件"),
]


def _from_exception(err: Exception, file: str, lines: _LineIndex) -> Problem:
    """Turn what Spiff raised into a problem (it also raises bare KeyError etc. on odd input)."""
    if not isinstance(err, ValidationException):
        return Problem(file, None, None, f"流程模型无法解析：{type(err).__name__}: {err} (Spiff failed)")
    file = err.file_name or file
    line = err.line_number if isinstance(err.line_number, int) and err.line_number > 0 else None
    english = err.args[0] if err.args else str(err)
    zh = next((zh for key, zh in _SPIFF_MESSAGES if key in english), "流程模型无效")
    return Problem(file, line or lines.line_of(file, err.id), err.id or err.tag or None, f"{zh} ({english})")


class _LineIndex:
    """Element id → source line, per file, built on first use."""

    def __init__(self, trees: Mapping[str, Any]) -> None:
        self._trees = trees
        self._lines: dict[str, dict[str, int]] = {}

    def line_of(self, file: str, element_id: str | None) -> int | None:
        if not element_id or file not in self._trees:
            return None
        if file not in self._lines:
            index: dict[str, int] = {}
            for el in self._trees[file].getroot().iter():
                if isinstance(el.tag, str) and el.get("id") is not None:
                    index.setdefault(el.get("id"), el.sourceline)
            self._lines[file] = index
        return self._lines[file].get(element_id)


def _dmn_schema(namespace: str | None) -> Any:
    if namespace is None or namespace not in DMN_SCHEMAS:
        return None
    with _XSD_LOCK:
        if namespace not in _DMN_XSD:  # Spiff's own packaged XSD files: trusted input
            _DMN_XSD[namespace] = etree.XMLSchema(etree.parse(DMN_SCHEMAS[namespace]))
        return _DMN_XSD[namespace]


def _xsd_problems(name: str, tree: Any, schema: Any) -> list[Problem]:
    with _XSD_LOCK:
        schema.validate(tree)
        errors = list(schema.error_log)[:_MAX_XSD_ERRORS]
    by_line: dict[int, list[Any]] = {}
    for el in tree.getroot().iter():
        if isinstance(el.tag, str):
            by_line.setdefault(el.sourceline, []).append(el)
    problems = []
    for err in errors:
        english = shorten_names(err.message.split(" Expected is one of")[0])
        hint = next((zh for key, zh in _XSD_HINTS if key in english), "不符合 BPMN/DMN 的 XSD 架构")
        element = _element_at(by_line.get(err.line, []), err.message)
        problems.append(Problem(name, err.line or None, element, f"{hint} (XSD: {english})"))
    return problems


def _element_at(candidates: list[Any], message: str) -> str | None:
    """Pick the element an XSD message is about among those starting on its line: id, else tag."""
    match = re.search(r"Element '([^']+)'", message)
    chosen = next((el for el in candidates if match and el.tag == match.group(1)), None)
    chosen = chosen if chosen is not None else next(iter(candidates), None)
    return None if chosen is None else chosen.get("id") or shorten_names(chosen.tag)


# -- command line -------------------------------------------------------------------------------------
def lint_paths(paths: Iterable[str], *, known_roles: set[str] | None = None) -> list[Problem]:
    """Lint files and folders: a folder is one bundle; loose files are grouped by their folder.

    A loose file's bundle also holds the *.dmn and *.json files of its folder and of the folder's
    ``forms/`` subfolder, so that its decisions and forms resolve. Paths are reported as given.
    """
    problems: list[Problem] = []
    loose: dict[str, list[str]] = {}
    for path in paths:
        if os.path.isdir(path):
            problems += _lint_bundle(Bundle.from_dir(path), path, known_roles)
        elif os.path.isfile(path):
            loose.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
        else:
            problems.append(Problem(path, None, None, "文件或目录不存在 (no such file or directory)"))
    for folder, names in loose.items():
        wanted = sorted({*names, *_support_files(folder or ".")})
        problems += _lint_bundle(
            _read_files(folder or ".", wanted, MAX_FILE_BYTES, MAX_BUNDLE_BYTES), folder, known_roles
        )
    return problems


def _support_files(folder: str) -> list[str]:
    """Return the *.dmn and *.json files of a folder and of its forms/ subfolder, as bundle paths."""
    found = []
    for sub in ("", "forms"):
        here = os.path.join(folder, sub)
        if os.path.isdir(here):
            found += [
                posixpath.join(sub, n)
                for n in sorted(os.listdir(here))
                if n.lower().endswith((".dmn", ".json"))
                and os.path.isfile(os.path.join(here, n))
                and not os.path.islink(os.path.join(here, n))
            ]
    return found


def _lint_bundle(bundle: Bundle, folder: str, known_roles: set[str] | None) -> list[Problem]:
    parsed = parse_bundle(bundle, known_roles=known_roles)
    return [replace(p, file=os.path.join(folder, p.file) if p.file else folder or ".") for p in parsed.problems]
