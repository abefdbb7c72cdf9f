"""Every diagram of the product, rendered by bpmn-js in chromium at 1920×1080, fits the screen readably.

Fit-to-screen must not shrink a diagram below 60 % — below that, 12 px labels fall under 7 px and a
process owner can no longer read the diagram without scrolling around it. Each diagram (and each
drill-down plane) is imported into the same bpmn-js build the app serves, zoomed to fit a full-screen
canvas, and its zoom read back; the test also fails on any import warning or console error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

DIAGRAMS = sorted((ROOT / "bpmn").glob("*/*.bpmn"))
MIN_ZOOM = 0.6

FIT = """
async (xml) => {
  const viewer = window.__viewer || (window.__viewer = new BpmnJS({ container: '#canvas' }));
  const { warnings } = await viewer.importXML(xml);
  const canvas = viewer.get('canvas');
  const planes = [];
  for (const root of canvas.getRootElements()) {
    canvas.setRootElement(root);
    canvas.zoom('fit-viewport');
    planes.push({ plane: root.id, zoom: canvas.zoom() });
  }
  return { warnings: warnings.map((w) => w.message), planes };
}
"""


@pytest.fixture(scope="module")
def screen(chromium: Any, server: str) -> Any:
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/login")  # same origin as the assets
    page.set_content(
        "<!doctype html><html><head><style>html,body,#canvas{margin:0;width:100vw;height:100vh}</style>"
        f'<link rel="stylesheet" href="{server}/assets/bpmn-js/assets/diagram-js.css"></head>'
        f'<body><div id="canvas"></div><script src="{server}/assets/bpmn-js/bpmn-viewer.production.min.js">'
        "</script></body></html>"
    )
    page.wait_for_function("typeof BpmnJS === 'function'")
    yield page, errors
    context.close()


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_fit_to_screen_keeps_every_plane_at_sixty_percent_or_more(screen: Any, path: Path) -> None:
    page, errors = screen
    result = page.evaluate(FIT, path.read_text(encoding="utf-8"))
    assert result["warnings"] == [] and errors == [], (result["warnings"], errors)
    assert result["planes"], "nothing rendered"
    small = [p for p in result["planes"] if p["zoom"] < MIN_ZOOM]
    if small:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"fit-{path.stem}.png"))
    assert small == [], f"{path.name}: fit-to-screen zoom {small} < {MIN_ZOOM}"
