"""Reading a process diagram's levels in the per-process shape tests: its process and its flow nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ACTIVITIES = ("task", "callActivity", "subProcess", "transaction", "adHocSubProcess")


def process_of(path: Path) -> Any:
    """The one bpmn:process of a level's file."""
    (process,) = etree.parse(str(path)).getroot().iter(f"{BPMN}process")
    return process


def flow_nodes(process: Any) -> list[Any]:
    """The flow nodes directly in a process: events (boundary events too), gateways, tasks, activities."""
    return [
        c
        for c in process
        if isinstance(c.tag, str) and (_local(c).endswith(("Event", "Gateway", "Task")) or _local(c) in ACTIVITIES)
    ]


def _local(el: Any) -> str:
    return str(el.tag).rsplit("}", 1)[-1]
