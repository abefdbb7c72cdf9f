"""Move running cases of an older process version onto a newer published one.

A process owner publishes a new version (a new deadline, a new review step); cases already running stay
on their version until they are migrated. Migration uses SpiffWorkflow's own tools
(``SpiffWorkflow.bpmn.util.diff``): a :class:`SpecDiff` aligns the old task specs with the new ones,
a :class:`WorkflowDiff` lists the case's tasks whose spec was changed or removed, and
``migrate_workflow`` re-points every task at its new spec and resets the waiting and ready branches so
that they are predicted again on the new diagram. SpiffWorkflow enforces no policy; ours is:

* only cases that are ``running`` or ``waiting`` move — a case in ``error`` needs its incident fixed
  first, a ``suspended`` case was stopped on purpose, an ended case has nothing left to run;
* a case cannot move when a task it has worked on (completed, started, failed or cancelled — they all
  stay in its history) belongs to a step the new version *removed*, or when a step it is *at* was
  removed: its history or its current work would point at nothing;
* a case cannot move when a step it already completed was changed in a way that matters for where the
  case went after it (its inputs, outputs, conditions, type — not its name, documentation, lane, form,
  script or timer, which only shaped how it ran) — the path it took might not be a path of the new
  version;
* after ``migrate_workflow`` every task must point at a spec of the new version (checked, not assumed).

Timers: a waiting timer whose definition changed is re-armed by the reset — a date timer evaluates its
new expression against the case's data, a duration timer counts from the moment of migration. Tasks
whose spec did not change keep their data and timer values, so an unrelated edit never moves a deadline.
A claimed task stays claimed by the same person.

Each case moves in its own transaction (:meth:`Runtime.operation`): the whole state is rewritten (every
task row, rows of removed tasks deleted), the projections rebuilt, ``process_version_id`` updated and a
``case_migrated`` audit row appended through :meth:`InstanceStore.save` — so the state digest and the
audit chain stay valid. A case that fails is rolled back and stays on its version; the report says why.
A dry run performs the same steps on a private copy of each case restored from the database and
writes nothing, so its answer is the answer the migration will give (unless the case moves meanwhile).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from SpiffWorkflow import TaskState

from engine.accounts.authz import Actor
from engine.accounts.roles import role_settings
from engine.clock import using_clock
from engine.definitions.versions import VERSION_COLUMNS, ProcessVersion
from engine.errors import EngineError, InputError, InvalidStateError, NotFoundError, PermissionDeniedError
from engine.runtime.audit import AuditEvent
from engine.runtime.instances import InstanceRow, InstanceStore, Live, LiveCache
from engine.runtime.projection import project
from engine.runtime.respec import MigrationRefused, SpecTarget, current_steps, migrate_case
from engine.store.db import Tx

_NOT_MOVABLE = {
    "error": ("案件有未处理的故障，请先处理故障再迁移", "The case has an open incident; resolve it first"),
    "suspended": ("案件已挂起，恢复后才能迁移", "The case is suspended; resume it first"),
    "completed": ("案件已办结，无需迁移", "The case has completed; nothing to migrate"),
    "cancelled": ("案件已撤销，无需迁移", "The case was cancelled; nothing to migrate"),
}


@dataclass(frozen=True)
class CaseOutcome:
    """What the dry run or the migration says about one case."""

    instance_id: int
    outcome: str  # movable (dry run) | moved | refused | failed
    status: str = ""
    business_key: str | None = None
    title: str = ""
    street: str | None = None
    current: tuple[str, ...] = ()  # names of the steps the case is at
    reason: str | None = None
    reason_en: str | None = None


@dataclass(frozen=True)
class MigrationProgress:
    """Reported after every batch."""

    done: int
    total: int
    moved: int
    refused: int
    failed: int


@dataclass
class MigrationReport:
    """The result of a dry run or a migration, one outcome per selected case."""

    process_key: str
    from_version: int
    to_version: int
    dry_run: bool
    outcomes: list[CaseOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, outcome: str) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    @property
    def movable(self) -> list[CaseOutcome]:
        """Cases that moved (or, in a dry run, would move)."""
        return [o for o in self.outcomes if o.outcome in ("movable", "moved")]

    @property
    def not_moved(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.outcome in ("refused", "failed")]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for the web API: counts and one entry per case."""
        return {
            "process_key": self.process_key,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "movable": len(self.movable),
            "not_moved": len(self.not_moved),
            "outcomes": [{**asdict(o), "current": list(o.current)} for o in self.outcomes],
        }


Progress = Callable[[MigrationProgress], None]


class Migrator:
    """Dry runs and migrations of the cases of one process version (see the module docstring)."""

    def __init__(self, runtime: Any) -> None:
        self.rt = runtime

    # -- public -------------------------------------------------------------------------------------
    def run(
        self,
        process_key: str,
        from_version: int,
        to_version: int,
        actor: Actor,
        *,
        case_ids: list[int] | None = None,
        dry_run: bool = False,
        batch_size: int = 100,
        progress: Progress | None = None,
    ) -> MigrationReport:
        """Dry-run or migrate the selected cases (all running cases of the old version when none given)."""
        if batch_size < 1:
            raise InputError("每批案件数至少为 1", "The batch size must be at least 1")
        started = time.perf_counter()
        require_owner(actor)
        with self.rt.db.transaction(write=False) as tx:
            old = version_of(tx, process_key, from_version)
            new = version_of(tx, process_key, to_version)
            check_versions(old, new)
            target = SpecTarget(self.rt.codec.registry, new, self.rt.definitions.loaded(tx, new.bundle_id))
            ids, outcomes = self._select(tx, actor, old, case_ids)
        report = MigrationReport(process_key, from_version, to_version, dry_run, outcomes)
        total = len(ids) + len(outcomes)
        for batch in _batches(ids, batch_size):
            for iid in batch:
                report.outcomes.append(
                    self._check(iid, old, target) if dry_run else self._move(iid, old, target, actor)
                )
            if progress is not None:
                counts = [o.outcome for o in report.outcomes]
                progress(
                    MigrationProgress(
                        len(report.outcomes),
                        total,
                        counts.count("moved") + counts.count("movable"),
                        counts.count("refused"),
                        counts.count("failed"),
                    )
                )
        report.outcomes.sort(key=lambda o: o.instance_id)
        report.seconds = time.perf_counter() - started
        return report

    def _select(
        self, tx: Tx, actor: Actor, old: ProcessVersion, case_ids: list[int] | None
    ) -> tuple[list[int], list[CaseOutcome]]:
        """The cases to try, and outcomes already decided for the rest of an explicit selection."""
        if case_ids is None:
            rows = tx.all(
                "SELECT id, street_code, organization_id FROM instances WHERE process_version_id = :v "
                "AND status IN ('running', 'waiting', 'error', 'suspended') ORDER BY id",
                {"v": old.id},
            )
            return [int(r[0]) for r in rows if actor.is_admin_for(r[1], r[2])], []
        ids: list[int] = []
        decided: list[CaseOutcome] = []
        for iid in sorted(set(case_ids)):
            row = tx.one(
                "SELECT process_version_id, street_code, organization_id FROM instances WHERE id = :i", {"i": iid}
            )
            if row is None or not actor.is_admin_for(row[1], row[2]):
                decided.append(
                    CaseOutcome(iid, "refused", reason="案件不存在或不在您的管理范围内",
                                reason_en="No such case, or not within your scope")
                )  # fmt: skip
            elif row[0] != old.id:
                decided.append(
                    CaseOutcome(iid, "refused", street=row[1], reason=f"案件不在 v{old.version} 上",
                                reason_en=f"The case is not on v{old.version}")
                )  # fmt: skip
            else:
                ids.append(iid)
        return ids, decided

    # -- one case -----------------------------------------------------------------------------------
    def _check(self, iid: int, old: ProcessVersion, target: SpecTarget) -> CaseOutcome:
        """Dry run: migrate a private copy restored from the database; write nothing."""
        store = InstanceStore(self.rt.definitions, self.rt.codec, LiveCache(0), self.rt.script_engine)
        row = None
        try:
            with using_clock(self.rt.clock), self.rt.db.transaction(write=False) as tx:
                row = store.row(tx, iid)
                refuse_status(row, old)
                live = store.load(tx, row)
                current = current_steps(live.wf)
                migrate_case(live.wf, target)
        except EngineError as exc:
            return _outcome(iid, row, "refused" if _is_refusal(exc) else "failed", exc=exc)
        except Exception as exc:  # a state that does not restore is reported, not raised
            return _outcome(iid, row, "failed", exc=_unexpected(exc))
        return _outcome(iid, row, "movable", current=current)

    def _move(self, iid: int, old: ProcessVersion, target: SpecTarget, actor: Actor) -> CaseOutcome:
        """Migrate one case in its own transaction; on any failure it stays untouched on its version."""
        row = None
        current: tuple[str, ...] = ()
        try:
            with self.rt.operation() as (tx, lives):
                row = self.rt.store.row(tx, iid, lock=True)
                refuse_status(row, old)
                if not actor.is_admin_for(row.street_code, row.organization_id):
                    raise PermissionDeniedError("只有流程管理员可以迁移案件", "Only process owners may migrate cases")
                live = self.rt.store.load(tx, row)
                lives.append(live)
                current = current_steps(live.wf)
                live.touched = True  # from here on the workflow object differs from the database
                self._migrate_and_save(tx, live, old, target, actor)
        except EngineError as exc:
            return _outcome(iid, row, "refused" if _is_refusal(exc) else "failed", exc=exc)
        return _outcome(iid, row, "moved", current=current)

    def _migrate_and_save(self, tx: Tx, live: Live, old: ProcessVersion, target: SpecTarget, actor: Actor) -> None:
        rt = self.rt
        kept = tx.all(
            "SELECT id, assignee, claimed_at, due_at, due_provisional, created_at FROM human_tasks "
            "WHERE instance_id = :i AND state = 'READY'",
            {"i": live.id},
        )
        due_basis = {str(t.id): _due_basis(t) for t in live.wf.get_tasks(state=TaskState.READY, manual=True)}
        mark = time.time()
        reset = migrate_case(live.wf, target)
        now = rt.now()
        # every task row is rewritten (a task may now name another spec); rows of removed tasks are deleted
        delta = rt.codec.delta(live.wf, live.index, mark, full=True)
        _header, rows = rt.codec.snapshot(live.wf)
        delta = replace(delta, upserts=list(rows.values()))
        proj = project(live.wf, delta.moved, delta.open, live.id, live.business_key, now, rt.steps._evaluate)
        human_rows = [rt.steps._human_row(live, t, now) for t in proj.new_human]
        live.events.append(
            AuditEvent(
                "case_migrated",
                actor.username,
                data={
                    "process": old.process_key,
                    "from_version": old.version,
                    "to_version": target.pv.version,
                    "reset": reset,
                    "removed_tasks": len(delta.deletes),
                },
            )
        )
        live.version_id = target.pv.id  # save writes it and seals it into the state digest
        rt.store.save(
            tx,
            live,
            delta,
            proj,
            status="running" if proj.ready_human else "waiting",
            now=now,
            actor=actor.username,
            human_rows=human_rows,
            end_state=None,
            incident=None,
        )
        tx.execute("UPDATE instances SET process_version_id = :v WHERE id = :i", {"v": target.pv.id, "i": live.id})
        tx.executemany(  # a re-projected task keeps its id: take the new version's name, role and form
            "UPDATE human_tasks SET bpmn_id = :b, name = :n, role = :r, form = :f, ui_form = :uf, priority = :p "
            "WHERE id = :id",
            human_rows,
        )
        # the same open task keeps its claim, its creation time and — unless the new version changed how its
        # due date is computed — its due date (re-projecting it would count the period again from now)
        same_due = {str(t.id) for t in live.wf.get_tasks(state=TaskState.READY, manual=True)
                    if due_basis.get(str(t.id)) == _due_basis(t)}  # fmt: skip
        tx.executemany(
            "UPDATE human_tasks SET assignee = :a, claimed_at = :c, created_at = :cr, "
            "due_at = CASE WHEN :same = 1 THEN :due ELSE due_at END, "
            "due_provisional = CASE WHEN :same = 1 THEN :prov ELSE due_provisional END "
            "WHERE id = :t AND state = 'READY'",
            [
                {"t": t, "a": a, "c": c, "due": due, "prov": prov, "cr": cr, "same": 1 if t in same_due else 0}
                for t, a, c, due, prov, cr in kept
            ],
        )
        live.version_id, live.loaded = target.pv.id, target.loaded


def _due_basis(task: Any) -> tuple[str | None, ...]:
    """What a human task's due date is computed from (its spiff-arena properties)."""
    props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
    return tuple(props.get(k) for k in ("dueInWorkdays", "dueInDays", "dueDate"))


# -- checks shared by the façade, the CLI and the web ------------------------------------------------
def require_owner(actor: Actor) -> None:
    """Only process owners (the configured role, in any scope) may migrate or compare versions."""
    owner = role_settings().process_owner
    if actor.is_system or actor.streets_by_role.get(owner) or actor.orgs_by_role.get(owner):
        return
    raise PermissionDeniedError(
        "只有流程管理员可以比较版本和迁移案件", "Only process owners may compare versions and migrate cases"
    )


def version_of(tx: Tx, process_key: str, version: int) -> ProcessVersion:
    row = tx.one(
        f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE process_key = :k AND version = :v",
        {"k": process_key, "v": version},
    )
    if row is None:
        raise NotFoundError(f"流程版本不存在：{process_key} v{version}", f"No such version: {process_key} v{version}")
    return ProcessVersion.from_row(row)


def check_versions(old: ProcessVersion, new: ProcessVersion) -> None:
    if new.version <= old.version:
        raise InputError("只能迁移到更新的版本", "Cases can only move to a newer version")
    if new.status != "published":
        raise InvalidStateError(
            f"目标版本 v{new.version} 尚未发布（{new.status}），不能迁移到该版本",
            f"The target version v{new.version} is not published ({new.status})",
        )


def refuse_status(row: InstanceRow, old: ProcessVersion) -> None:
    if row.process_version_id != old.id:
        raise MigrationRefused(f"案件已不在 v{old.version} 上", f"The case is no longer on v{old.version}")
    reason = _NOT_MOVABLE.get(row.status)
    if reason is not None:
        raise MigrationRefused(*reason)


def _is_refusal(exc: EngineError) -> bool:
    return isinstance(exc, MigrationRefused | PermissionDeniedError)


def _unexpected(exc: Exception) -> EngineError:
    return InvalidStateError(
        f"案件状态无法还原：{type(exc).__name__}", f"The case's state does not restore: {type(exc).__name__}"
    )


def _outcome(
    iid: int,
    row: InstanceRow | None,
    outcome: str,
    *,
    exc: EngineError | None = None,
    current: tuple[str, ...] = (),
) -> CaseOutcome:
    return CaseOutcome(
        iid,
        outcome,
        row.status if row else "",
        row.business_key if row else None,
        row.title if row else "",
        row.street_code if row else None,
        current,
        exc.message_zh if exc else None,
        exc.message_en if exc else None,
    )


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(frozen=True)
class CaseOnVersion:
    """A not-ended case of a version, as the workbench lists it for selection."""

    instance_id: int
    business_key: str | None
    title: str
    street: str | None
    organization_id: int | None
    status: str
    started_at: str
    updated_at: str


def cases_on_version(
    tx: Tx, actor: Actor, process_key: str, version: int, *, status: str | None = None, street: str | None = None
) -> list[CaseOnVersion]:
    """The not-ended cases of a version within the process owner's scope (optionally one status or street)."""
    require_owner(actor)
    pv = version_of(tx, process_key, version)
    where = ""
    params: dict[str, Any] = {"v": pv.id}
    if status is not None:
        where += " AND status = :s"
        params["s"] = status
    if street is not None:
        where += " AND street_code = :st"
        params["st"] = street
    rows = tx.all(
        "SELECT id, business_key, title, street_code, organization_id, status, started_at, updated_at "
        "FROM instances WHERE process_version_id = :v AND status NOT IN ('completed', 'cancelled')"
        f"{where} ORDER BY id",
        params,
    )
    return [CaseOnVersion(*r) for r in rows if actor.is_admin_for(r[3], r[4])]
