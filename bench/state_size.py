"""Storage footprint of completed cases: bytes of state rows, projection rows and audit rows.

``python -m bench.state_size`` measures

* one completed mediation case — the full case of :mod:`bench.mediation_case` (intake to closing,
  9 human tasks, 2 timers), run through the façade on a fresh SQLite file;
* one completed purchase case — the three-year purchase scenario of ``features/purchase.feature``
  (§5.6 场景2: procurement, award, contract and three yearly evaluations), run by pytest-bdd on SQLite
  with ``SHEQUFLOW_FOOTPRINT_OUT`` set, so the acceptance harness writes the footprint of every case
  it completed (see ``tests/acceptance/conftest.py``).

"State rows" are the instance header (``instances.state``, or ``state_packed`` once the case ended)
plus its ``instance_tasks`` rows;
"projection rows" the ``human_tasks`` and ``message_subscriptions`` rows; "audit rows" the
``audit_events`` rows. Sizes are UTF-8 bytes of every column's text (numbers as their decimal text,
binary columns as their bytes), so they compare across databases. Prints ``state_bytes_mediation N``
… on its last lines; goal ≤ 10 KB of state rows per completed case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import mediation_case
from bench.common import ROOT, STREET, deploy, fresh_services
from engine.clock import ManualClock

TABLES = {
    "state": [
        ("SELECT state, state_packed FROM instances WHERE id = :i", ()),
        ("SELECT task_id, workflow_id, body FROM instance_tasks WHERE instance_id = :i", ()),
    ],
    "projection": [
        ("SELECT * FROM human_tasks WHERE instance_id = :i", ()),
        ("SELECT * FROM message_subscriptions WHERE instance_id = :i", ()),
    ],
    "audit": [("SELECT * FROM audit_events WHERE instance_id = :i", ())],
}


def _bytes(rows: list[Any]) -> int:
    return sum(
        len(bytes(v)) if isinstance(v, bytes | memoryview) else len(str(v).encode())
        for r in rows
        for v in r
        if v is not None
    )


def footprint(services: Any, instance_id: int) -> dict[str, int]:
    """Bytes of state, projection and audit rows of one case."""
    out: dict[str, int] = {}
    with services.db.transaction(write=False) as tx:
        for kind, queries in TABLES.items():
            out[kind] = sum(_bytes(tx.all(sql, {"i": instance_id})) for sql, _ in queries)
        out["task_rows"] = int(
            tx.scalar("SELECT COUNT(*) FROM instance_tasks WHERE instance_id = :i", {"i": instance_id})
        )
    return out


def mediation() -> dict[str, int]:
    clock = ManualClock(mediation_case.START)
    services = fresh_services(clock=clock, roles=mediation_case.ROLES)
    try:
        deploy(services, mediation_case.FOLDER)
        actor = services.engine.actor("bench")
        mediation_case.run_facade(services, actor, clock, STREET)
        with services.db.transaction(write=False) as tx:
            case = int(tx.scalar("SELECT MAX(id) FROM instances WHERE status = 'completed'"))
        return footprint(services, case)
    finally:
        services.close()


PURCHASE_SCENARIO = "三年全部完成 and sqlite"


def purchase() -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "footprint.json"
        env = {**os.environ, "SHEQUFLOW_FOOTPRINT_OUT": str(out)}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        cmd += ["tests/acceptance/test_purchase.py", "-k", PURCHASE_SCENARIO]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"purchase scenario failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        cases = [c for c in json.loads(out.read_text()) if c["process_key"] == "purchase"]
    if not cases:
        raise RuntimeError("the purchase scenario completed no purchase case")
    return max(cases, key=lambda c: c["state"])


def main() -> None:
    results = {"mediation": mediation(), "purchase": purchase()}
    for name, sizes in results.items():
        print(f"# {name}: {sizes['task_rows']} task rows")
    for name, sizes in results.items():
        print(f"state_bytes_{name} {sizes['state']}")
        print(f"projection_bytes_{name} {sizes['projection']}")
        print(f"audit_bytes_{name} {sizes['audit']}")


if __name__ == "__main__":
    main()
