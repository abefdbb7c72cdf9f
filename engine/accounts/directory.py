"""The directory: districts, streets, organizations, users and their grants.

Passwords are stored as salted scrypt hashes (werkzeug.security); the plain text never touches the
database. Grants name a role (a lane name) and a scope: a street, a district or an organization.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from engine.accounts.authz import SCOPE_TYPES
from engine.clock import Clock, to_db_time
from engine.errors import InputError, NotFoundError
from engine.store.db import Database


@dataclass(frozen=True)
class UserView:
    """A user without secrets."""

    id: int
    username: str
    display_name: str
    active: bool


class Directory:
    """Create and look up the places, organizations and people the engine scopes work by."""

    def __init__(self, db: Database, clock: Clock, password_method: str = "scrypt") -> None:
        self.db = db
        self.clock = clock
        self.password_method = password_method  # tests pass a cheap method; every method verifies the same way

    def add_district(self, code: str, name: str) -> None:
        """Create or rename a district."""
        with self.db.transaction() as tx:
            if tx.scalar("SELECT 1 FROM districts WHERE code = :c", {"c": code}):
                tx.execute("UPDATE districts SET name = :n WHERE code = :c", {"c": code, "n": name})
            else:
                tx.execute("INSERT INTO districts (code, name) VALUES (:c, :n)", {"c": code, "n": name})

    def add_street(self, code: str, name: str, district_code: str) -> None:
        """Create or rename a street of a district."""
        with self.db.transaction() as tx:
            if not tx.scalar("SELECT 1 FROM districts WHERE code = :d", {"d": district_code}):
                raise NotFoundError(f"区不存在：{district_code}", f"No such district: {district_code}")
            if tx.scalar("SELECT 1 FROM streets WHERE code = :c", {"c": code}):
                tx.execute(
                    "UPDATE streets SET name = :n, district_code = :d WHERE code = :c",
                    {"c": code, "n": name, "d": district_code},
                )
            else:
                tx.execute(
                    "INSERT INTO streets (code, name, district_code) VALUES (:c, :n, :d)",
                    {"c": code, "n": name, "d": district_code},
                )

    def add_organization(self, name: str, street_code: str | None, uscc: str | None = None) -> int:
        """Create an organization (a filed group may have no USCC yet); return its id."""
        with self.db.transaction() as tx:
            existing = tx.scalar("SELECT id FROM organizations WHERE name = :n", {"n": name})
            if existing is not None:
                return int(existing)
            return int(
                tx.scalar(
                    "INSERT INTO organizations (name, uscc, street_code) VALUES (:n, :u, :s) RETURNING id",
                    {"n": name, "u": uscc, "s": street_code},
                )
            )

    def add_user(self, username: str, password: str, display_name: str | None = None) -> int:
        """Create a user with a hashed password (or reset the password of an existing one)."""
        if not username or len(password) < 8:
            raise InputError("用户名不能为空，密码至少 8 位", "Username required; password of 8+ characters")
        hashed = generate_password_hash(password, method=self.password_method)
        with self.db.transaction() as tx:
            uid = tx.scalar("SELECT id FROM users WHERE username = :u", {"u": username})
            if uid is not None:
                tx.execute(
                    "UPDATE users SET password_hash = :h, display_name = COALESCE(:d, display_name) WHERE id = :id",
                    {"h": hashed, "d": display_name, "id": uid},
                )
                return int(uid)
            return int(
                tx.scalar(
                    "INSERT INTO users (username, display_name, password_hash, active, created_at) "
                    "VALUES (:u, :d, :h, :a, :t) RETURNING id",
                    {
                        "u": username,
                        "d": display_name or username,
                        "h": hashed,
                        "a": True,
                        "t": to_db_time(self.clock.now()),
                    },
                )
            )

    def grant(self, username: str, role: str, scope_type: str, scope_id: str | int) -> None:
        """Give a user a role in a street, district or organization (idempotent)."""
        if scope_type not in SCOPE_TYPES:
            raise InputError(f"范围类型必须是 {', '.join(SCOPE_TYPES)}", f"scope_type must be one of {SCOPE_TYPES}")
        table = {"street": "streets", "district": "districts", "organization": "organizations"}[scope_type]
        key = "id" if scope_type == "organization" else "code"
        with self.db.transaction() as tx:
            uid = tx.scalar("SELECT id FROM users WHERE username = :u", {"u": username})
            if uid is None:
                raise NotFoundError(f"用户不存在：{username}", f"No such user: {username}")
            sid = int(scope_id) if scope_type == "organization" else str(scope_id)
            if not tx.scalar(f"SELECT 1 FROM {table} WHERE {key} = :s", {"s": sid}):
                raise NotFoundError(f"范围不存在：{scope_type} {scope_id}", f"No such scope: {scope_type} {scope_id}")
            if not tx.scalar(
                "SELECT 1 FROM grants WHERE user_id = :u AND role = :r AND scope_type = :t AND scope_id = :s",
                {"u": uid, "r": role, "t": scope_type, "s": str(scope_id)},
            ):
                tx.execute(
                    "INSERT INTO grants (user_id, role, scope_type, scope_id) VALUES (:u, :r, :t, :s)",
                    {"u": uid, "r": role, "t": scope_type, "s": str(scope_id)},
                )

    def authenticate(self, username: str, password: str) -> UserView | None:
        """Return the user if the password matches and the account is active."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT id, username, display_name, active, password_hash FROM users WHERE username = :u",
                {"u": username},
            )
        if row is None or not row[3] or not check_password_hash(row[4], password):
            return None
        return UserView(row[0], row[1], row[2], bool(row[3]))

    def known_roles(self) -> set[str]:
        """Every role granted to someone (used to warn about lanes nobody can work)."""
        with self.db.transaction(write=False) as tx:
            return {r[0] for r in tx.all("SELECT DISTINCT role FROM grants")}
