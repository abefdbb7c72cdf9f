"""Whole numbers from request text: ASCII digits only, within a bound.

``str.isdigit()`` is true for Unicode digits ("²", "①", "٣") that ``int()`` refuses or reads as another
number, and unbounded digit strings overflow SQLite's 64-bit and PostgreSQL's 32-bit integers. Every
number taken from a URL, query string or form goes through :func:`ascii_int` instead.
"""

from __future__ import annotations

MAX_ID = 2_147_483_647  # the largest id a 32-bit INTEGER column (PostgreSQL) holds


def ascii_int(raw: str, *, maximum: int = MAX_ID) -> int | None:
    """The value of ``raw`` if it is 1+ ASCII digits no greater than ``maximum``; None otherwise."""
    if not raw or len(raw) > len(str(maximum)) or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= maximum else None
