"""Composition root: build the engine, its queries and directory from a database URL and a clock."""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.accounts.directory import Directory
from engine.clock import Clock, SystemClock
from engine.facade import ProcessEngine
from engine.runtime.queries import Queries
from engine.store.db import Database


@dataclass
class Services:
    """Everything an entry point (CLI, web, tests) needs, built once."""

    db: Database
    engine: ProcessEngine
    queries: Queries
    directory: Directory

    def close(self) -> None:
        self.db.dispose()


def database_url_from_env() -> str | None:
    """``SHEQUFLOW_DATABASE_URL`` or None (the embedded SQLite file)."""
    return os.environ.get("SHEQUFLOW_DATABASE_URL") or None


def build(
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    verify_state: bool = False,
    cache_size: int = 2000,
    password_method: str = "scrypt",
) -> Services:
    """Build the services for one database; nothing connects until first use."""
    db = Database(database_url or database_url_from_env())
    clock = clock or SystemClock()
    engine = ProcessEngine(db, clock, cache_size=cache_size, verify_state=verify_state)
    return Services(db=db, engine=engine, queries=Queries(db), directory=Directory(db, clock, password_method))
