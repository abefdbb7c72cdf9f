"""Comments and attachments on cases, and inbox filters saved for oneself or shared with a role.

Whoever may see a case (``Queries.instance``) may read and add its comments and attachments; nobody
else learns that they exist. Attachments live in the database, so every web host sharing it serves
them; their size and type are limited here (by extension and by the file's first bytes, so a renamed
executable is refused).

A saved filter's query is parsed and re-encoded before it is stored (:func:`normalize_filter_query`):
the inbox redirects to it and links to it, so a raw CR/LF or other control character (typed, or
percent-encoded) is refused rather than stored to break a ``Location`` header later.

A filter shared with a role carries the sharer's scope for that role (the streets — a district grant
expanded to its streets at the time of saving — and organizations where the sharer holds it), and is
offered only to holders of the role whose grants for it overlap that scope: a street's clerks do not see
the filters of every other street's clerks. A shared filter without a scope (saved before the scope was
recorded and not back-filled) is offered to its owner only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from engine.accounts.authz import Actor
from engine.clock import to_db_time
from engine.errors import InputError, NotFoundError, PermissionDeniedError
from engine.runtime.queries import Queries
from engine.store.db import Database

MAX_COMMENT = 4000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_CASE = 200
# extension → (content type, accepted leading bytes; empty: any text without NUL bytes)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
    "txt": ("text/plain; charset=utf-8", ()),
}
MAX_SAVED_FILTERS = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _role_places(actor: Actor, role: str) -> set[str]:
    """Where the actor holds the role, as ``street:<code>`` and ``organization:<id>`` tokens."""
    return {f"street:{s}" for s in actor.streets_by_role.get(role, ())} | {
        f"organization:{o}" for o in actor.orgs_by_role.get(role, ())
    }


def normalize_filter_query(query: str) -> str:
    """The inbox query string, parsed and re-encoded; InputError if it holds a control character."""
    raw = (query or "").strip().lstrip("?")
    pairs = parse_qsl(raw, keep_blank_values=True)
    if _CONTROL.search(raw) or any(_CONTROL.search(k) or _CONTROL.search(v) for k, v in pairs):
        raise InputError("筛选条件不能包含控制字符（如换行）", "The filter query may not contain control characters")
    return urlencode(pairs)


@dataclass(frozen=True)
class CommentView:
    id: int
    instance_id: int
    task_id: str | None
    author: str
    body: str
    created_at: str


@dataclass(frozen=True)
class AttachmentView:
    id: int
    instance_id: int
    task_id: str | None
    uploaded_by: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: str


@dataclass(frozen=True)
class SavedFilterView:
    id: int
    owner: str
    name: str
    query: str
    shared_role: str | None


def _clean_filename(name: str) -> tuple[str, str]:
    base = re.split(r"[\\/]", name or "")[-1].strip().replace("\x00", "")
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "_", base)[-200:]
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if not base or ext not in ALLOWED_TYPES:
        raise InputError(
            f"不支持的文件类型，允许：{', '.join(sorted(ALLOWED_TYPES))}",
            f"File type not allowed; allowed: {', '.join(sorted(ALLOWED_TYPES))}",
        )
    return base, ext


def _check_content(ext: str, content: bytes) -> str:
    content_type, magics = ALLOWED_TYPES[ext]
    if not content:
        raise InputError("文件为空", "The file is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InputError(
            f"文件不能超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
            f"Files may not exceed {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB",
        )
    ok = any(content.startswith(m) for m in magics) if magics else b"\x00" not in content[:8192]
    if not ok:
        raise InputError("文件内容与扩展名不符", "The file's content does not match its extension")
    return content_type


class Collaboration:
    """Comments, attachments and saved filters, scoped by the actor's grants."""

    def __init__(self, db: Database, queries: Queries) -> None:
        self.db = db
        self.queries = queries

    # -- comments ----------------------------------------------------------------------------------
    def add_comment(self, actor: Actor, instance_id: int, body: str, now: datetime, task_id: str | None = None) -> int:
        """Add a comment to a case the actor may see (optionally about one of its tasks)."""
        self.queries.instance(actor, instance_id)
        text = (body or "").strip()
        if not text or len(text) > MAX_COMMENT:
            raise InputError(f"意见不能为空，不超过{MAX_COMMENT}字", f"Comment required, at most {MAX_COMMENT} chars")
        if task_id is not None and self.queries.task(actor, task_id).instance_id != instance_id:
            raise NotFoundError("任务不属于该案件", "The task is not part of this case")
        with self.db.transaction() as tx:
            return int(
                tx.scalar(
                    "INSERT INTO comments (instance_id, task_id, author, body, created_at) "
                    "VALUES (:i, :t, :a, :b, :c) RETURNING id",
                    {"i": instance_id, "t": task_id, "a": actor.username, "b": text, "c": to_db_time(now)},
                )
            )

    def comments(self, actor: Actor, instance_id: int) -> list[CommentView]:
        """Comments of a case the actor may see, oldest first."""
        self.queries.instance(actor, instance_id)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id, instance_id, task_id, author, body, created_at FROM comments WHERE instance_id = :i "
                "ORDER BY id",
                {"i": instance_id},
            )
        return [CommentView(*r) for r in rows]

    # -- attachments -------------------------------------------------------------------------------
    def add_attachment(
        self,
        actor: Actor,
        instance_id: int,
        filename: str,
        content: bytes,
        now: datetime,
        task_id: str | None = None,
    ) -> int:
        """Store a file on a case the actor may see, after checking its size and type."""
        self.queries.instance(actor, instance_id)
        if task_id is not None and self.queries.task(actor, task_id).instance_id != instance_id:
            raise NotFoundError("任务不属于该案件", "The task is not part of this case")
        name, ext = _clean_filename(filename)
        content_type = _check_content(ext, content)
        with self.db.transaction() as tx:
            count = tx.scalar("SELECT COUNT(*) FROM attachments WHERE instance_id = :i", {"i": instance_id})
            if int(count or 0) >= MAX_ATTACHMENTS_PER_CASE:
                raise InputError("该案件的附件数量已达上限", "This case has reached its attachment limit")
            return int(
                tx.scalar(
                    "INSERT INTO attachments (instance_id, task_id, uploaded_by, filename, content_type, size, "
                    "sha256, content, created_at) VALUES (:i, :t, :u, :f, :ct, :s, :h, :c, :at) RETURNING id",
                    {
                        "i": instance_id,
                        "t": task_id,
                        "u": actor.username,
                        "f": name,
                        "ct": content_type,
                        "s": len(content),
                        "h": hashlib.sha256(content).hexdigest(),
                        "c": content,
                        "at": to_db_time(now),
                    },
                )
            )

    def attachments(self, actor: Actor, instance_id: int) -> list[AttachmentView]:
        """The files of a case the actor may see (without their content)."""
        self.queries.instance(actor, instance_id)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id, instance_id, task_id, uploaded_by, filename, content_type, size, sha256, created_at "
                "FROM attachments WHERE instance_id = :i ORDER BY id",
                {"i": instance_id},
            )
        return [AttachmentView(*r) for r in rows]

    def attachment(self, actor: Actor, attachment_id: int) -> tuple[AttachmentView, bytes]:
        """One file with its content, if the actor may see its case (else "no such attachment", as if missing)."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT id, instance_id, task_id, uploaded_by, filename, content_type, size, sha256, created_at, "
                "content FROM attachments WHERE id = :id",
                {"id": attachment_id},
            )
        missing = NotFoundError(f"附件不存在：#{attachment_id}", f"No such attachment: #{attachment_id}")
        if row is None:
            raise missing
        try:
            self.queries.instance(actor, int(row[1]))
        except (NotFoundError, PermissionDeniedError):  # the same answer: neither file nor case is revealed
            raise missing from None
        return AttachmentView(*row[:9]), bytes(row[9])

    # -- saved filters -----------------------------------------------------------------------------
    def save_filter(self, actor: Actor, name: str, query: str, now: datetime, shared_role: str | None = None) -> int:
        """Save an inbox query under a name, for oneself or for every holder of one of one's roles."""
        name, query = (name or "").strip(), normalize_filter_query(query)
        if not name or len(name) > 100 or len(query) > 1000:
            raise InputError("名称必填（不超过100字），条件不超过1000字", "Name required (≤100), query ≤1000 chars")
        if shared_role and shared_role not in {g.role for g in actor.grants}:
            raise InputError("只能共享给自己担任的角色", "You can only share with a role you hold")
        scope = " ".join(sorted(_role_places(actor, shared_role))) if shared_role else None
        with self.db.transaction() as tx:
            count = tx.scalar("SELECT COUNT(*) FROM saved_filters WHERE owner = :o", {"o": actor.username})
            if int(count or 0) >= MAX_SAVED_FILTERS:
                raise InputError("保存的筛选已达上限", "Too many saved filters")
            return int(
                tx.scalar(
                    "INSERT INTO saved_filters (owner, name, query, shared_role, shared_scope, created_at) "
                    "VALUES (:o, :n, :q, :r, :sc, :t) RETURNING id",
                    {
                        "o": actor.username,
                        "n": name,
                        "q": query,
                        "r": shared_role or None,
                        "sc": scope,
                        "t": to_db_time(now),
                    },
                )
            )

    def filters(self, actor: Actor) -> list[SavedFilterView]:
        """The actor's own filters and those shared with a role they hold in an overlapping scope."""
        roles = sorted({g.role for g in actor.grants})
        names = ", ".join(f":r{i}" for i in range(len(roles))) or "NULL"
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id, owner, name, query, shared_role, shared_scope FROM saved_filters "
                f"WHERE owner = :o OR shared_role IN ({names}) ORDER BY name, id",
                {"o": actor.username, **{f"r{i}": r for i, r in enumerate(roles)}},
            )
        return [
            SavedFilterView(*r[:5])
            for r in rows
            if r[1] == actor.username or set((r[5] or "").split()) & _role_places(actor, str(r[4]))
        ]

    def delete_filter(self, actor: Actor, filter_id: int) -> None:
        """Delete one of the actor's own filters."""
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM saved_filters WHERE id = :id AND owner = :o", {"id": filter_id, "o": actor.username}
            )
            if tx.rowcount == 0:
                raise NotFoundError(f"筛选不存在：#{filter_id}", f"No such filter: #{filter_id}")
