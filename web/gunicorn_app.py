"""Serve the app with gunicorn: each worker builds its own engine services after the fork.

Workers share nothing but the database (row locks, optimistic locking), so any number of them on any
number of hosts may serve the same PostgreSQL database — set the same ``SHEQUFLOW_SECRET_KEY`` on each.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _App(BaseApplication):
    def __init__(self, database_url: str | None, options: dict[str, Any]) -> None:
        self.database_url = database_url
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from web import create_app

        return create_app({"SHEQUFLOW_DATABASE_URL": self.database_url})


def run_gunicorn(database_url: str | None, bind: str, workers: int, **extra: Any) -> None:
    """Run gunicorn in the foreground with ``workers`` processes."""
    options = {"bind": bind, "workers": workers, "accesslog": "-", "timeout": 60, **extra}
    _App(database_url, options).run()
