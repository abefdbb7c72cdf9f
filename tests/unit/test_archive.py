"""The packed state of ended cases gives back exactly the header and rows it was made from."""

from __future__ import annotations

import uuid

import orjson

from engine.runtime import archive


def _rows(n: int) -> list[tuple[str, str | None, str]]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    rows = []
    for i, tid in enumerate(ids):
        body = {"id": tid, "parent": ids[i - 1] if i else None, "children": ids[i + 1 : i + 2], "data": {}}
        rows.append((tid, None if i % 3 else ids[0], orjson.dumps(body).decode()))
    return rows


def test_pack_round_trips_header_and_rows_exactly() -> None:
    rows = _rows(60)
    header = orjson.dumps({"root": rows[0][0], "data": {"note": "调解协议"}}).decode()
    packed = archive.pack(header, rows)
    assert archive.unpack(packed) == (header, rows)
    assert len(packed) < sum(len(b) for _, _, b in rows) / 3
    big = _rows(400)  # above LZMA_ABOVE: the other compressor, the same round trip
    packed_big = archive.pack(header, big)
    assert packed_big[:1] == b"X" and packed[:1] == b"Z"
    assert archive.unpack(memoryview(packed_big)) == (header, big)


def test_uuid_shaped_data_nul_escapes_and_digits_survive_the_substitution() -> None:
    odd = str(uuid.uuid4())
    body = orjson.dumps({"text": f"见 {odd}，又见 {odd.upper()}", "nul": "a\x00 1 \x00b", "n": 12}).decode()
    assert "\x00" not in body  # orjson escapes control characters: tokens cannot collide
    rows = [(odd, None, body)]
    assert archive.unpack(archive.pack("{}", rows)) == ("{}", rows)
