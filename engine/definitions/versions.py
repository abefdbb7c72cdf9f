"""Process definitions: deploy a bundle as a new version, publish, retire, and cache parsed specs.

A deployment stores the bundle (BPMN + DMN + form files) once by content hash and creates one version
row per executable process in it, numbered per process key. Deploying identical content again returns
the existing versions (no new number). Versions are draft → published → retired: new cases start on the
latest published version; every case stays pinned to the version it started on, so publishing never
changes running cases. Parsed specs are cached per bundle hash for the life of the process.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from engine.clock import Clock, to_db_time
from engine.connectors import ConnectorError, connector_names
from engine.definitions.bundle import Bundle, ParsedBundle, Problem, parse_bundle
from engine.definitions.timers import max_timer_cycles
from engine.errors import BundleError, InvalidStateError, NotFoundError
from engine.store.db import Database, Tx

_PARSED: OrderedDict[tuple[Any, ...], ParsedBundle] = OrderedDict()
_PARSED_LOCK = threading.Lock()
PARSED_CACHE_SIZE = 64


def parse_cached(bundle: Bundle, known_roles: set[str] | None = None) -> ParsedBundle:
    """Parse a bundle once per content (and set of known roles, connectors, timer limit) for the life of the process.

    Parsing validates XML, XSD, forms and every expression — the slow part of a deployment; the result
    (specs included) is immutable once built, so identical content shares it. The registered connectors
    and the timer limit are part of the key: registering a connector makes a refused bundle deployable.
    """
    try:
        connectors: frozenset[str] | None = connector_names()
    except ConnectorError:
        connectors = None  # parse_bundle reports the broken configuration
    cycles = max_timer_cycles()
    key = (bundle.content_hash(), frozenset(known_roles) if known_roles is not None else None, connectors, cycles)
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
        if hit is not None:
            _PARSED.move_to_end(key)
            return hit
    parsed = parse_bundle(bundle, known_roles=known_roles, known_connectors=connectors, max_timer_cycles=cycles)
    with _PARSED_LOCK:
        _PARSED[key] = parsed
        while len(_PARSED) > PARSED_CACHE_SIZE:
            _PARSED.popitem(last=False)
    return parsed


VERSION_COLUMNS = (
    "id, process_key, version, name, status, content_hash, author, created_at, published_at, "
    "start_role, start_messages, bundle_id"
)


@dataclass(frozen=True)
class ProcessVersion:
    """One deployed version of one process."""

    id: int
    process_key: str
    version: int
    name: str
    status: str
    content_hash: str
    author: str
    created_at: str
    published_at: str | None
    start_role: str | None
    start_messages: tuple[str, ...]
    bundle_id: int

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ProcessVersion:
        values = list(row)
        values[10] = tuple(orjson.loads(values[10] or "[]"))
        return cls(*values)


@dataclass
class DeployResult:
    """What a deployment created or found, with any warnings."""

    versions: list[ProcessVersion]
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class LoadedSpec:
    """A parsed bundle ready to run: specs by process id and forms by file name."""

    parsed: ParsedBundle
    bundle: Bundle

    def spec(self, process_key: str) -> tuple[Any, dict[str, Any]]:
        return self.parsed.specs[process_key]

    def form(self, filename: str | None) -> dict[str, Any] | None:
        """Find a form schema by the file name a task names."""
        if not filename:
            return None
        forms = self.parsed.forms
        if filename in forms:
            return forms[filename]
        for path, schema in forms.items():
            if path.endswith("/" + filename):
                return schema
        return None


def start_info(spec: Any) -> tuple[str | None, list[str]]:
    """Return (the role that may start the process, names of its message start events).

    The role is the lane of the none start event, or — for a process that only starts on messages —
    the lane of its first message start event.
    """
    lane, message_lane, messages = None, None, []
    for ts in spec.task_specs.values():
        if isinstance(ts, StartEvent):
            if isinstance(ts.event_definition, MessageEventDefinition):
                messages.append(ts.event_definition.name)
                message_lane = message_lane or ts.lane
            elif lane is None:
                lane = ts.lane
    return lane or message_lane, sorted(messages)


def called_only(spec: Any) -> bool:
    """Whether the process is a level another process calls, never a case of its own.

    A phase of a process split into levels marks its none start event with the property
    ``calledOnly`` = ``true``; such a process is deployed and versioned with its caller, but nobody
    starts it from the start page, the API or the CLI.
    """
    for ts in spec.task_specs.values():
        if isinstance(ts, StartEvent) and not isinstance(ts.event_definition, MessageEventDefinition):
            props = (getattr(ts, "extensions", None) or {}).get("properties") or {}
            if str(props.get("calledOnly", "")).strip().lower() == "true":
                return True
    return False


class Definitions:
    """Deployed process versions and the parsed-spec cache."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[int, LoadedSpec] = {}
        self._lock = threading.Lock()

    # -- deployment ---------------------------------------------------------------------------------
    def deploy(
        self, bundle: Bundle, author: str, *, publish: bool = False, known_roles: set[str] | None = None
    ) -> DeployResult:
        """Validate a bundle and store it as new versions; nothing is stored if it has errors."""
        parsed = parse_cached(bundle, known_roles)
        errors = [p for p in parsed.problems if p.severity == "error"]
        if errors:
            raise BundleError(errors)
        warnings = [p for p in parsed.problems if p.severity != "error"]
        content_hash = bundle.content_hash()
        now = to_db_time(self.clock.now())
        versions = []
        with self.db.transaction() as tx:
            bundle_id = self._store_bundle(tx, bundle, content_hash, author, now)
            for key in parsed.process_ids:
                spec, _subs = parsed.specs[key]
                versions.append(self._store_version(tx, key, spec, bundle_id, content_hash, author, now, publish))
        return DeployResult(versions, warnings)

    def _store_bundle(self, tx: Tx, bundle: Bundle, content_hash: str, author: str, now: str | None) -> int:
        existing = tx.scalar("SELECT id FROM bundles WHERE content_hash = :h", {"h": content_hash})
        if existing is not None:
            return int(existing)
        files = orjson.dumps({k: base64.b64encode(v).decode() for k, v in sorted(bundle.files.items())})
        return int(
            tx.scalar(
                "INSERT INTO bundles (content_hash, files, created_at, author) VALUES (:h, :f, :t, :a) RETURNING id",
                {"h": content_hash, "f": files, "t": now, "a": author},
            )
        )

    def _store_version(
        self,
        tx: Tx,
        key: str,
        spec: Any,
        bundle_id: int,
        content_hash: str,
        author: str,
        now: str | None,
        publish: bool,
    ) -> ProcessVersion:
        latest = tx.one(
            f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE process_key = :k ORDER BY version DESC LIMIT 1",
            {"k": key},
        )
        if latest is not None and latest[5] == content_hash:
            if publish and latest[4] == "draft":
                tx.execute(
                    "UPDATE process_versions SET status = 'published', published_at = :t WHERE id = :id",
                    {"t": now, "id": latest[0]},
                )
                return self._version_by_id(tx, latest[0])
            return ProcessVersion.from_row(latest)
        number = (latest[2] if latest else 0) + 1
        lane, messages = start_info(spec)
        vid = tx.scalar(
            "INSERT INTO process_versions (process_key, version, name, bundle_id, content_hash, status, author, "
            "created_at, published_at, start_role, start_messages) VALUES (:k, :v, :n, :b, :h, :s, :a, :t, :p, "
            ":r, :m) RETURNING id",
            {
                "k": key,
                "v": number,
                "n": spec.description or key,
                "b": bundle_id,
                "h": content_hash,
                "s": "published" if publish else "draft",
                "a": author,
                "t": now,
                "p": now if publish else None,
                "r": lane,
                "m": orjson.dumps(messages).decode(),
            },
        )
        return self._version_by_id(tx, int(vid))

    def set_status(self, process_key: str, version: int, status: str) -> ProcessVersion:
        """Publish or retire a version (a retired version starts no new cases; its cases run on)."""
        if status not in ("published", "retired"):
            raise InvalidStateError(f"未知的版本状态：{status}", f"Unknown version status: {status}")
        now = to_db_time(self.clock.now())
        with self.db.transaction() as tx:
            vid = tx.scalar(
                "SELECT id FROM process_versions WHERE process_key = :k AND version = :v",
                {"k": process_key, "v": version},
            )
            if vid is None:
                raise NotFoundError(
                    f"流程版本不存在：{process_key} v{version}",
                    f"No such process version: {process_key} v{version}",
                )
            tx.execute(
                "UPDATE process_versions SET status = :s, published_at = COALESCE(published_at, :t) WHERE id = :id",
                {"s": status, "t": now if status == "published" else None, "id": vid},
            )
            return self._version_by_id(tx, int(vid))

    # -- lookups ------------------------------------------------------------------------------------
    @staticmethod
    def _version_by_id(tx: Tx, vid: int) -> ProcessVersion:
        row = tx.one(f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE id = :id", {"id": vid})
        if row is None:
            raise NotFoundError(f"流程版本不存在：#{vid}", f"No such process version: #{vid}")
        return ProcessVersion.from_row(row)

    def version(self, tx: Tx, vid: int) -> ProcessVersion:
        """Return a version by id."""
        return self._version_by_id(tx, vid)

    def startable(self, tx: Tx, process_key: str, version: int | None = None) -> ProcessVersion:
        """Return the version a new case starts on: the given one, or the latest published."""
        if version is not None:
            row = tx.one(
                f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE process_key = :k AND version = :v",
                {"k": process_key, "v": version},
            )
        else:
            row = tx.one(
                f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE process_key = :k AND status = 'published' "
                "ORDER BY version DESC LIMIT 1",
                {"k": process_key},
            )
        if row is None:
            raise NotFoundError(f"流程“{process_key}”没有已发布的版本", f"No published version of '{process_key}'")
        pv = ProcessVersion.from_row(row)
        if pv.status == "retired":
            raise InvalidStateError(
                f"流程版本已停用：{process_key} v{pv.version}",
                f"Version retired: {process_key} v{pv.version}",
            )
        return pv

    def list_versions(self, process_key: str | None = None) -> list[ProcessVersion]:
        """Every version, newest first per process."""
        with self.db.transaction(write=False) as tx:
            where, params = ("WHERE process_key = :k", {"k": process_key}) if process_key else ("", {})
            rows = tx.all(
                f"SELECT {VERSION_COLUMNS} FROM process_versions {where} ORDER BY process_key, version DESC",
                params,
            )
        return [ProcessVersion.from_row(r) for r in rows]

    def message_starts(self, tx: Tx, message_name: str) -> list[ProcessVersion]:
        """Latest published versions that start on this message."""
        rows = tx.all(
            f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE status = 'published' "
            "ORDER BY process_key, version DESC"
        )
        seen: set[str] = set()
        found: list[ProcessVersion] = []
        for row in rows:
            pv = ProcessVersion.from_row(row)
            if pv.process_key in seen:
                continue
            seen.add(pv.process_key)
            if message_name in pv.start_messages:
                found.append(pv)
        return found

    def loaded(self, tx: Tx, bundle_id: int) -> LoadedSpec:
        """Return the parsed bundle for a version's bundle id (parsed once per process)."""
        hit = self._cache.get(bundle_id)
        if hit is not None:
            return hit
        row = tx.one("SELECT files FROM bundles WHERE id = :id", {"id": bundle_id})
        if row is None:
            raise NotFoundError(f"流程包不存在：#{bundle_id}", f"No such bundle: #{bundle_id}")
        raw = row[0]
        files = {k: base64.b64decode(v) for k, v in orjson.loads(bytes(raw)).items()}
        bundle = Bundle.from_files(files)
        parsed = parse_cached(bundle)
        loaded = LoadedSpec(parsed, bundle)
        with self._lock:
            self._cache[bundle_id] = loaded
        return loaded
