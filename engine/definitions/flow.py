"""Flow checks on the sequence-flow graph: joins that can never complete.

A parallel gateway that joins waits for a token on every incoming flow. When its branches were split
by an exclusive (or event-based) gateway, only one of them ever carries a token and the case waits
forever — an easy mistake when a modeller draws a "merge" with the wrong gateway. For every parallel
join we walk back from each incoming flow to the first splitting gateway on each path; if two incoming
branches first diverge at an exclusive or event-based gateway, the join is reported (a warning: a
model can be correct in ways a graph walk does not see, e.g. loops that revisit the split).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.definitions.problems import Problem, problem_at

_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_EXCLUSIVE = {f"{{{_MODEL}}}exclusiveGateway", f"{{{_MODEL}}}eventBasedGateway"}
_PARALLEL = f"{{{_MODEL}}}parallelGateway"


def check_parallel_joins(name: str, tree: Any) -> list[Problem]:
    """Warn about parallel joins whose incoming branches come from one exclusive split."""
    problems: list[Problem] = []
    for process in tree.getroot().iter(f"{{{_MODEL}}}process", f"{{{_MODEL}}}subProcess"):
        nodes = {el.get("id"): el for el in process if el.get("id")}
        incoming: dict[str, list[str]] = defaultdict(list)
        outgoing: dict[str, list[str]] = defaultdict(list)
        for flow in process.iterchildren(f"{{{_MODEL}}}sequenceFlow"):
            src, dst = flow.get("sourceRef"), flow.get("targetRef")
            if src in nodes and dst in nodes:
                incoming[dst].append(src)
                outgoing[src].append(dst)
        for node_id, node in nodes.items():
            if node.tag != _PARALLEL or len(incoming[node_id]) < 2:
                continue
            firsts = [_first_splits(src, incoming, outgoing) for src in incoming[node_id]]
            shared = set.intersection(*firsts) if firsts else set()
            culprit = next((s for s in sorted(shared) if nodes[s].tag in _EXCLUSIVE), None)
            if culprit is not None:
                problems.append(
                    problem_at(
                        name,
                        node,
                        f"并行网关汇合的分支来自排他网关“{nodes[culprit].get('name') or culprit}”的不同出口，"
                        "只会有一个分支到达，流程将一直等待；汇合排他分支请用排他网关",
                        f"parallel join of branches split by exclusive gateway {culprit}: it would wait forever",
                        "warning",
                    )
                )
    return problems


def _first_splits(start: str, incoming: dict[str, list[str]], outgoing: dict[str, list[str]]) -> set[str]:
    """The first gateways with several outgoing flows met walking back from ``start``."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [start]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if len(outgoing[current]) > 1:
            found.add(current)
            continue
        stack.extend(incoming[current])
    return found
