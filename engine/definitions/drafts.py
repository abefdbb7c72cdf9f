"""Workbench drafts: one editable draft per process, saved with an optimistic version, and publishing it.

A draft holds the files of a process's bundle (BPMN, DMN, forms) plus its Gherkin feature
(``features/<process>.feature``, which deploy never sees). Every save names the ``lock_version`` it
edited; a save against an older one raises :class:`ConflictError` and writes nothing, so two owners
editing the same draft never overwrite each other.

Publishing deploys the draft's bundle as a new published version (running cases stay on theirs) and
needs a green scenario run of exactly the draft's current content. A *platform administrator* — a
process owner whose grant of the process-owner role has district scope — may publish without one by
giving a reason. Each publication is written to ``publish_records`` (who, when, scenarios passed or
overridden and why), the version history the workbench shows. The draft is removed once published.
"""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass
from typing import Any

import orjson

from engine.accounts.authz import Actor
from engine.accounts.roles import role_settings
from engine.clock import Clock, to_db_time
from engine.definitions.bundle import SUFFIXES, Bundle, Problem, parse_bundle
from engine.definitions.versions import Definitions, DeployResult
from engine.errors import ConflictError, InputError, InvalidStateError, NotFoundError, PermissionDeniedError
from engine.store.db import Database, Tx

DRAFT_COLUMNS = (
    "process_key, files, lock_version, base_version, updated_by, updated_at, test_hash, test_passed, "
    "test_report, tested_at"
)


def feature_path(process_key: str) -> str:
    """Where a draft keeps its process's scenarios."""
    return f"features/{process_key}.feature"


def deployable(files: dict[str, bytes]) -> Bundle:
    """The part of a draft that deploy reads: BPMN, DMN and JSON files (not the feature)."""
    return Bundle.from_files({n: d for n, d in files.items() if n.lower().endswith(SUFFIXES)})


def content_hash(files: dict[str, bytes]) -> str:
    """A digest over every file of a draft, the feature included (a scenario run is for this content)."""
    return Bundle.from_files(files).content_hash()


def require_owner(actor: Actor) -> None:
    """Only process owners (the configured role, in any scope) use the workbench."""
    owner = role_settings().process_owner
    if actor.is_system or actor.streets_by_role.get(owner) or actor.orgs_by_role.get(owner):
        return
    raise PermissionDeniedError("只有流程管理员可以使用流程工作台", "Only process owners may use the workbench")


def is_platform_admin(actor: Actor) -> bool:
    """A process owner with district scope: may publish a draft whose scenarios are not green."""
    owner = role_settings().process_owner
    return any(g.role == owner and g.scope_type == "district" for g in actor.grants)


@dataclass(frozen=True)
class Draft:
    """The editable copy of one process's bundle."""

    process_key: str
    files: dict[str, bytes]
    lock_version: int
    base_version: int | None
    updated_by: str
    updated_at: str
    test_hash: str | None
    test_passed: bool | None
    test_report: list[dict[str, Any]] | None
    tested_at: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Draft:
        files = {k: base64.b64decode(v) for k, v in orjson.loads(bytes(row[1])).items()}
        report = orjson.loads(row[8]) if row[8] else None
        passed = None if row[7] is None else bool(row[7])
        return cls(row[0], files, int(row[2]), row[3], row[4], row[5], row[6], passed, report, row[9])

    @property
    def content_hash(self) -> str:
        return content_hash(self.files)

    @property
    def green(self) -> bool:
        """Whether the last scenario run passed on exactly this content."""
        return bool(self.test_passed) and self.test_hash == self.content_hash


@dataclass(frozen=True)
class PublishRecord:
    """One publication in a process's history."""

    process_key: str
    version: int
    actor: str
    published_at: str
    scenarios: str  # passed | overridden
    override_reason: str | None


def _encode(files: dict[str, bytes]) -> bytes:
    return orjson.dumps({k: base64.b64encode(v).decode() for k, v in sorted(files.items())})


def check_names(files: dict[str, bytes]) -> None:
    """Refuse file names that are not plain relative paths."""
    for name in files:
        if not name or posixpath.normpath(name) != name or name.startswith(("/", "..")) or "\\" in name:
            raise InputError(f"文件名必须是规范的相对路径：{name}", f"Bad relative path: {name}")


class Drafts:
    """Drafts, their scenario results, and publishing them."""

    def __init__(self, db: Database, clock: Clock, definitions: Definitions) -> None:
        self.db = db
        self.clock = clock
        self.definitions = definitions

    def get(self, process_key: str, actor: Actor) -> Draft | None:
        """The process's draft, or None."""
        require_owner(actor)
        with self.db.transaction(write=False) as tx:
            return self._get(tx, process_key)

    @staticmethod
    def _get(tx: Tx, process_key: str) -> Draft | None:
        row = tx.one(f"SELECT {DRAFT_COLUMNS} FROM workbench_drafts WHERE process_key = :k", {"k": process_key})
        return Draft.from_row(row) if row else None

    def open(self, process_key: str, actor: Actor, feature: bytes | None) -> Draft:
        """Return the draft, creating it from the latest version's bundle (and the feature) if there is none."""
        require_owner(actor)
        with self.db.transaction() as tx:
            found = self._get(tx, process_key)
            if found is not None:
                return found
            row = tx.one(
                "SELECT v.version, b.files FROM process_versions v JOIN bundles b ON b.id = v.bundle_id "
                "WHERE v.process_key = :k ORDER BY v.version DESC LIMIT 1",
                {"k": process_key},
            )
            if row is None:
                raise NotFoundError(f"流程不存在：{process_key}", f"No such process: {process_key}")
            files = {k: base64.b64decode(v) for k, v in orjson.loads(bytes(row[1])).items()}
            if feature is not None:
                files[feature_path(process_key)] = feature
            self._insert(tx, process_key, files, int(row[0]), actor)
            draft = self._get(tx, process_key)
            assert draft is not None
            return draft

    def _insert(self, tx: Tx, process_key: str, files: dict[str, bytes], base: int | None, actor: Actor) -> None:
        tx.execute(
            "INSERT INTO workbench_drafts (process_key, files, lock_version, base_version, updated_by, updated_at) "
            "VALUES (:k, :f, 1, :b, :u, :t)",
            {"k": process_key, "f": _encode(files), "b": base, "u": actor.username, "t": self._now()},
        )

    def save(self, process_key: str, files: dict[str, bytes], lock_version: int, actor: Actor) -> Draft:
        """Replace the draft's files if it is still at ``lock_version``; otherwise a conflict, nothing written."""
        require_owner(actor)
        check_names(files)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE workbench_drafts SET files = :f, lock_version = lock_version + 1, updated_by = :u, "
                "updated_at = :t WHERE process_key = :k AND lock_version = :v",
                {"f": _encode(files), "u": actor.username, "t": self._now(), "k": process_key, "v": lock_version},
            )
            if tx.rowcount != 1:
                current = self._get(tx, process_key)
                who = current.updated_by if current else "?"
                raise ConflictError(
                    f"草稿已被 {who} 修改，请重新打开后再编辑（未保存任何内容）",
                    f"The draft was changed by {who}; reopen it (nothing was saved)",
                )
            draft = self._get(tx, process_key)
            assert draft is not None
            return draft

    def discard(self, process_key: str, actor: Actor) -> None:
        """Delete the draft."""
        require_owner(actor)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM workbench_drafts WHERE process_key = :k", {"k": process_key})

    def record_test(self, process_key: str, tested_hash: str, passed: bool, report: list[dict[str, Any]]) -> None:
        """Keep the result of a scenario run for the content it ran on."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE workbench_drafts SET test_hash = :h, test_passed = :p, test_report = :r, tested_at = :t "
                "WHERE process_key = :k",
                {"h": tested_hash, "p": passed, "r": orjson.dumps(report).decode(), "t": self._now(), "k": process_key},
            )

    def publish(
        self,
        process_key: str,
        actor: Actor,
        *,
        override_reason: str | None = None,
        known_roles: set[str] | None = None,
    ) -> DeployResult:
        """Deploy the draft as a new published version; needs green scenarios or an administrator's reason."""
        require_owner(actor)
        draft = self.get(process_key, actor)
        if draft is None:
            raise NotFoundError(f"流程“{process_key}”没有草稿", f"No draft of '{process_key}'")
        self._check_base(process_key, draft)
        reason = (override_reason or "").strip()
        if not draft.green:
            if not reason:
                raise InvalidStateError(
                    "草稿的场景测试尚未全部通过，不能发布（平台管理员可填写理由强制发布）",
                    "The draft's scenarios have not passed; an administrator may override with a reason",
                )
            if not is_platform_admin(actor):
                raise PermissionDeniedError(
                    "只有区级流程管理员（平台管理员）可以跳过场景测试发布", "Only a platform administrator may override"
                )
        result = self.definitions.deploy(deployable(draft.files), actor.username, publish=True, known_roles=known_roles)
        # identical content deploys as the existing version: nothing new to record
        mine = [v for v in result.versions if v.process_key == process_key and v.version > (draft.base_version or 0)]
        feature = draft.files.get(feature_path(process_key))
        with self.db.transaction() as tx:
            for v in mine:
                tx.execute(
                    "INSERT INTO publish_records (process_key, version, content_hash, actor, published_at, scenarios, "
                    "override_reason, feature) VALUES (:k, :v, :h, :a, :t, :s, :r, :f)",
                    {
                        "k": process_key,
                        "v": v.version,
                        "h": v.content_hash,
                        "a": actor.username,
                        "t": self._now(),
                        "s": "passed" if draft.green else "overridden",
                        "r": None if draft.green else reason,
                        "f": feature.decode("utf-8", "replace") if feature is not None else None,
                    },
                )
            tx.execute("DELETE FROM workbench_drafts WHERE process_key = :k", {"k": process_key})
        return result

    def _check_base(self, process_key: str, draft: Draft) -> None:
        """Refuse to publish a draft opened before another version appeared: it would silently undo that one."""
        with self.db.transaction(write=False) as tx:
            latest = tx.scalar("SELECT MAX(version) FROM process_versions WHERE process_key = :k", {"k": process_key})
        if latest is not None and draft.base_version is not None and int(latest) > draft.base_version:
            raise ConflictError(
                f"草稿基于 v{draft.base_version}，其后已有 v{latest}；请下载草稿、删除后基于新版本重新编辑",
                f"The draft is based on v{draft.base_version} but v{latest} exists since; rebase it",
            )

    def feature_of(self, process_key: str, version: int | None = None) -> bytes | None:
        """The scenarios a version (default: the latest published through the workbench) was published with."""
        where, params = "process_key = :k AND feature IS NOT NULL", dict[str, object](k=process_key)
        if version is not None:
            where, params = where + " AND version = :v", {**params, "v": version}
        with self.db.transaction(write=False) as tx:
            text = tx.scalar(f"SELECT feature FROM publish_records WHERE {where} ORDER BY id DESC LIMIT 1", params)
        return None if text is None else str(text).encode("utf-8")

    def history(self, process_key: str) -> list[PublishRecord]:
        """Publications of a process through the workbench, newest first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT process_key, version, actor, published_at, scenarios, override_reason FROM publish_records "
                "WHERE process_key = :k ORDER BY id DESC",
                {"k": process_key},
            )
        return [PublishRecord(*r) for r in rows]

    def _now(self) -> str:
        now = to_db_time(self.clock.now())
        assert now is not None
        return now


def lint(
    files: dict[str, bytes], known_roles: set[str] | None = None, skipped: dict[str, int] | None = None
) -> list[Problem]:
    """The checks of ``shequflow lint`` on a draft's deployable files (``skipped``: files left unread for size)."""
    bundle = deployable(files)
    bundle.skipped = dict(skipped or {})
    return parse_bundle(bundle, known_roles=known_roles).problems
