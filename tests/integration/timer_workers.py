"""A timer worker that dies on one case, run in its own OS process by tests/integration/test_timer_retries.py.

It stands for any way a worker can die inside a case's step — a segmentation fault in a C extension,
the kernel's OOM killer, a power cut: the process exits at once, without any Python clean-up, in the
middle of the poisoned case's step.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from engine.bootstrap import build
from engine.clock import ManualClock


def main(url: str, now: str, poisoned: int) -> None:
    services = build(url, clock=ManualClock(datetime.fromisoformat(now)))
    advance = services.engine.steps.advance

    def dying_advance(tx, live, actor, action, **kwargs):  # type: ignore[no-untyped-def]
        if live.id == poisoned:
            os._exit(139)  # as a segmentation fault would: no rollback, no finally blocks
        return advance(tx, live, actor, action, **kwargs)

    services.engine.steps.advance = dying_advance  # type: ignore[method-assign]
    services.engine.fire_due_timers(limit=1000)
    print("survived", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
