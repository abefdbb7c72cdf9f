"""Tamper evidence for everything a case stores: keyed audit chains, state digests, projection checks, anchors.

An operator with database access must not be able to change a case's history, state or task list
without ``shequflow verify`` noticing. Four mechanisms, all keyed with a server secret that is not in
the database (so rows cannot simply be recomputed after an edit):

* **Audit chains** — each audit row's hash is a keyed hash (BLAKE2b with the key, a MAC like HMAC)
  of the previous hash and the row; the chain head (seq
  and hash) sits on the case row (:mod:`engine.runtime.audit`).
* **State digests** — every step stores ``instances.state_digest``: a keyed hash over the workflow header
  (or the packed state of an ended case), the sum of keyed digests of every task row, the audit head,
  the lock version, the status, the street and the organization. The per-row digests are kept with the
  live workflow and updated for the rows a step writes, so a step costs O(rows written). Editing an
  amount in ``instance_tasks``, rolling the audit head back to an earlier row, or moving a case to
  another street breaks the digest.
* **Projection** — ``human_tasks`` is derived data: verify restores each open case and compares its
  ready human tasks (id, role, street, organization) with the stored rows, so a task row moved to
  another street is found.
* **Anchors** — ``shequflow audit anchor`` writes every case's chain head, signed, to a file the
  operator keeps elsewhere; verify with that file finds cases deleted whole, and chains cut back below
  an anchored head.

The key: ``SHEQUFLOW_AUDIT_KEY`` (any string of at least 16 characters, the same on every host sharing
a database), else the file ``SHEQUFLOW_AUDIT_KEY_FILE`` (default ``instance/audit.key``), created with 32
random bytes and mode 0600 on first use. Losing the key makes every chain unverifiable; keep a copy with the backups.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from functools import lru_cache
from pathlib import Path

DEFAULT_KEY_FILE = Path("instance") / "audit.key"
MIN_KEY_LENGTH = 16  # characters of SHEQUFLOW_AUDIT_KEY, bytes of the key file
KEY_FILE_WAIT_SECONDS = 1.0
_MOD = 1 << 256


@lru_cache(maxsize=1)
def audit_key() -> bytes:
    """The server secret keying audit hashes and state digests.

    An explicit ``SHEQUFLOW_AUDIT_KEY`` shorter than :data:`MIN_KEY_LENGTH` characters is refused. Of
    several processes starting at once, one creates the key file (``O_EXCL``) and writes it; the others
    may find it created but not yet written, so a file shorter than :data:`MIN_KEY_LENGTH` bytes is read
    again for up to :data:`KEY_FILE_WAIT_SECONDS` before it is refused.
    """
    explicit = os.environ.get("SHEQUFLOW_AUDIT_KEY")
    if explicit:
        if len(explicit) < MIN_KEY_LENGTH:
            raise RuntimeError(
                f"SHEQUFLOW_AUDIT_KEY 太短：至少 {MIN_KEY_LENGTH} 个字符（当前 {len(explicit)} 个）"
                f" / SHEQUFLOW_AUDIT_KEY is too short: at least {MIN_KEY_LENGTH} characters (got {len(explicit)})"
            )
        return explicit.encode()
    path = Path(os.environ.get("SHEQUFLOW_AUDIT_KEY_FILE") or DEFAULT_KEY_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    return path.read_bytes()


def _read_key_file(path: Path) -> bytes:
    """The key file's bytes, waiting a moment for a writer that created it but has not written it yet."""
    deadline = time.monotonic() + KEY_FILE_WAIT_SECONDS
    while True:
        key = path.read_bytes()
        if len(key) >= MIN_KEY_LENGTH:
            return key
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"审计密钥文件 {path} 太短（{len(key)} 字节，至少 {MIN_KEY_LENGTH}）"
                f" / audit key file {path} is too short ({len(key)} bytes, at least {MIN_KEY_LENGTH})"
            )
        time.sleep(0.02)


def mac(*parts: str | bytes) -> str:
    """Keyed BLAKE2b (256 bits) of the parts, each length-prefixed so that no two part lists collide; hex."""
    h = hashlib.blake2b(key=audit_key()[:64], digest_size=32)
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode()
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def row_digest(task_id: str, workflow_id: str | None, body: str) -> int:
    """Keyed digest of one task row, as a number to add up (order-free, updatable row by row).

    One keyed BLAKE2b call per row written (~1 µs): task ids and workflow ids are UUIDs and bodies are
    orjson output, none of which contains a NUL byte, so NUL separates the three unambiguously.
    """
    data = f"{task_id}\0{workflow_id or ''}\0{body}".encode()
    return int.from_bytes(hashlib.blake2b(data, key=audit_key()[:64], digest_size=32).digest(), "big")


def rows_sum(digests: dict[str, int]) -> int:
    return sum(digests.values()) % _MOD


def case_identity(
    version_id: int, process_key: str, business_key: str | None, title: str, started_by: str
) -> tuple[object, ...]:
    """The facts of a case row that the state digest seals besides its state."""
    return (version_id, process_key, business_key, title, started_by)


def state_digest(
    state: str | bytes,
    rows: int,
    audit_seq: int,
    audit_head: str,
    lock_version: int,
    status: str,
    street: str | None,
    organization_id: int | None,
    identity: tuple[object, ...] = (),
) -> str:
    """The digest a step records for a case's stored state and the facts on its row.

    ``identity``: the row's facts that only a migration may change — process version, process key,
    business key, title and who started it (see :func:`case_identity`).
    """
    return mac(
        json.dumps([str(v) if v is not None else None for v in identity], ensure_ascii=False),
        state,
        format(rows % _MOD, "x"),
        str(audit_seq),
        audit_head,
        str(lock_version),
        status,
        street or "",
        "" if organization_id is None else str(organization_id),
    )
