"""Bundle files in and out of the workbench: a zip to download, a zip or loose files uploaded.

Uploads are untrusted: a zip is read entry by entry with a cap on the number of entries and on each
entry's size (the bytes actually read, not the size the archive claims), so a zip bomb stops at the
limit. An entry over the per-file limit is not read; it is reported as oversized by the bundle checks.
Names keep their folders (``forms/x.schema.json``); a zip of one folder has that folder stripped. A
``.feature`` file becomes the process's feature (``features/<process>.feature``).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import Any

from engine.definitions.bundle import MAX_FILE_BYTES
from engine.definitions.drafts import feature_path
from engine.errors import InputError

MAX_ENTRIES = 500


@dataclass
class Upload:
    """Files read from an upload, and the ones left unread for their size (name → bytes claimed)."""

    files: dict[str, bytes] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)


def to_zip(files: dict[str, bytes]) -> bytes:
    """A zip of the files, names as stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return out.getvalue()


def _place(name: str, process_key: str) -> str:
    return feature_path(process_key) if name.lower().endswith(".feature") else name


def read_zip(data: bytes, process_key: str) -> Upload:
    """Read an uploaded zip into bundle files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError) as err:
        raise InputError("上传的文件不是有效的 zip 压缩包", f"The upload is not a valid zip file: {err}") from err
    if len(entries) > MAX_ENTRIES:
        raise InputError(f"压缩包内文件过多（最多 {MAX_ENTRIES} 个）", f"Too many files in the zip (max {MAX_ENTRIES})")
    names = [i.filename for i in entries]
    tops = {n.split("/", 1)[0] for n in names}
    strip = len(tops) == 1 and all("/" in n for n in names)
    upload = Upload()
    for info in entries:
        name = _place(info.filename.split("/", 1)[1] if strip else info.filename, process_key)
        if info.file_size > MAX_FILE_BYTES:
            upload.skipped[name] = info.file_size
            continue
        try:
            with archive.open(info) as handle:
                body = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as err:
            raise InputError(f"压缩包中的文件无法读取：{name}", f"Unreadable zip entry {name}: {err}") from err
        if len(body) > MAX_FILE_BYTES:
            upload.skipped[name] = len(body)
        else:
            upload.files[name] = body
    return upload


def read_loose(uploads: list[Any], current: dict[str, bytes], process_key: str) -> Upload:
    """Merge loose uploaded files into the draft's files: a known name replaces its file in place."""
    by_base = {posixpath.basename(n): n for n in current}
    upload = Upload(files=dict(current))
    for storage in uploads:
        base = posixpath.basename((storage.filename or "").replace("\\", "/"))
        if not base:
            continue
        if base.lower().endswith(".feature"):
            name = feature_path(process_key)
        elif base in by_base:
            name = by_base[base]
        elif base.endswith(".schema.json") or base.endswith(".uischema.json"):
            name = f"forms/{base}"
        else:
            name = base
        body = storage.stream.read(MAX_FILE_BYTES + 1)
        if len(body) > MAX_FILE_BYTES:
            upload.files.pop(name, None)
            upload.skipped[name] = len(body)
        else:
            upload.files[name] = body
    return upload
