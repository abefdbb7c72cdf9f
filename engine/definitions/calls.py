"""The call graph of a bundle: call activities that call back into their own process are refused.

A call activity starts a new instance of the process it names, with its own copy of the called
process's task specs. A cycle (``a`` calls ``a``, or ``a`` calls ``b`` which calls ``a``) makes every case
that reaches it nest call upon call until the instance state is too large to save, so it is refused at
lint and deploy, at each call activity on the cycle. The graph spans every BPMN file of the bundle:
process ``a`` in one file may call ``b`` in another.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, NamedTuple

from engine.definitions.problems import BPMN_NS, Problem, problem_at

_PROCESS = f"{{{BPMN_NS}}}process"
_CALL = f"{{{BPMN_NS}}}callActivity"


class _Call(NamedTuple):
    file: str
    caller: str  # process id
    callee: str
    element: Any  # the callActivity element


def check_recursive_calls(bpmn: Mapping[str, Any]) -> list[Problem]:
    """Report every call activity that lies on a cycle of the bundle's call graph."""
    calls: list[_Call] = []
    for name, tree in bpmn.items():
        for process in tree.getroot().iter(_PROCESS):
            pid = process.get("id")
            calls += [_Call(name, pid, el.get("calledElement"), el) for el in process.iter(_CALL) if pid]
    graph: dict[str, set[str]] = {}
    for call in calls:
        if call.callee:
            graph.setdefault(call.caller, set()).add(call.callee)
    problems = []
    for call in calls:
        back = _path(graph, call.callee, call.caller) if call.callee else None
        if back is not None:
            cycle = " → ".join([call.caller, *back])
            problems.append(
                problem_at(
                    call.file,
                    call.element,
                    f"调用活动形成递归调用：{cycle}（不支持递归调用）",
                    f"recursive call activity: {cycle}",
                )
            )
    return problems


def _path(graph: Mapping[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The shortest list of processes from ``start`` to ``goal`` along calls, or None if unreachable."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            path = [current]
            while (before := previous[path[-1]]) is not None:
                path.append(before)
            return path[::-1]
        for nxt in sorted(graph.get(current, ())):
            if nxt not in previous:
                previous[nxt] = current
                queue.append(nxt)
    return None
