"""``shequflow seed-demo`` builds the demo world from bpmn/: processes, accounts for every lane, cases in flight."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.bootstrap import build
from engine.demo import DEMO_PASSWORD, role_declarations
from web.cli import main

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def test_seed_demo_publishes_every_process_with_accounts_and_cases_in_flight(db_url: str) -> None:
    result = CliRunner().invoke(main, ["--database-url", db_url, "seed-demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    expected_cases = sum(len(json.loads(p.read_text(encoding="utf-8"))) for p in BPMN.glob("*/demo_cases.json"))
    assert f"新建演示案件 {expected_cases} 件" in result.output
    services = build(db_url)
    try:
        published = {v.process_key for v in services.engine.definitions.list_versions() if v.status == "published"}
        assert {"registration", "purchase", "mediation"} <= published
        for entry in role_declarations(BPMN):
            assert entry["account"] in result.output, entry
        some_account = result.output.split("演示账号")[1].split()[2]
        assert services.directory.authenticate(some_account, DEMO_PASSWORD) is not None
        with services.db.transaction(write=False) as tx:
            statuses = [r[0] for r in tx.all("SELECT status FROM instances")]
            ready = tx.scalar("SELECT COUNT(*) FROM human_tasks WHERE state = 'READY'")
        assert len(statuses) == expected_cases and "error" not in statuses
        assert ready >= expected_cases - statuses.count("completed") - statuses.count("waiting")
    finally:
        services.close()
    again = CliRunner().invoke(main, ["--database-url", db_url, "seed-demo"], catch_exceptions=False)
    assert again.exit_code == 0 and "新建演示案件 0 件" in again.output  # idempotent
