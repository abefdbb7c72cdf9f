"""Access to the engine services and the clock from a request (built by the app factory)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from engine.bootstrap import Services
from engine.worklist import Worklist


def engine_services() -> Services:
    services: Services = current_app.extensions["shequflow"]
    return services


def worklist() -> Worklist:
    found: Worklist = current_app.extensions["shequflow.worklist"]
    return found


def clock_now() -> datetime:
    """The engine clock's now (a test's manual clock moves the web too)."""
    return engine_services().engine.clock.now()
