"""Accounts: roles and scopes, password hashing (argon2), login back-off and lock-out, first run.

No Flask here: the web glue (dashboard/auth/web.py) and the CLI (dashboard/users.py) both call these.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.auth import store

ROLES = ("admin", "leader", "analyst")
PROVINCE = "620000"
_CODE6 = re.compile(r"^62\d{4}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # a bounded request: argon2 of a megabyte is not free

# Back-off: from the SLOW_AFTER-th failure on, the next try waits 2, 4, 8 … s (at most SLOW_MAX_S);
# at LOCK_AFTER failures the account locks for LOCK_S. A success, or a new password, resets.
SLOW_AFTER = int(os.environ.get("GANSU_LOGIN_SLOW_AFTER", "3"))
SLOW_MAX_S = 60
LOCK_AFTER = int(os.environ.get("GANSU_LOGIN_LOCK_AFTER", "10"))
LOCK_S = int(os.environ.get("GANSU_LOGIN_LOCK_MINUTES", "15")) * 60
LINK_MINUTES = int(os.environ.get("GANSU_LOGIN_LINK_MINUTES", "15"))

_ph = PasswordHasher()
_DUMMY_HASH = _ph.hash(secrets.token_hex(16))  # unknown names cost the same time as known ones
DEMO_ACCOUNTS = (("leader", "leader", PROVINCE), ("linxia", "analyst", "622900"), ("dongxiang", "analyst", "622926"))


class AccountError(ValueError):
    """A bad name, role, scope or password, said so the operator can fix it."""


def lock_seconds(failures: int) -> int:
    if failures >= LOCK_AFTER:
        return LOCK_S
    if failures >= SLOW_AFTER:
        return min(2 ** (failures - SLOW_AFTER + 1), SLOW_MAX_S)
    return 0


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    return _ph.hash(password)


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise AccountError("a user name is 1–64 letters, digits or _ . @ -")
    return name


def check_role_scope(role: str, scope: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not _CODE6.match(scope or ""):
        raise AccountError("scope must be 620000 (province), a prefecture or a county code of Gansu (62xxxx)")


def add(name: str, role: str, scope: str = PROVINCE, password: str | None = None, pii: bool = False) -> int:
    check_name(name)
    check_role_scope(role, scope)
    if store.get_user(name):
        raise AccountError(f"user {name} exists")
    return store.add_user(name, role, scope, hash_password(password) if password is not None else None, pii)


def set_password(name: str, password: str) -> None:
    h = hash_password(password)
    if not store.update_user(name, bump_epoch=True, password_hash=h, failures=0, locked_until=None):
        raise AccountError(f"no user {name}")


def disable(name: str) -> None:
    if not store.update_user(name, bump_epoch=True, disabled=True):
        raise AccountError(f"no user {name}")


@dataclasses.dataclass(frozen=True)
class Attempt:
    status: str  # ok | bad | locked
    user: dict | None = None
    wait_s: int = 0


def authenticate(name: str, password: str) -> Attempt:
    """Check a password against the store, with back-off per account (kept in the store, so it holds across
    workers and restarts). A locked account is refused before its password is looked at."""
    password = password if isinstance(password, str) and len(password) <= MAX_PASSWORD else ""
    u = store.get_user(name) if name and len(name) <= 64 else None
    if u is None or u["password_hash"] is None or u["disabled"]:
        # no account that can log in: the same time, back-off and lock as an account (by name), no enumeration
        key = (name or "")[:64]
        locked = store.name_lock(key)
        if locked and locked > store.now():
            return Attempt("locked", None, _seconds_until(locked))
        _verify(_DUMMY_HASH, password)
        r = store.record_name_failure(key, lock_seconds)
        return Attempt("locked" if r["locked_until"] else "bad", None, _seconds_until(r["locked_until"]))
    locked = store.utc(u["locked_until"])
    if locked and locked > store.now():
        return Attempt("locked", u, _seconds_until(locked))
    if not _verify(u["password_hash"], password):
        r = store.record_failure(u["id"], lock_seconds)
        return Attempt("locked" if r["locked_until"] else "bad", u, _seconds_until(r["locked_until"]))
    if _ph.check_needs_rehash(u["password_hash"]):
        store.update_user(name, password_hash=_ph.hash(password))
    store.record_login(u["id"])
    return Attempt("ok", u)


def _seconds_until(t) -> int:
    return max(1, int((t - store.now()).total_seconds() + 0.999)) if t else 0


def _verify(h: str, password: str) -> bool:
    try:
        return _ph.verify(h, password)
    except (VerificationError, InvalidHashError):
        return False


def login_link(name: str, base_url: str) -> str:
    u = store.get_user(name)
    if u is None or u["disabled"]:
        raise AccountError(f"no active user {name}")
    return f"{base_url.rstrip('/')}/login/once/{store.create_login_token(u['id'], LINK_MINUTES)}"


def first_run(base_url: str, demo: bool, out=print) -> bool:
    """An empty store gets an admin (no password: a one-time login link, printed) and, on a demo warehouse
    only, the demo accounts with random passwords printed once and stored hashed. Never a default password."""
    with store.init_lock():
        if store.user_count():
            return False
        add("admin", "admin", PROVINCE)
        out(f"First run: an admin account was created. Log in once at (valid {LINK_MINUTES} min, single use):\n"
            f"    {login_link('admin', base_url)}\n"
            "then give it a password: python -m dashboard.users set-password admin --password-stdin", flush=True)
        if demo:
            lines = []
            for name, role, scope in DEMO_ACCOUNTS:
                pw = secrets.token_urlsafe(12)
                add(name, role, scope, pw)
                lines.append(f"    {name:<10} {role:<8} {scope}  password: {pw}")
            out("Demo warehouse: demo accounts (passwords shown this once, stored only hashed):\n" + "\n".join(lines),
                flush=True)
        return True
