"""What the caseworker web app needs beyond the façade: inbox views, drafts, comments, attachments, tokens.

Every function here takes an :class:`~engine.accounts.authz.Actor` (or authenticates one) and scopes its
reads and writes by the actor's grants, exactly as ``engine.runtime.queries`` does: the web layer shows
what these functions return and never filters for security itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.bootstrap import Services
from engine.worklist.access import Access, ActorCache
from engine.worklist.admin import Admin
from engine.worklist.collab import Collaboration
from engine.worklist.diagram import Diagrams
from engine.worklist.inbox import Inbox
from engine.worklist.taskforms import TaskForms


@dataclass
class Worklist:
    """The worklist services of one database, built once per app."""

    inbox: Inbox
    access: Access
    forms: TaskForms
    collab: Collaboration
    diagrams: Diagrams
    admin: Admin
    actors: ActorCache


def build_worklist(services: Services) -> Worklist:
    """Build the worklist services over the engine services."""
    return Worklist(
        inbox=Inbox(services.db),
        access=Access(services.db, services.directory),
        forms=TaskForms(services.db, services.engine.definitions, services.queries),
        collab=Collaboration(services.db, services.queries),
        diagrams=Diagrams(services.db, services.engine.definitions, services.queries),
        admin=Admin(services.db, services.directory),
        actors=ActorCache(services.engine.actor),
    )
