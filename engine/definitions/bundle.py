"""Load and validate a process bundle: BPMN, DMN and JSON Schema form files parsed into Spiff specs.

Threat model. Process owners upload bundles through the workbench, so every file is untrusted input to
an XML parser running inside the server:

* **Entities** (XXE, "billion laughs"): every XML file is parsed by :func:`load_xml`
  (:mod:`engine.definitions.xmlsafe`), which never loads a DTD or resolves an entity and refuses any file with a
  DOCTYPE, a DTD or an entity reference.
* **Size**: a per-file limit (default 5 MB) and a per-bundle limit (default 20 MB) are checked on byte
  counts before any parser runs; :meth:`Bundle.from_dir` looks at sizes with ``stat`` and never reads a
  file over the limit.
* **Re-parsing**: SpiffWorkflow only receives the already-parsed safe trees (:mod:`engine.definitions.spiff`),
  never raw bytes, so its default lxml parser never sees the input.
* **Code**: every script and expression is compiled by the sandbox (``engine.sandbox.core.check_source``)
  at load time (see :mod:`engine.definitions.checks` and :mod:`engine.definitions.dmn`), so a bundle reaching for
  the interpreter's internals is never deployed.
* **Form patterns** must compile with RE2, which matches in linear time (:mod:`engine.definitions.patterns`).

Deploy tells the truth: what the engine cannot run is refused here, not when a case reaches it — a
service task whose connector is not registered, a data store, a recursive call activity, a human task
nobody can claim, a literal timer cycle with a zero period or without a bound. ``shequflow lint`` and
deploy run this same :func:`parse_bundle`, with the same registered connectors
(:func:`engine.connectors.connector_names`) and timer limit, so they give the same answers.

This module reads bundles (from files or a folder), runs the loaders and checks in order, and merges
their problems into one :class:`ParsedBundle`; :func:`lint_paths` is the command-line entry point.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.connectors import ConnectorError, connector_names
from engine.definitions.capabilities import DATA_STORES_UNSUPPORTED, SPIFF_DATA_STORE_MESSAGES
from engine.definitions.checks import BundleIndex, check_documents, check_sizes
from engine.definitions.problems import Problem
from engine.definitions.spiff import already_found, run_spiff
from engine.definitions.timers import max_timer_cycles as configured_max_timer_cycles
from engine.definitions.xmlsafe import load_xml
from engine.errors import InputError

__all__ = ["Bundle", "ParsedBundle", "Problem", "lint_paths", "load_xml", "parse_bundle"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
SUFFIXES = (".bpmn", ".dmn", ".json")
_SKIP_DIRS = {"node_modules", "__pycache__"}
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
    known_connectors: Collection[str] | None = None,
    max_timer_cycles: int | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_bundle_bytes: int = MAX_BUNDLE_BYTES,
) -> ParsedBundle:
    """Parse and validate a bundle; every finding becomes a Problem, bad input never raises.

    ``known_connectors`` defaults to the registered connectors and ``max_timer_cycles`` to the configured
    limit, so that lint and deploy check against the same configuration.
    """
    sizes = {name: len(data) for name, data in bundle.files.items()}
    size_problems = check_sizes(sizes, bundle.skipped, max_file_bytes, max_bundle_bytes)
    if size_problems:
        return ParsedBundle(problems=size_problems)
    docs = _load_documents(bundle)
    if known_connectors is None:
        known_connectors, config_problem = _registered_connectors()
        docs.problems += [config_problem] if config_problem else []
    index = BundleIndex(
        names=set(bundle.files),
        json_docs=docs.json,
        known_roles=known_roles,
        known_connectors=known_connectors,
        max_timer_cycles=max_timer_cycles if max_timer_cycles is not None else configured_max_timer_cycles(),
        process_ids={p.get("id") for t in docs.bpmn.values() for p in t.getroot().iter(_PROCESS)},
        decision_ids={d.get("id") for t in docs.dmn.values() for d in t.getroot().iter("{*}decision")},
    )
    checked = check_documents(docs.bpmn, docs.dmn, index)
    result = ParsedBundle(forms={n: d for n, d in docs.json.items() if isinstance(d, dict)})
    spiff = run_spiff(docs.bpmn, docs.dmn)
    result.process_ids, result.specs = spiff.process_ids, spiff.specs
    seen = {(p.file, p.element) for p in checked if p.severity == "error"}
    data_store_files = {p.file for p in checked if DATA_STORES_UNSUPPORTED in p.message}
    from_spiff = [
        p
        for p in spiff.problems
        if not already_found(p, seen)
        and not (p.file in data_store_files and any(key in p.message for key in SPIFF_DATA_STORE_MESSAGES))
    ]
    if not any(name.lower().endswith(".bpmn") for name in bundle.files):
        docs.problems.append(Problem("", None, None, "流程包中没有 BPMN 文件 (the bundle has no BPMN file)"))
    elif docs.bpmn and not spiff.problems and not result.process_ids:
        docs.problems.append(Problem("", None, None, "流程包中没有可执行的流程 (no executable process)"))
    problems = list(dict.fromkeys(docs.problems + checked + from_spiff))
    result.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
    return result


def _registered_connectors() -> tuple[frozenset[str], Problem | None]:
    """The registered connector names; a broken SHEQUFLOW_CONNECTORS is a problem of every bundle."""
    try:
        return connector_names(), None
    except ConnectorError as err:
        return frozenset(), Problem("", None, None, str(err))


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


# -- command line -------------------------------------------------------------------------------------
def lint_paths(
    paths: Iterable[str], *, known_roles: set[str] | None = None, known_connectors: Collection[str] | None = None
) -> list[Problem]:
    """Lint files and folders: a folder is one bundle; loose files are grouped by their folder.

    A loose file's bundle also holds the *.dmn and *.json files of its folder and of the folder's
    ``forms/`` subfolder, so that its decisions and forms resolve. Paths are reported as given.
    Connectors default to the registered ones, as for deploy.
    """
    problems: list[Problem] = []
    loose: dict[str, list[str]] = {}
    rules = {"known_roles": known_roles, "known_connectors": known_connectors}
    for path in paths:
        if os.path.isdir(path):
            problems += _lint_bundle(Bundle.from_dir(path), path, rules)
        elif os.path.isfile(path):
            loose.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
        else:
            problems.append(Problem(path, None, None, "文件或目录不存在 (no such file or directory)"))
    for folder, names in loose.items():
        wanted = sorted({*names, *_support_files(folder or ".")})
        problems += _lint_bundle(_read_files(folder or ".", wanted, MAX_FILE_BYTES, MAX_BUNDLE_BYTES), folder, rules)
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


def _lint_bundle(bundle: Bundle, folder: str, rules: dict[str, Any]) -> list[Problem]:
    parsed = parse_bundle(bundle, **rules)
    return [replace(p, file=os.path.join(folder, p.file) if p.file else folder or ".") for p in parsed.problems]
