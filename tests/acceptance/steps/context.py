"""The state one scenario carries between steps, and the helpers steps share."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.accounts.authz import Actor
from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.demo import DemoWorld
from engine.errors import EngineError
from engine.runtime.queries import InstanceView, TaskFilter, TaskView
from engine.runtime.steps import StepResult
from engine.sandbox.functions import SHANGHAI
from engine.worklist.taskforms import TaskForms
from workflows.calendar import deadline_end_of_day, default_calendar

STATUS_NAMES = {
    "办理中": "running",
    "等待中": "waiting",
    "已办结": "completed",
    "已取消": "cancelled",
    "已挂起": "suspended",
    "故障": "error",
}


def parse_value(text: str) -> Any:
    """A table cell: JSON when it parses (numbers, true/false, lists, objects), else the text itself."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


YES_NO = {"是": True, "否": False}


def by_form_titles(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Form data whose fields may be named by their Chinese titles and choices by their Chinese labels.

    ``| 引导去向 | 诉讼 |`` becomes ``{"referral": "LITIGATION"}`` through the task's form: a key that is
    not a field name is looked up among the fields' titles, a text value of a ``oneOf`` field among its
    labels, 是/否 of a yes/no field becomes true/false — also inside repeatable rows and nested groups
    (``[{"义务人": "王某", "履行期限": "2025-05-04"}]``). Field names and codes keep working as they are.
    """
    mapped = _by_schema(schema, data)
    return mapped if isinstance(mapped, dict) else data


def _by_schema(node: dict[str, Any], value: Any) -> Any:
    """``value`` with titles and labels replaced by names and codes, following the schema ``node``."""
    if isinstance(value, dict):
        fields: dict[str, Any] = node.get("properties") or {}
        titles = {str(f.get("title")): name for name, f in fields.items() if isinstance(f, dict)}
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in fields else titles.get(key, key)
            child = fields.get(name)
            out[name] = _by_schema(child, item) if isinstance(child, dict) else item
        return out
    if isinstance(value, list):
        items = node.get("items")
        return [_by_schema(items, v) for v in value] if isinstance(items, dict) else value
    labels = {str(o.get("title")): o["const"] for o in node.get("oneOf") or [] if isinstance(o, dict) and "const" in o}
    if isinstance(value, str) and value in labels and value not in labels.values():
        return labels[value]
    if node.get("type") == "boolean" and value in YES_NO:
        return YES_NO[value]
    return value


def table_data(datatable: list[list[str]] | None) -> dict[str, Any]:
    """A two-column table (字段 | 值, header row optional) as form data."""
    rows = datatable or []
    if rows and [c.strip() for c in rows[0]] in (["字段", "值"], ["field", "value"]):
        rows = rows[1:]
    return {row[0].strip(): parse_value(row[1]) for row in rows}


@dataclass
class Scenario:
    """One scenario's world: services, demo accounts, the clock, the case under test and the last outcome."""

    services: Services
    world: DemoWorld
    clock: ManualClock
    street: str
    organization_id: int | None = None
    case_id: int | None = None
    cases: dict[str, int] = field(default_factory=dict)
    last: StepResult | None = None
    error: EngineError | None = None
    _messages: dict[str, set[str]] | None = None  # event name -> message names (see message_names)

    # -- who ----------------------------------------------------------------------------------------
    def actor(self, role: str) -> Actor:
        username = self.world.account(role, street=self.street, organization_id=self.organization_id)
        return self.services.engine.actor(username)

    # -- time ---------------------------------------------------------------------------------------
    def today(self) -> date:
        return self.clock.now().astimezone(SHANGHAI).date()

    def set_today(self, day: date) -> None:
        self.clock.set(datetime.combine(day, time(9, 0), SHANGHAI))

    def pass_workdays(self, n: int, *, run_timer_worker: bool = True) -> None:
        """Move to 09:00 on the day after the nth working day from today, then run the timer worker."""
        last = default_calendar().add_workdays(self.today(), n).date
        self.clock.set(deadline_end_of_day(last) + timedelta(hours=9))
        if run_timer_worker:
            self.services.engine.fire_due_timers()

    def pass_days(self, n: int, *, run_timer_worker: bool = True) -> None:
        self.clock.advance(timedelta(days=n))
        if run_timer_worker:
            self.services.engine.fire_due_timers()

    # -- doing --------------------------------------------------------------------------------------
    def attempt(self, fn: Any, *args: Any, **kwargs: Any) -> StepResult | None:
        """Run a command; keep its result or its (expected or not) engine error for later steps."""
        self.error = None
        try:
            result = fn(*args, **kwargs)
        except EngineError as exc:
            self.error = exc
            return None
        if isinstance(result, list):
            result = result[0] if result else None
        self.last = result
        return result

    def start(self, role: str, process: str, data: dict[str, Any]) -> None:
        key = self.process_key(process)
        result = self.attempt(
            self.services.engine.start,
            key,
            self.actor(role),
            street=self.street,
            organization_id=self.organization_id,
            data=data,
        )
        if result is not None:
            self.case_id = result.instance_id

    def process_key(self, name: str) -> str:
        for version in self.services.engine.definitions.list_versions():
            if name in (version.process_key, version.name):
                return version.process_key
        raise AssertionError(f"no deployed process named {name}")

    def message_names(self, text: str) -> set[str]:
        """The message names a step means: the name itself, or the messages of the events named so.

        Process owners speak of a message by the event that sends or receives it ("收到法院裁定"), not by
        its technical name (``court_ruling``); both work. Every published bundle's BPMN is searched.
        """
        if self._messages is None:
            self._messages = _messages_by_event_name(self.services)
        names = set(self._messages.get(text.strip(), ()))
        if text in self._messages[""] or not names:  # a technical name, or unknown (the engine says so)
            names.add(text)
        return names

    def message_name(self, text: str) -> str:
        """Exactly one message name for ``text`` (see :meth:`message_names`)."""
        names = self.message_names(text)
        assert len(names) == 1, f"“{text}” names several messages: {sorted(names)}"
        return next(iter(names))

    def ready_tasks(self, role: str) -> list[TaskView]:
        flt = TaskFilter(instance_id=self.case_id, limit=500)
        tasks, _total = self.services.queries.tasks(self.actor(role), flt)
        return tasks

    def find_task(self, role: str, name: str) -> TaskView:
        matches = [t for t in self.ready_tasks(role) if name in (t.name, t.bpmn_id)]
        assert matches, f"{role} has no ready task {name}; has {[t.name for t in self.ready_tasks(role)]}"
        return matches[0]

    def complete(self, role: str, task_name: str, data: dict[str, Any]) -> None:
        task = self.find_task(role, task_name)
        schema = TaskForms(self.services.db, self.services.engine.definitions, self.services.queries)
        data = by_form_titles(schema.form(self.actor(role), task.id).schema, data)
        self.attempt(self.services.engine.complete, task.id, self.actor(role), data)

    def case(self) -> InstanceView:
        assert self.case_id is not None, "no case started in this scenario"
        return self.services.queries.instance(
            self.services.engine.actor(self.world.account("流程管理员")), self.case_id
        )

    def history(self) -> list[Any]:
        assert self.case_id is not None
        return self.services.queries.history(self.services.engine.actor(self.world.account("流程管理员")), self.case_id)


def _messages_by_event_name(services: Any) -> dict[str, set[str]]:
    """Map every message event's (and send/receive task's) name to its message names; "" holds all names."""
    from lxml import etree

    bpmn = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
    found: dict[str, set[str]] = {"": set()}
    definitions = services.engine.definitions
    bundles = {v.bundle_id for v in definitions.list_versions() if v.status == "published"}
    for bundle_id in sorted(bundles):
        with services.db.transaction(write=False) as tx:
            files = definitions.loaded(tx, bundle_id).bundle.files
        for path, content in files.items():
            if not path.endswith(".bpmn"):
                continue
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
            messages = {m.get("id"): m.get("name") for m in root.iter(f"{bpmn}message")}
            found[""].update(n for n in messages.values() if n)
            for el in root.iter():
                ref = el.get("messageRef")
                if ref is None or messages.get(ref) is None:
                    continue
                owner = el if el.tag in (f"{bpmn}sendTask", f"{bpmn}receiveTask") else el.getparent()
                if owner is not None and owner.get("name"):
                    found.setdefault(owner.get("name").strip(), set()).add(messages[ref])
    return found
