"""Signing in: throttled password checks, API tokens and the time of a user's previous visit.

Throttling counts failed attempts in the database (so every web host sees the same count): a username
with :data:`MAX_FAILURES_PER_USER` failures, or an address with :data:`MAX_FAILURES_PER_REMOTE`, inside
:data:`WINDOW` is refused — even with the right password — until the window has passed. The refusal
does not say whether the username exists. Each attempt is recorded as a failure *before* its password
is checked, in a transaction serialized per username (see :meth:`Access.sign_in`), so parallel requests
cannot overshoot the limit.

API tokens are random secrets shown once; the database keeps only their SHA-256, so a leaked backup
does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.accounts.authz import Actor
from engine.accounts.directory import Directory, UserView
from engine.clock import to_db_time
from engine.errors import InputError, NotFoundError, PermissionDeniedError
from engine.store.db import Database

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_REMOTE = 30
TOKEN_PREFIX = "sqf_"


class LoginThrottledError(PermissionDeniedError):
    """Too many failed sign-ins for this username or address."""

    code = "throttled"


@dataclass(frozen=True)
class TokenView:
    """An API token without its secret."""

    id: int
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Access:
    """Sign-in with throttling, API tokens and visit times."""

    def __init__(self, db: Database, directory: Directory) -> None:
        self.db = db
        self.directory = directory

    def sign_in(self, username: str, password: str, remote: str, now: datetime) -> UserView | None:
        """Check a password unless throttled; record the attempt; None for a wrong username or password.

        Check and record are one step: the attempt is first written as a failure in a write transaction
        that serializes per username and per address, the failures are counted including it, and only
        an attempt within the limit reaches the password check (then marked a success if it was right).
        Parallel requests therefore cannot all read the same count before any of them is recorded.
        """
        username, remote = username.strip()[:64], (remote or "-")[:64]
        attempt_id = self._record_failure(username, remote, now)
        user = self.directory.authenticate(username, password) if username and password else None
        if user is not None:
            with self.db.transaction() as tx:
                tx.execute("UPDATE login_attempts SET success = :s WHERE id = :id", {"s": True, "id": attempt_id})
                # a success clears the user's failures
                tx.execute("DELETE FROM login_attempts WHERE username = :u AND NOT success", {"u": username})
        return user

    def _record_failure(self, username: str, remote: str, now: datetime) -> int:
        """Record the attempt as a failure and return its id; refuse (recording nothing) beyond a limit."""
        since = to_db_time(now - WINDOW)
        with self.db.transaction() as tx:  # SQLite: BEGIN IMMEDIATE already serializes every writer
            if tx.dialect == "postgresql":  # user lock before address lock, always: no deadlock cycle
                tx.execute("SELECT pg_advisory_xact_lock(1, hashtext(:u))", {"u": username})
                tx.execute("SELECT pg_advisory_xact_lock(2, hashtext(:r))", {"r": remote})
            row = tx.one(
                "INSERT INTO login_attempts (username, remote, at, success) VALUES (:u, :r, :t, :s) RETURNING id",
                {"u": username, "r": remote, "t": to_db_time(now), "s": False},
            )
            by_user = tx.scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE username = :u AND at > :t AND NOT success",
                {"u": username, "t": since},
            )
            by_remote = tx.scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE remote = :r AND at > :t AND NOT success",
                {"r": remote, "t": since},
            )
            if int(by_user or 0) > MAX_FAILURES_PER_USER or int(by_remote or 0) > MAX_FAILURES_PER_REMOTE:
                raise LoginThrottledError(  # rolls the attempt back: refusals do not extend the window
                    "登录失败次数过多，请 15 分钟后再试", "Too many failed sign-ins; try again in 15 minutes"
                )
        assert row is not None
        return int(row[0])

    def begin_visit(self, username: str, now: datetime) -> str | None:
        """Record a new visit; return when the previous one began (None on the first)."""
        stamp = to_db_time(now)
        with self.db.transaction() as tx:
            previous = tx.scalar("SELECT last_seen_at FROM user_visits WHERE username = :u", {"u": username})
            if previous is None:
                tx.execute(
                    "INSERT INTO user_visits (username, last_seen_at) VALUES (:u, :t)", {"u": username, "t": stamp}
                )
            else:
                tx.execute(
                    "UPDATE user_visits SET previous_seen_at = last_seen_at, last_seen_at = :t WHERE username = :u",
                    {"u": username, "t": stamp},
                )
        return str(previous) if previous else None

    def create_token(self, username: str, name: str, now: datetime) -> str:
        """Create an API token for a user; return the secret (shown once, stored hashed)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InputError("令牌名称必填，不超过100字", "Token name required, at most 100 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            if not tx.scalar("SELECT 1 FROM users WHERE username = :u AND active", {"u": username}):
                raise NotFoundError(f"用户不存在：{username}", f"No such user: {username}")
            tx.execute(
                "INSERT INTO api_tokens (username, name, token_hash, created_at) VALUES (:u, :n, :h, :t)",
                {"u": username, "n": name, "h": _hash(secret), "t": to_db_time(now)},
            )
        return secret

    def token_user(self, secret: str, now: datetime) -> str | None:
        """The active user a token belongs to, or None for an unknown or revoked token."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT t.id, t.username, t.last_used_at FROM api_tokens t JOIN users u ON u.username = t.username "
                "WHERE t.token_hash = :h AND t.revoked_at IS NULL AND u.active",
                {"h": _hash(secret)},
            )
        if row is None:
            return None
        stamp = to_db_time(now) or ""
        if row[2] is None or row[2] < (to_db_time(now - timedelta(minutes=5)) or ""):
            with self.db.transaction() as tx:  # at most one write per token per five minutes
                tx.execute("UPDATE api_tokens SET last_used_at = :t WHERE id = :id", {"t": stamp, "id": row[0]})
        return str(row[1])

    def tokens(self, username: str) -> list[TokenView]:
        """A user's tokens, newest first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE username = :u "
                "ORDER BY id DESC",
                {"u": username},
            )
        return [TokenView(*r) for r in rows]

    def revoke_token(self, username: str, token_id: int, now: datetime) -> None:
        """Revoke one of the user's own tokens (another user's token is 'not found')."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE api_tokens SET revoked_at = :t WHERE id = :id AND username = :u AND revoked_at IS NULL",
                {"t": to_db_time(now), "id": token_id, "u": username},
            )
            if tx.rowcount == 0:
                raise NotFoundError(f"令牌不存在：#{token_id}", f"No such token: #{token_id}")


class ActorCache:
    """Users' resolved grants, reused for :data:`ACTOR_TTL` seconds within one process.

    Every request needs the actor; loading it costs three queries. A grant given or taken back takes
    effect on every host within the TTL.
    """

    def __init__(self, load: Callable[[str], Actor], ttl: float = 2.0, size: int = 10_000) -> None:
        self.load = load
        self.ttl = ttl
        self.size = size
        self._items: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, username: str) -> Actor:
        """The user's actor (NotFound for an unknown or inactive user, as the loader says)."""
        now = time.monotonic()
        hit = self._items.get(username)
        if hit is not None and hit[0] > now:
            return hit[1]
        actor = self.load(username)
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[username] = (now + self.ttl, actor)
        return actor
