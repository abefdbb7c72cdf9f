"""Clocks: the engine's notion of "now", injectable so tests and scenarios can move time.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` inside its timer event definitions. To make timers
follow an injected clock without forking the library, :func:`install_spiff_clock` swaps the ``datetime``
name in that one module for a subclass whose ``now()`` asks the clock active in the current context
(a ``ContextVar``); with no clock active it is the real time. The engine activates its clock around every
operation with :func:`using_clock`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol

UTC = UTC


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved: for tests, scenarios and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to an absolute time (aware datetime)."""
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by a duration."""
        with self._lock:
            self._now = self._now + delta


_EPSILON = timedelta(microseconds=1)

_active: ContextVar[Clock | None] = ContextVar("shequflow_clock", default=None)


def current_now() -> datetime:
    """Return the time of the clock active in this context, or the real time."""
    clock = _active.get()
    return clock.now() if clock is not None else datetime.now(UTC)


@contextlib.contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Make ``clock`` the source of "now" for SpiffWorkflow timers within the block."""
    token = _active.set(clock)
    try:
        yield
    finally:
        _active.reset(token)


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now()`` follows the active clock (used only inside Spiff's timer module).

    SpiffWorkflow fires a timer when ``due < now``; we want a timer to fire at its due instant (the
    worker selects ``next_timer_at <= now``), so "now" here is one microsecond later than the clock.
    """

    @classmethod
    def now(cls, tz=None):
        now = current_now() + _EPSILON
        return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)


_installed = False


def install_spiff_clock() -> None:
    """Route SpiffWorkflow's timer "now" through :func:`current_now` (idempotent)."""
    global _installed
    if _installed:
        return
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _ClockedDatetime
    _installed = True


def to_db_time(when: datetime | None) -> str | None:
    """Encode an aware datetime as the fixed-width UTC text stored in every time column."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_db_time(text: str | None) -> datetime | None:
    """Decode a time column back into an aware UTC datetime."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
