"""Migrating running mediation cases to a new version with a changed time limit (``python -m bench.migration``).

Sets up a fresh SQLite database, publishes bpmn/mediation, and drives N cases (default 10,000) through
the façade to mixed steps: waiting at registration, at the mediator's assignment, at the social
organization's acceptance, and in the mediation session (a ready task with its time-limit and warning
timers waiting). Then it publishes a second version whose mediation time-limit timer (``mediation_expired``)
is edited in the BPMN text — 15 more days — dry-runs the migration of every case, migrates them in
batches of 500, and checks that nothing was lost: every case restores on its new version at the same
steps with the same status and data, session cases carry the new deadline, and ``verify_everything``
finds nothing.

The last two lines are ``migrate_dry_run_s`` (seconds for the dry run of all cases) and
``migrate_cases_per_s`` (cases migrated per second, each in its own transaction).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from bench.common import STREET, fresh_services
from bench.mediation_case import ACTIONS, FOLDER, ROLES, START
from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from engine.runtime.instances import INSTANCE_COLUMNS, InstanceRow, InstanceStore, LiveCache
from engine.runtime.verify import verify_everything

OLD_TIMER = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">end_of_day(mediationDeadline)</bpmn:timeDate>'
NEW_TIMER = (
    '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">end_of_day(add_days(mediationDeadline, 15))</bpmn:timeDate>'
)
STEPS = ["register_case", "assign_mediator", "accept_assignment", "session"]  # where a case is left waiting


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def drive_cases(services: Services, n: int) -> dict[int, str]:
    """Start ``n`` mediation cases and leave case i waiting at ``STEPS[i % 4]``; return case → step."""
    engine = services.engine
    actor = engine.actor("bench")
    answers = {what: value for what, value in ACTIONS if what != "+days"}
    cases: dict[int, str] = {}
    started = time.perf_counter()
    for i in range(n):
        case = engine.start("mediation", actor, street=STREET).instance_id
        target = STEPS[i % len(STEPS)]
        for step in STEPS[: STEPS.index(target)]:
            engine.complete(_ready(services, case, step), actor, answers[step])
        cases[case] = target
        if (i + 1) % 1000 == 0:
            _log(f"  {i + 1}/{n} cases driven ({time.perf_counter() - started:.0f} s)")
    return cases


def _ready(services: Services, case: int, bpmn_id: str) -> str:
    with services.db.transaction(write=False) as tx:
        task_id = tx.scalar(
            "SELECT id FROM human_tasks WHERE instance_id = :i AND bpmn_id = :b AND state = 'READY'",
            {"i": case, "b": bpmn_id},
        )
    if task_id is None:
        raise RuntimeError(f"case {case} is not at {bpmn_id}")
    return str(task_id)


def publish_new_timer(services: Services) -> None:
    """Deploy the mediation bundle with the time-limit timer's expression edited in memory."""
    bundle = Bundle.from_dir(FOLDER)
    text = bundle.files["mediation_sessions.bpmn"].decode()  # the 调解 phase holds the time limit
    if text.count(OLD_TIMER) != 1:
        raise RuntimeError("the mediation time-limit timer text was not found exactly once")
    files = {**bundle.files, "mediation_sessions.bpmn": text.replace(OLD_TIMER, NEW_TIMER).encode()}
    services.engine.definitions.deploy(Bundle.from_files(files), "bench", publish=True)


def snapshot(services: Services) -> dict[int, tuple[Any, ...]]:
    """Per case: status, ready human steps, workflow data and the time-limit timer's due time — from the database."""
    engine = services.engine
    store = InstanceStore(engine.definitions, engine.codec, LiveCache(0), engine.script_engine)
    out: dict[int, tuple[Any, ...]] = {}
    with engine.db.transaction(write=False) as tx:
        rows = [InstanceRow(*r) for r in tx.all(f"SELECT {INSTANCE_COLUMNS} FROM instances ORDER BY id")]
        for row in rows:
            live = store.load(tx, row)
            ready = sorted(t.task_spec.bpmn_id for t in live.wf.get_tasks(manual=True) if t.state == TaskState.READY)
            expiry = next(
                (
                    t.internal_data.get("event_value")
                    for t in live.wf.get_tasks()
                    if t.task_spec.bpmn_id == "mediation_expired" and t.state == TaskState.WAITING
                ),
                None,
            )
            data = engine.codec.dumps(
                [live.wf.last_task.data if live.wf.last_task else None]
                + [t.data for t in sorted(live.wf.get_tasks(manual=True, state=TaskState.READY), key=str)]
            )
            out[row.id] = (row.process_version_id, row.status, tuple(ready), data, expiry)
    return out


def check_nothing_lost(before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]], new_id: int) -> None:
    if before.keys() != after.keys():
        raise RuntimeError(f"cases lost or added: {sorted(before.keys() ^ after.keys())[:10]}")
    moved_deadline = 0
    for case, (_v, status, ready, data, expiry) in before.items():
        v2, status2, ready2, data2, expiry2 = after[case]
        if v2 != new_id or (status2, ready2, data2) != (status, ready, data):
            raise RuntimeError(f"case {case} changed: {(status, ready, data)} → {(v2, status2, ready2, data2)}")
        if expiry is not None:
            old, new = _when(expiry), _when(expiry2)
            if new - old != timedelta(days=15):
                raise RuntimeError(f"case {case}: time limit {expiry} → {expiry2}, expected 15 days later")
            moved_deadline += 1
    _log(f"  every case restores on the new version at the same steps; {moved_deadline} time limits moved")


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return TimerEventDefinition.get_datetime(str(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", type=int, default=10_000, help="running cases to migrate")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    services = fresh_services(roles=ROLES)
    services.engine.clock.set(START)  # type: ignore[attr-defined]
    services.engine.definitions.deploy(Bundle.from_dir(FOLDER), "bench", publish=True)
    _log(f"driving {args.cases} mediation cases to mixed steps …")
    cases = drive_cases(services, args.cases)
    before = snapshot(services)
    publish_new_timer(services)
    owner = services.engine.actor("bench")
    new_id = next(v.id for v in services.engine.definitions.list_versions("mediation") if v.version == 2)

    clock = [time.perf_counter()]

    def progress(p: Any) -> None:
        now = time.perf_counter()
        rate = args.batch / (now - clock[0]) if now > clock[0] else 0.0
        clock[0] = now
        _log(f"  {p.done}/{p.total}: {p.moved} movable/moved, {p.refused} refused, {p.failed} failed ({rate:.0f}/s)")

    _log("dry run …")
    clock[0] = time.perf_counter()
    cpu = time.process_time()
    dry = services.engine.migrate("mediation", 1, 2, owner, dry_run=True, batch_size=args.batch, progress=progress)
    _log(f"  dry run: {dry.seconds:.1f} s wall, {time.process_time() - cpu:.1f} s CPU of this process")
    if len(dry.movable) != len(cases):
        raise RuntimeError(f"dry run: only {len(dry.movable)} of {len(cases)} movable: {dry.not_moved[:3]}")
    _log("migration …")
    clock[0] = time.perf_counter()
    cpu = time.process_time()
    report = services.engine.migrate("mediation", 1, 2, owner, batch_size=args.batch, progress=progress)
    _log(f"  migration: {report.seconds:.1f} s wall, {time.process_time() - cpu:.1f} s CPU of this process")
    if len(report.of("moved")) != len(cases):
        raise RuntimeError(f"only {len(report.of('moved'))} of {len(cases)} moved: {report.not_moved[:3]}")
    _log("checking that nothing was lost …")
    check_nothing_lost(before, snapshot(services), new_id)
    verified = verify_everything(services.engine)
    if verified.findings:
        raise RuntimeError(f"verify found {len(verified.findings)} problems: {verified.findings[:3]}")
    _log(f"  verify: {verified.cases} cases, {verified.audit_rows} audit rows, no findings")
    print(f"cases {len(cases)}")
    print(f"migrate_dry_run_s {dry.seconds:.2f}")
    print(f"migrate_cases_per_s {len(cases) / report.seconds:.1f}")


if __name__ == "__main__":
    main()
