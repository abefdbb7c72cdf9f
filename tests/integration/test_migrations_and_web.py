"""The Alembic migrations build exactly the schema the code declares; the web app serves over it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.bootstrap import Services
from engine.store.schema import metadata
from tests.conftest import deploy
from web import create_app


def test_migrated_schema_matches_the_declared_tables(services: Services) -> None:
    with services.db.sa.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_status_page_lists_published_processes_in_chinese(world: Services) -> None:
    deploy(world, "approval")
    client = create_app({"SHEQUFLOW_SERVICES": world}).test_client()
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "社区治理流程平台" in text and "测试审批（approval）" in text and "published" in text
    assert client.get("/healthz").get_json() == {"status": "ok"}
