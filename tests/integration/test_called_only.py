"""A process split into levels: its phases are deployed with it but are not cases of their own.

A phase process marks its none start event ``calledOnly``; the caller runs it through a call activity,
while the start page, the API and the façade refuse to start it directly.
"""

from __future__ import annotations

import pytest

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from engine.errors import InvalidStateError
from engine.worklist.starting import startable
from tests.conftest import ENGINE_BUNDLES, STREET

CALLED_ONLY = (
    '<bpmn:startEvent id="fl_start"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="calledOnly" value="true"/>'
    "</spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>"
)


@pytest.fixture
def levels(world: Services) -> Services:
    bundle = Bundle.from_dir(ENGINE_BUNDLES / "nested")
    files = dict(bundle.files)
    xml = files["nested.bpmn"].decode()
    assert '<bpmn:startEvent id="fl_start"/>' in xml
    files["nested.bpmn"] = xml.replace('<bpmn:startEvent id="fl_start"/>', CALLED_ONLY).encode()
    world.engine.definitions.deploy(Bundle.from_files(files), "tester", publish=True)
    return world


def test_a_called_only_process_cannot_be_started_on_its_own(levels: Services) -> None:
    clerk = levels.engine.actor("clerk")
    with pytest.raises(InvalidStateError) as caught:
        levels.engine.start("filing", clerk, street=STREET)
    assert "不能单独发起" in str(caught.value)
    with levels.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM instances") == 0
    offered = {s.version.process_key for s in startable(levels.db, levels.engine.definitions, clerk)}
    assert "nested" in offered and "filing" not in offered


def test_its_caller_still_runs_it_as_a_level(levels: Services) -> None:
    clerk = levels.engine.actor("clerk")
    levels.engine.start("nested", clerk, street=STREET)
    tasks, _total = levels.queries.tasks(clerk)
    assert "备案登记" in {t.name for t in tasks}
