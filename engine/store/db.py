"""Database access: one SQLAlchemy engine (pool, URL handling, migrations) and a lean transaction.

Why raw driver statements: a task completion is a handful of small statements, and SQLAlchemy's
per-call overhead (≈70 µs per Core execute, ≈150 µs per ``engine.begin()``) would be the largest cost on
that path (see shared perf notes). :meth:`Database.transaction` therefore borrows a pooled DBAPI
connection and runs plain SQL through its cursor; SQLAlchemy still owns pooling, URLs and the schema.

SQL is written once with ``:name`` parameters and rewritten to ``%(name)s`` for psycopg. On SQLite each
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing
late with ``database is locked`` when upgrading a read snapshot; ``busy_timeout`` bounds the wait.

SQLite runs in WAL mode with ``synchronous=NORMAL``. Its automatic checkpoint would run inside whichever
commit crosses the WAL threshold and fsync there — measured at a third of a step's persistence cost — so a
background thread checkpoints instead (PASSIVE, about once a second, never blocking writers), and the
automatic checkpoint stays only as a far-off safety net.

A value the database refuses as data (PostgreSQL's ``DataError``: a NUL byte in text, a string longer than
its column, a number out of range) is the caller's input, not a defect: :meth:`Database.transaction`
rolls back and raises :class:`~engine.errors.InputError`, on every read and write path alike.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from engine.errors import InputError

DEFAULT_SQLITE_PATH = Path("instance") / "shequflow.db"

SAFETY_AUTOCHECKPOINT_PAGES = 25000  # ≈100 MB of WAL: only if the background checkpointer falls behind
CHECKPOINT_INTERVAL_SECONDS = 1.0


def _data_errors() -> tuple[type[BaseException], ...]:
    with contextlib.suppress(ImportError):
        import psycopg

        return (psycopg.errors.DataError,)
    return ()


_DATA_ERRORS = _data_errors()
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


@lru_cache(maxsize=1024)
def _to_pyformat(sql: str) -> str:
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def default_url() -> str:
    """Return the embedded SQLite URL under ``instance/``."""
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Tx:
    """A transaction on a DBAPI cursor with ``:name`` parameters on every dialect."""

    def __init__(self, cursor: Any, dialect: str) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self._pg = dialect == "postgresql"

    def _sql(self, sql: str) -> str:
        return _to_pyformat(sql) if self._pg else sql

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one statement and return the cursor."""
        self.cursor.execute(self._sql(sql), params or {})
        return self.cursor

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement for many parameter sets."""
        if rows:
            self.cursor.executemany(self._sql(sql), rows)

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        """Return the first row or None."""
        row: tuple[Any, ...] | None = self.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Return every row."""
        rows: list[tuple[Any, ...]] = self.execute(sql, params).fetchall()
        return rows

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Return the first column of the first row, or None."""
        row = self.one(sql, params)
        return row[0] if row else None

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)


class _Checkpointer:
    """Background WAL checkpoints for one SQLite file, off the request path."""

    def __init__(self, path: str, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.dirty = threading.Event()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def touch(self) -> None:
        """Note a committed write; start the thread on first use."""
        self.dirty.set()
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                    self.thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=1000")
        try:
            while not self.stopped.wait(self.interval):
                if self.dirty.is_set():
                    self.dirty.clear()
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=5)


class Database:
    """The engine's database: pooled connections and lean transactions."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_url(url or default_url())
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        self._checkpointer: _Checkpointer | None = None
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                self._checkpointer = _Checkpointer(database)
            self.sa = create_engine(self.url, pool_size=8, max_overflow=16, pool_timeout=60)
            _configure_sqlite(self.sa)
        else:
            self.sa = create_engine(self.url, pool_size=8, max_overflow=16, pool_pre_ping=False)

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """Run one transaction; commit on success, roll back on any exception (data refused: InputError)."""
        raw = self.sa.raw_connection()
        try:
            cursor = raw.cursor()
            if self.dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(cursor, self.dialect)
            except _DATA_ERRORS as exc:
                raw.rollback()
                raise InputError("数据超出允许的长度或格式", "Data exceeds the allowed length or format") from exc
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
        finally:
            raw.close()
        if write and self._checkpointer is not None:
            self._checkpointer.touch()

    def dispose(self) -> None:
        """Stop the checkpointer and close every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.sa.dispose()


def lock_clause(dialect: str) -> str:
    """Row-lock suffix for a SELECT that claims work (``SKIP LOCKED`` on PostgreSQL)."""
    return " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
