"""The supervisors' dashboard: open and overdue work of their scope, deadlines, weekly cases."""

from __future__ import annotations

from datetime import timedelta

from engine.bootstrap import Services
from engine.clock import ManualClock
from tests.conftest import OTHER_STREET, STREET, deploy
from tests.integration.webclient import make_app, signed_in


def test_dashboard_counts_open_and_overdue_tasks_of_the_leaders_street(world: Services, clock: ManualClock) -> None:
    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    for i in range(3):
        world.engine.start("approval", clerk, street=STREET, title=f"看板{i}")
    app = make_app(world)
    page = signed_in(app, "leader").get("/dashboard").get_data(as_text=True)
    row = page.split(f"<td>{STREET}</td><td>approval</td>")[1].split("</tr>")[0]
    assert ">3</a>" in row and ">0</a>" in row
    assert '"opened": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]' in page.replace("\n", "")
    assert "/assets/chart.js/chart.umd.min.js" in page
    clock.advance(timedelta(days=10))
    late = signed_in(app, "leader").get("/dashboard").get_data(as_text=True)
    row = late.split(f"<td>{STREET}</td><td>approval</td>")[1].split("</tr>")[0]
    assert 'class="late"' in row and ">3</a>" in row.split('class="late"')[1]
    assert "看板0" in late.split("已超过的法定期限")[1]


def test_caseworkers_and_other_streets_do_not_see_the_dashboard(world: Services) -> None:
    deploy(world, "approval")
    world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="别人的看板")
    app = make_app(world)
    assert signed_in(app, "clerk").get("/dashboard").status_code == 403
    world.directory.add_user("leader_b", "password123", "leader_b")
    world.directory.grant("leader_b", "街道领导", "street", OTHER_STREET)
    other = signed_in(app, "leader_b").get("/dashboard").get_data(as_text=True)
    assert f"<td>{STREET}</td>" not in other and "没有待办" in other
    assert f"<td>{STREET}</td>" in signed_in(app, "owner").get("/dashboard").get_data(as_text=True)
