"""Every form of every process renders on the server, and any post to it ends in data or field errors — never a crash.

Hypothesis posts arbitrary values (missing, empty, text, digits, dates, choices, yes/no, extra rows) to
each of the forms under bpmn/; the web turns the post into data, the engine validates it, and every
problem the engine reports is either shown at its field or listed above the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from engine.bootstrap import build
from engine.definitions.forms import validate_form_data
from engine.errors import InputError
from web import create_app
from web.formview import build_fields, field_errors, parse_object

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
FORMS = sorted(BPMN.glob("*/forms/*.schema.json"))
RENDER = '{% from "_fields.html" import render_field %}{% for f in fields %}{{ render_field(f) }}{% endfor %}'


def _load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    ui = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    return json.loads(path.read_text("utf-8")), json.loads(ui.read_text("utf-8")) if ui.exists() else {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    services = build(f"sqlite:///{tmp_path_factory.mktemp('forms') / 'unused.db'}")
    yield create_app({"SHEQUFLOW_SERVICES": services, "SECRET_KEY": "test"})
    services.close()


def _render(app: Flask, schema: dict[str, Any], ui: dict[str, Any], values: dict[str, Any], errors: Any) -> str:
    with app.test_request_context("/"):
        return render_template_string(RENDER, fields=build_fields(schema, ui, values, errors))


def test_every_form_of_the_three_processes_is_walked() -> None:
    assert len(FORMS) == 66  # 65 task forms and the mediation start form


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_property_of_every_form_renders_as_an_input_with_its_chinese_title(app: Flask, path: Path) -> None:
    schema, ui = _load(path)
    rows = {k: [{}] for k, n in schema["properties"].items() if n.get("type") == "array"}
    html = _render(app, schema, ui, rows, {})
    for key, node in schema["properties"].items():
        assert f'name="f.{key}' in html, key
        assert node["title"] in html
        items = node.get("items") or {}
        for sub in (items.get("properties") or {}) if items.get("type") == "object" else ():
            assert f'name="f.{key}.0.{sub}"' in html
        consts = [o["const"] for o in node.get("oneOf") or [] if isinstance(o, dict) and "const" in o]
        for value in node.get("enum") or items.get("enum") or consts:
            assert f'value="{value}"' in html


def _post_strategy(schema: dict[str, Any]) -> st.SearchStrategy[list[tuple[str, str]]]:
    texts = st.one_of(
        st.just(""),
        st.text(max_size=30),
        st.sampled_from(["true", "false", "0", "-1", "12", "3.50", "2026-03-02", "2026-02-30", "1e9", " "]),
        st.sampled_from(["91310000MA1FL8X65X", "91310000MA1FL8X65Y", "13800138000", "110101199003077777"]),
    )
    entries = []
    for key, node in schema["properties"].items():
        name = f"f.{key}"
        items = node.get("items") or {}
        if node.get("type") == "array" and items.get("type") == "object":
            subs = list(items.get("properties") or {})
            entries.append(
                st.integers(0, 2).flatmap(
                    lambda n, name=name, subs=subs: st.tuples(
                        st.just([(f"{name}.n", str(n))]),
                        st.lists(
                            st.tuples(
                                st.sampled_from([f"{name}.{i}.{s}" for i in range(n) for s in subs] or [name]), texts
                            ),
                            max_size=6,
                        ),
                    ).map(lambda pair: pair[0] + pair[1])
                )
            )
        else:
            consts = [o.get("const") for o in (node.get("oneOf") or items.get("oneOf") or []) if isinstance(o, dict)]
            choices = [str(v) for v in (node.get("enum") or items.get("enum") or consts or []) if v is not None]
            value = st.one_of(texts, st.sampled_from(choices)) if choices else texts
            entries.append(st.lists(st.tuples(st.just(name), value), max_size=2))
    return st.tuples(*entries).map(lambda parts: [pair for part in parts for pair in part])


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_any_post_to_any_form_ends_in_data_or_field_errors(app: Flask, path: Path) -> None:
    schema, ui = _load(path)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_post_strategy(schema))
    def check(post: list[tuple[str, str]]) -> None:
        data = parse_object(schema, MultiDict(post))
        try:
            validate_form_data(schema, data)
        except InputError as exc:
            problems = [str(p) for p in exc.details.get("problems") or []]
            by_field, general = field_errors(schema, data, problems)
            assert sum(map(len, by_field.values())) + len(general) == len(problems)
            html = _render(app, schema, ui, data, by_field)
            for name, messages in by_field.items():
                block = html.split(f'id="field-{name}"', 1)[1]
                assert str(escape(messages[0])) in block[:4000]

    check()


def test_a_wrong_uscc_is_reported_at_its_field_in_chinese() -> None:
    schema, _ui = _load(BPMN / "purchase/forms/register_bids.schema.json")
    data = parse_object(
        schema,
        MultiDict(
            [
                ("f.bids.n", "1"),
                ("f.bids.0.supplierName", "某某社工服务社"),
                ("f.bids.0.supplierUscc", "91310000MA1FL8X65Y"),
            ]
        ),
    )
    with pytest.raises(InputError) as caught:
        validate_form_data(schema, data)
    by_field, _general = field_errors(schema, data, caught.value.details["problems"])
    assert any("校验" in m or "统一社会信用代码" in m for m in by_field["f.bids.0.supplierUscc"])


def test_any_post_to_a_live_task_over_http_is_completed_refused_at_fields_or_conflicts(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> None:
    """The same fuzzing end to end: posts through the task page to the engine, never a 500."""
    import shutil

    from tests.conftest import ENGINE_BUNDLES, FAST_HASH, STREET
    from tests.integration.webclient import make_app, signed_in

    target = tmp_path_factory.mktemp("live") / "live.db"
    shutil.copy(sqlite_template, target)
    services = build(f"sqlite:///{target}", password_method=FAST_HASH)
    d = services.directory
    d.add_district("310105", "长宁区")
    d.add_street(STREET, "华阳路街道", "310105")
    d.add_user("clerk", "password123", "clerk")
    d.grant("clerk", "街道社区自治办经办人", "street", STREET)
    from engine.definitions.bundle import Bundle

    services.engine.definitions.deploy(Bundle.from_dir(ENGINE_BUNDLES / "approval"), "tester", publish=True)
    schema = json.loads((ENGINE_BUNDLES / "approval/forms/register_case.schema.json").read_text("utf-8"))
    clerk = signed_in(make_app(services), "clerk")
    actor = services.engine.actor("clerk")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(_post_strategy(schema), st.sampled_from(["complete", "save", "stay", "bogus", "add:nothing"]))
    def check(post: list[tuple[str, str]], action: str) -> None:
        iid = services.engine.start("approval", actor, street=STREET).instance_id
        task_id = next(t.id for t in services.queries.case_tasks(actor, iid) if t.state == "READY")
        response = clerk.post(f"/tasks/{task_id}", [*post, ("action", action)])
        nul = any("\x00" in name or "\x00" in value for name, value in post)  # web.guards: 400 before anything
        assert response.status_code in ((400,) if nul else (200, 302, 422)), (response.status_code, post, action)
        state = services.queries.task(actor, task_id).state
        assert (state == "COMPLETED") == (response.status_code == 302 and action == "complete")
        if state == "COMPLETED":
            assert clerk.post(f"/tasks/{task_id}", [*post, ("action", "complete")]).status_code == 409

    try:
        check()
    finally:
        services.close()
