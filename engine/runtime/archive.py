"""Ended cases keep their state as one compressed value.

A running case stores a header plus one row per task so that a step writes only what it changed (see
:mod:`engine.runtime.state`). An ended case never steps again, and per-task rows cost ~320 bytes each,
most of it structure (ids, keys) repeated from row to row: a completed mediation case measured 26 KB
in 58 rows. So the step that ends a case (completed or cancelled) packs the header and all rows into
``instances.state`` and deletes the task rows, in the same transaction.

Packing: the JSON of header and rows, with every UUID (a task id recurs three times: its own, its
parent's reference, its children list) replaced by a short index into one binary table of 16-byte
UUIDs, compressed with LZMA and written as base64 text. Measured on the full cases of
``python -m bench.state_size``: mediation 26 KB of rows → 4.8 KB, purchase (three contract years, 179
tasks) 82 KB → 11.5 KB; plain zlib of the same JSON gave 6.4 and 17.8 KB. The substitution is exact:
index tokens are delimited by NUL bytes, which never occur in orjson's output (it escapes control
characters), so every UUID-shaped string — in ids or in case data — comes back byte for byte.

Loading an ended case (the case page, a diagram, a migration check) unpacks it into the very header
and rows it was packed from, so the restore path is the same for both forms; ``verify_state`` checks
the packed form against a full snapshot like any other.
"""

from __future__ import annotations

import base64
import lzma
import re
import uuid
from collections.abc import Iterable

import orjson

PREFIX = "sfx1:"
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(rb"\x00([0-9]+)\x00")


def is_packed(state: str | None) -> bool:
    """Whether ``instances.state`` holds a packed (ended) case."""
    return bool(state) and str(state).startswith(PREFIX)


def pack(header: str, rows: Iterable[tuple[str, str | None, str]]) -> str:
    """The packed form of a header and its task rows (task id, workflow id, body)."""
    doc = orjson.dumps({"header": header, "rows": [list(r) for r in rows]})
    index: dict[bytes, int] = {}

    def token(m: re.Match[bytes]) -> bytes:
        return b"\x00%d\x00" % index.setdefault(m.group(0), len(index))

    body = _UUID.sub(token, doc)
    table = b"".join(uuid.UUID(u.decode()).bytes for u in index)
    blob = len(index).to_bytes(4, "big") + table + body
    return PREFIX + base64.b64encode(lzma.compress(blob)).decode("ascii")


def unpack(state: str) -> tuple[str, list[tuple[str, str | None, str]]]:
    """The header and task rows a packed state was made from."""
    blob = lzma.decompress(base64.b64decode(state[len(PREFIX) :]))
    count = int.from_bytes(blob[:4], "big")
    ids = [str(uuid.UUID(bytes=blob[4 + 16 * i : 20 + 16 * i])).encode() for i in range(count)]
    doc = orjson.loads(_TOKEN.sub(lambda m: ids[int(m.group(1))], blob[4 + 16 * count :]))
    return doc["header"], [(r[0], r[1], r[2]) for r in doc["rows"]]
