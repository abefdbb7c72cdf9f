"""The data a case holds at one of its human tasks, read without writing (to pre-fill the task's form).

The live workflow is loaded through :class:`~engine.runtime.instances.InstanceStore` inside the
caller's read-only transaction. The cache entry a load takes is put back untouched: nothing ran on it,
so it still matches the row's ``lock_version`` (a writer that committed meanwhile only costs the next
command a restore). Only plain JSON values of the asked keys are returned, as copies.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException

from engine.runtime.instances import InstanceRow, InstanceStore
from engine.store.db import Tx

_PLAIN = (str, int, float, bool, list, dict, type(None))


def task_values(store: InstanceStore, tx: Tx, row: InstanceRow, task_id: str, keys: Iterable[str]) -> dict[str, Any]:
    """The values of ``keys`` in the data of task ``task_id`` of the case ``row`` (absent keys left out)."""
    live = store.load(tx, row)
    try:
        try:
            data = live.wf.get_task_from_id(UUID(task_id)).data
        except (TaskNotFoundException, ValueError):
            return {}
        return {k: copy.deepcopy(data[k]) for k in keys if k in data and isinstance(data[k], _PLAIN)}
    finally:
        store.cache.put(live)
