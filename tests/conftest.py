"""Shared fixtures: real databases (a SQLite file and a PostgreSQL server), a movable clock, a directory.

Integration tests take the ``db_url`` fixture, parametrized over ``sqlite`` and ``postgres``. The schema
is built once per test session by the Alembic migrations (so the migrations are tested too); each
SQLite test copies that file, each PostgreSQL test truncates the tables of its worker's database.
PostgreSQL tests skip when no server answers — unless ``SHEQUFLOW_REQUIRE_POSTGRES=1`` (CI), where they
fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.bootstrap import Services, build
from engine.clock import ManualClock
from engine.definitions.bundle import Bundle
from engine.store.db import Database
from engine.store.migrate import upgrade
from engine.store.schema import metadata

FIXTURES = Path(__file__).parent / "fixtures"
ENGINE_BUNDLES = FIXTURES / "engine"
SHANGHAI = timezone(timedelta(hours=8))
STREET, OTHER_STREET, DISTRICT = "S-HY", "S-XJH", "310105"

os.environ.setdefault("SHEQUFLOW_VERIFY_STATE", "1")
FAST_HASH = "pbkdf2:sha256:1000"  # test accounts only: production hashes use scrypt (the default)


def postgres_admin_url() -> str:
    return os.environ.get("SHEQUFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(postgres_admin_url(), connect_timeout=3):
            return None
    except Exception as exc:
        return str(exc)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("SHEQUFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    import psycopg

    name = f"shequflow_test_{uuid.uuid4().hex[:10]}"
    admin = postgres_admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    db = Database(url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with db.transaction() as tx:
        tx.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "shequflow.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate(url)
    return url


@pytest.fixture
def clock() -> ManualClock:
    """Monday 2026-03-02 09:00 in Shanghai."""
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def services(db_url: str, clock: ManualClock) -> Iterator[Services]:
    s = build(
        db_url, clock=clock, verify_state=os.environ.get("SHEQUFLOW_VERIFY_STATE") == "1", password_method=FAST_HASH
    )
    yield s
    s.close()


@pytest.fixture
def world(services: Services) -> Services:
    """A district with two streets, caseworkers, a leader, a process owner and an organization user."""
    d = services.directory
    d.add_district(DISTRICT, "长宁区")
    d.add_street(STREET, "华阳路街道", DISTRICT)
    d.add_street(OTHER_STREET, "新泾镇", DISTRICT)
    org = d.add_organization("华阳社区睦邻服务社", STREET)
    people = [
        ("clerk", "街道社区自治办经办人", "street", STREET),
        ("clerk2", "街道社区自治办经办人", "street", STREET),
        ("other_clerk", "街道社区自治办经办人", "street", OTHER_STREET),
        ("leader", "街道领导", "street", STREET),
        ("mediator", "调解员", "street", STREET),
        ("owner", "流程管理员", "district", DISTRICT),
        ("org_user", "申请人", "organization", str(org)),
    ]
    for username, role, scope, scope_id in people:
        d.add_user(username, "password123", username)
        d.grant(username, role, scope, scope_id)
    return services


def deploy(services: Services, name: str, *, publish: bool = True) -> None:
    """Deploy one of the engine test bundles."""
    services.engine.definitions.deploy(Bundle.from_dir(ENGINE_BUNDLES / name), "tester", publish=publish)
