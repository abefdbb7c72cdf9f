"""Random commands on the construct diagrams: done, refused with an engine error, or an incident — nothing else.

Hypothesis picks a construct diagram, starts a case with random data and sends it random commands:
complete one of its ready tasks with a random JSON-ish payload, send one of the diagram's messages (or
an unknown one) correlated by business key or case id, move the clock and run the timer worker, drop
the live cache so the next command reloads the case, or retry as the process owner. Every command must
succeed, raise an :class:`~engine.errors.EngineError` that is the caller's (not an ``InternalError``,
which reports a defect), or leave the case in ``error`` with an open incident. ``verify_state`` is on,
so the stored rows are checked against a full snapshot after every commit as well.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.errors import EngineError, InternalError
from tests.integration.constructs import DIAGRAMS, SCENARIOS, STREET, Message, deploy

# a longer local hunt: SHEQUFLOW_FUZZ_EXAMPLES=500 (random examples instead of the fixed thirty)
EXAMPLES = int(os.environ.get("SHEQUFLOW_FUZZ_EXAMPLES", "30"))
MESSAGES = sorted({step.name for s in SCENARIOS for step in s.steps if isinstance(step, Message)})
KEYS = sorted(
    {key for s in SCENARIOS for step in s.steps for key in getattr(step, "data", {})}
    | {key for s in SCENARIOS for key in s.start_data}
    | {"items", "results", "opinions", "sites", "findings", "rounds", "case_grade", "complaint", "reply"}
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=5,
)
keys = st.one_of(
    st.sampled_from(KEYS),  # names the diagrams read: a wrong value there makes gateways, loops and scripts fail
    st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True),
    st.text(min_size=1, max_size=4),  # mostly not an identifier: refused before anything runs
)
payloads = st.dictionaries(keys, json_values, max_size=4)
commands = st.one_of(
    st.tuples(st.just("complete"), st.integers(0, 3), payloads),
    st.tuples(st.just("message"), st.sampled_from([*MESSAGES, "nobody_waits_for_this"]), st.booleans(), payloads),
    st.tuples(st.just("wait"), st.integers(1, 24 * 7)),
    st.tuples(st.just("reload")),
    st.tuples(st.just("retry"), payloads),
)


class Session:
    """One case of a diagram and the commands sent to it."""

    def __init__(self, services: Services, clock: ManualClock, diagram: str, serial: int) -> None:
        self.services, self.clock, self.diagram = services, clock, diagram
        self.business_key = f"P-{serial}"
        self.instance_id: int | None = None

    def start(self, data: dict[str, Any]) -> None:
        engine = self.services.engine
        self.instance_id = engine.start(
            self.diagram, engine.actor("clerk"), street=STREET, business_key=self.business_key, data=data
        ).instance_id

    def run(self, command: tuple[Any, ...]) -> None:
        engine, kind = self.services.engine, command[0]
        if kind == "complete":
            ready = [t for t in self._tasks() if t.state == "READY"]
            if ready:
                engine.complete(ready[command[1] % len(ready)].id, engine.actor("clerk"), command[2])
        elif kind == "message":
            correlation = {"business_key": self.business_key} if command[2] else {"instance": self.instance_id}
            engine.send_message(command[1], correlation, command[3])
        elif kind == "wait":
            self.clock.advance(timedelta(hours=command[1]))
            engine.fire_due_timers()
        elif kind == "reload":
            engine.cache.clear()
        elif self.instance_id is not None:
            engine.retry(self.instance_id, engine.actor("owner"), command[1])

    def _tasks(self) -> list[Any]:
        return self.services.queries.case_tasks(self.services.engine.actor("clerk"), self.instance_id or 0)

    def check_status(self) -> None:
        """A case in error has an open incident saying why."""
        if self.instance_id is None:
            return
        with self.services.db.transaction(write=False) as tx:
            status = tx.scalar("SELECT status FROM instances WHERE id = :i", {"i": self.instance_id})
            incidents = tx.scalar(
                "SELECT COUNT(*) FROM incidents WHERE instance_id = :i AND resolved_at IS NULL", {"i": self.instance_id}
            )
        if status == "error":
            assert incidents, f"case {self.instance_id} is in error without an open incident"


def _attempt(session: Session, what: str, action: Any) -> None:
    try:
        action()
    except InternalError as exc:  # a defect reported as such: the property is that there are none
        raise AssertionError(f"{session.diagram}: {what} failed inside the engine: {exc}") from exc
    except EngineError:
        pass  # refused with a reason the caller can act on
    session.check_status()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_random_commands_are_done_refused_or_recorded_as_incidents(world: Services, clock: ManualClock) -> None:
    for diagram in DIAGRAMS:
        deploy(world, diagram)
    serial = iter(range(10**6))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES == 30,  # the CI budget runs the same examples every time
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        diagram=st.sampled_from(DIAGRAMS),
        start_data=payloads,
        script=st.lists(commands, min_size=1, max_size=10),
    )
    def drive(diagram: str, start_data: dict[str, Any], script: list[tuple[Any, ...]]) -> None:
        session = Session(world, clock, diagram, next(serial))
        _attempt(session, "start", lambda: session.start(start_data))
        if session.instance_id is None:
            return
        for command in script:
            _attempt(session, str(command[0]), lambda command=command: session.run(command))

    drive()


# -- the incidents the property allows, and their retry --------------------------------------------------
def _ready_ids(services: Services, instance_id: int, bpmn_id: str) -> list[str]:
    tasks = services.queries.case_tasks(services.engine.actor("clerk"), instance_id)
    return [t.id for t in tasks if t.state == "READY" and t.bpmn_id == bpmn_id]


def test_a_type_error_inside_spiffworkflow_is_an_incident_and_retry_with_corrected_data_goes_on(
    world: Services,
) -> None:
    deploy(world, "mi_sequential_cardinality")
    engine = world.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = engine.start("mi_sequential_cardinality", clerk, street=STREET, data={"visits": [1]})
    assert started.status == "error" and "TypeError" in (started.incident or "")
    [incident] = world.queries.incidents(owner, started.instance_id)
    assert (incident.bpmn_id, incident.error_type, incident.line) == ("visit", "TypeError", None)
    engine.cache.clear()  # the retry restores the case from the database
    again = engine.retry(started.instance_id, owner, {"visits": 2})
    assert again.status == "running" and world.queries.incidents(owner, started.instance_id) == []
    for _ in range(2):
        [visit] = _ready_ids(world, started.instance_id, "visit")
        result = engine.complete(visit, clerk, {"satisfied": True})
    assert (result.status, result.end_state) == ("completed", "end")


def test_retry_runs_a_failed_loop_iteration_again(world: Services) -> None:
    deploy(world, "standard_loop")
    engine = world.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = engine.start("standard_loop", clerk, street=STREET)  # no "rounds": the counting script fails
    [revise] = _ready_ids(world, started.instance_id, "revise")
    failed = engine.complete(revise, clerk, {"accepted": True})
    assert failed.status == "error" and "rounds" in (failed.incident or "")
    again = engine.retry(started.instance_id, owner)  # still failing: a new incident, the case stays in error
    assert again.status == "error" and len(world.queries.incidents(owner, started.instance_id)) == 1
    done = engine.retry(started.instance_id, owner, {"rounds": 0})
    assert (done.status, done.end_state) == ("completed", "end")
