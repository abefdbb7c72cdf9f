"""Request guards that run before every view.

A NUL byte has no business in a URL, a query string or a form: PostgreSQL refuses it in text columns, and
no user types one. Rather than let each view reach the database with it, such a request is answered
400 up front. (The store still turns any value the database refuses into an input error, for JSON bodies
and other paths the guard does not read.)
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, abort, request


def _has_nul(pairs: Iterable[tuple[str, str]]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def refuse_nul_bytes() -> None:
    """Answer 400 when the path, the query string or a form field (name or value) holds a NUL byte."""
    if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
        abort(400)
    if _has_nul(request.args.items(multi=True)) or _has_nul(request.form.items(multi=True)):
        abort(400)
    if any("\x00" in name or "\x00" in (f.filename or "") for name, f in request.files.items(multi=True)):
        abort(400)


def register(app: Flask) -> None:
    """Install the guards on the app."""
    app.before_request(refuse_nul_bytes)
