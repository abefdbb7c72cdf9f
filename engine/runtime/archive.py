"""Ended cases keep their state as one compressed value.

A running case stores a header plus one row per task so that a step writes only what it changed (see
:mod:`engine.runtime.state`). An ended case never steps again, and per-task rows cost ~320 bytes each,
most of it structure (ids, keys) repeated from row to row: a completed mediation case measured 26 KB
in 58 rows. So the step that ends a case (completed or cancelled) packs the header and all rows into
the binary column ``instances.state_packed`` and deletes the task rows, in the same transaction.

Packing: the JSON of header and rows, with every UUID (a task id recurs three times: its own, its
parent's reference, its children list) replaced by a short index into one binary table of 16-byte
UUIDs, compressed — zlib for small cases, LZMA above 32 KB of JSON, where it packs ~25 % tighter and
its fixed start-up cost (~1.5 ms) no longer dominates. Measured on the full cases of
``python -m bench.state_size``: mediation 26 KB of rows → about 4 KB, purchase (three contract years,
179 tasks) 82 KB → about 9 KB (zlib alone: 11 KB; base64 text would add a third). The substitution
is exact: index tokens are delimited by NUL bytes, which never occur in orjson's output (it escapes
control characters), so every UUID-shaped string — in ids or in case data — comes back byte for byte.

Loading an ended case (the case page, a diagram, a migration check) unpacks it into the very header
and rows it was packed from, so the restore path is the same for both forms; ``verify_state`` checks
the packed form against a full snapshot like any other.
"""

from __future__ import annotations

import lzma
import re
import uuid
import zlib
from collections.abc import Iterable

import orjson

LZMA_ABOVE = 32 * 1024  # bytes of JSON from which LZMA is worth its start-up cost
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(rb"\x00([0-9]+)\x00")


def pack(header: str, rows: Iterable[tuple[str, str | None, str]]) -> bytes:
    """The packed form of a header and its task rows (task id, workflow id, body)."""
    doc = orjson.dumps({"header": header, "rows": [list(r) for r in rows]})
    index: dict[bytes, int] = {}

    def token(m: re.Match[bytes]) -> bytes:
        return b"\x00%d\x00" % index.setdefault(m.group(0), len(index))

    body = _UUID.sub(token, doc)
    table = b"".join(uuid.UUID(u.decode()).bytes for u in index)
    blob = len(index).to_bytes(4, "big") + table + body
    if len(blob) > LZMA_ABOVE:
        return b"X" + lzma.compress(blob)
    return b"Z" + zlib.compress(blob, 6)


def unpack(packed: bytes) -> tuple[str, list[tuple[str, str | None, str]]]:
    """The header and task rows a packed state was made from."""
    packed = bytes(packed)  # PostgreSQL's driver may hand a memoryview
    blob = lzma.decompress(packed[1:]) if packed[:1] == b"X" else zlib.decompress(packed[1:])
    count = int.from_bytes(blob[:4], "big")
    ids = [str(uuid.UUID(bytes=blob[4 + 16 * i : 20 + 16 * i])).encode() for i in range(count)]
    doc = orjson.loads(_TOKEN.sub(lambda m: ids[int(m.group(1))], blob[4 + 16 * count :]))
    return doc["header"], [(r[0], r[1], r[2]) for r in doc["rows"]]
