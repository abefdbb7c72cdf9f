"""The audit key: a short explicit key is refused; a key file another process is still writing is waited for."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.runtime.integrity import audit_key


@pytest.fixture
def fresh_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Read the key anew under this test's environment; forget it afterwards."""
    monkeypatch.delenv("SHEQUFLOW_AUDIT_KEY", raising=False)
    audit_key.cache_clear()
    yield
    audit_key.cache_clear()


def test_an_explicit_key_shorter_than_16_characters_is_refused(
    fresh_key: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHEQUFLOW_AUDIT_KEY", "short-key-15chr")
    with pytest.raises(RuntimeError, match="SHEQUFLOW_AUDIT_KEY"):
        audit_key()
    audit_key.cache_clear()
    monkeypatch.setenv("SHEQUFLOW_AUDIT_KEY", "a-key-of-16-char")
    assert audit_key() == b"a-key-of-16-char"


def test_a_key_file_still_being_written_is_read_once_complete(
    fresh_key: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "audit.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # another process created it ...
    monkeypatch.setenv("SHEQUFLOW_AUDIT_KEY_FILE", str(path))
    secret = os.urandom(32)

    def finish_writing() -> None:  # ... and writes it a moment later
        time.sleep(0.2)
        os.write(fd, secret)
        os.close(fd)

    writer = threading.Thread(target=finish_writing)
    writer.start()
    try:
        assert audit_key() == secret
    finally:
        writer.join()


def test_a_key_file_that_stays_short_is_refused_after_waiting(
    fresh_key: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "audit.key"
    path.write_bytes(b"too-short")
    monkeypatch.setenv("SHEQUFLOW_AUDIT_KEY_FILE", str(path))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"audit\.key"):
        audit_key()
    assert time.monotonic() - started >= 0.9
