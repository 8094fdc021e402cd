"""The app's own store: users, one-time login links, the audit log, the session-signing secret.

Reached through SQLAlchemy 2 Core: a SQLite file by default, PostgreSQL when GANSU_APP_DB names one
(`postgresql+psycopg://user@host/db`). The schema is Alembic's (dashboard/auth/migrations); `upgrade()`
brings a store to head and is run by the app at start and by `python -m dashboard.users`. The warehouse
(DuckDB, read-only) is a different database and is never written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "sqlite:///data/app.sqlite"  # relative to the project folder (not the working directory)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()
# Keep these in step with the migrations (tests/test_access_store.py compares them).
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=True),  # NULL: no password (one-time link / SSO only)
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope_code", sa.String(6), nullable=False),
    sa.Column("pii", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),  # bumped: old sessions end
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
)
login_tokens = sa.Table(
    "login_tokens", metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),  # the token itself is never stored
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),  # the token itself is never stored
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("label", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("scope_code", sa.String(6), nullable=True),  # the user's scope
    sa.Column("target", sa.String(64), nullable=True),  # place code or chart / document asked for
    sa.Column("row_count", sa.Integer, nullable=True),
    sa.Column("detail", sa.String(255), nullable=True),  # format, quarter… never personal data
)
FOLLOWUP_STATES = ("open", "in_progress", "done", "cancelled")
followups = sa.Table(  # 督办: an action attached to a target and a unit (dashboard/followups.py)
    "followups", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("unit_code", sa.String(12), nullable=False),  # 620000, a prefecture/county code or a village's 12 digits
    sa.Column("action", sa.String(500), nullable=False),
    sa.Column("responsible", sa.String(100), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'in_progress', 'done', 'cancelled')", name="ck_followups_state"),
    sa.Index("ix_followups_target_unit", "target_id", "unit_code"),
    sa.Index("ix_followups_unit", "unit_code"),
)
login_throttle = sa.Table(  # back-off of names with no account that can log in (unknown, disabled, no password)
    "login_throttle", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
settings = sa.Table(
    "app_settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

_lock = threading.Lock()
_state: dict = {"url": None, "engine": None, "pid": None}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(v: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if v is None:
        return None
    return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)


def resolve_url(url: str | None = None) -> str:
    url = url or os.environ.get("GANSU_APP_DB") or DEFAULT_URL
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        url = "sqlite:///" + str(ROOT / url[len("sqlite:///"):])
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, the driver installed
    return url


def configure(url: str | None) -> None:
    """Point the app at a store (tests; None = GANSU_APP_DB or the default)."""
    with _lock:
        if _state["engine"] is not None:
            _state["engine"].dispose()
        _state.update(url=resolve_url(url), engine=None, pid=None)
        _user_cache.clear()


def url() -> str:
    return _state["url"] or resolve_url()


def engine() -> sa.Engine:
    with _lock:
        if _state["engine"] is None or _state["pid"] != os.getpid():
            if _state["engine"] is not None:
                _state["engine"].dispose(close=False)  # a forked worker: the parent's connections are not ours
            u = url()
            kw: dict = {"pool_pre_ping": not u.startswith("sqlite")}  # a server can drop idle connections
            if u.startswith("sqlite"):
                path = u[len("sqlite:///"):]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                kw["connect_args"] = {"timeout": 15}
            eng = sa.create_engine(u, **kw)
            if u.startswith("sqlite"):
                @sa.event.listens_for(eng, "connect")
                def _pragmas(dbapi_con, _rec):
                    cur = dbapi_con.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")  # readers don't wait for the audit writer
                    cur.execute("PRAGMA foreign_keys=ON")
                    cur.close()
            _state.update(engine=eng, pid=os.getpid(), url=u)
        return _state["engine"]


@contextlib.contextmanager
def init_lock():
    """One process at a time migrates and seeds (gunicorn starts its workers together)."""
    u = url()
    if u.startswith("sqlite"):
        path = Path(u[len("sqlite:///"):] or "app.sqlite")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:
        with engine().connect() as con:
            con.execute(sa.text("SELECT pg_advisory_lock(620000)"))
            try:
                yield
            finally:
                con.execute(sa.text("SELECT pg_advisory_unlock(620000)"))
                con.commit()


def upgrade() -> None:
    """Alembic `upgrade head` on the configured store."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine().begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")


# ---------------------------------------------------------------- users
def get_user(name: str) -> dict | None:
    with engine().connect() as con:
        r = con.execute(sa.select(users).where(users.c.name == name)).mappings().first()
    return dict(r) if r else None


# Every request loads its user (is it still enabled, same session epoch?). A row read here is reused for
# USER_TTL_S: a change made in this process takes effect at once, one made elsewhere (the CLI, another
# worker) within USER_TTL_S.
USER_TTL_S = 2.0
_user_cache: dict[int, tuple[float, dict | None]] = {}


def get_user_by_id(uid: int) -> dict | None:
    hit = _user_cache.get(uid)
    if hit and time.monotonic() - hit[0] < USER_TTL_S:
        return dict(hit[1]) if hit[1] else None
    with engine().connect() as con:
        r = con.execute(sa.select(users).where(users.c.id == uid)).mappings().first()
    row = dict(r) if r else None
    _user_cache[uid] = (time.monotonic(), row)
    return dict(row) if row else None


def _changed() -> None:
    _user_cache.clear()


def list_users() -> list[dict]:
    with engine().connect() as con:
        return [dict(r) for r in con.execute(sa.select(users).order_by(users.c.name)).mappings()]


def user_count() -> int:
    with engine().connect() as con:
        return con.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()


def add_user(name: str, role: str, scope_code: str, password_hash: str | None, pii: bool = False) -> int:
    _changed()
    with engine().begin() as con:
        return con.execute(sa.insert(users).values(
            name=name, password_hash=password_hash, role=role, scope_code=scope_code, pii=pii, disabled=False,
            failures=0, session_epoch=0, created_at=now())).inserted_primary_key[0]


def update_user(name: str, *, bump_epoch: bool = False, **values) -> bool:
    """Change a user's row; bump_epoch ends every session the user has open."""
    stmt = sa.update(users).where(users.c.name == name).values(**values)
    if bump_epoch:
        stmt = stmt.values(session_epoch=users.c.session_epoch + 1)
    _changed()
    with engine().begin() as con:
        return con.execute(stmt).rowcount == 1


def record_failure(uid: int, lock_for) -> dict:
    """Count a failed password; `lock_for(failures)` gives the seconds until the next try is allowed (0 = now)."""
    _changed()
    with engine().begin() as con:
        con.execute(sa.update(users).where(users.c.id == uid).values(failures=users.c.failures + 1))
        n = con.execute(sa.select(users.c.failures).where(users.c.id == uid)).scalar_one()
        wait = lock_for(n)
        until = now() + dt.timedelta(seconds=wait) if wait else None
        con.execute(sa.update(users).where(users.c.id == uid).values(locked_until=until))
    return {"failures": n, "locked_until": until}


THROTTLE_KEEP_S = 24 * 3600  # a name with no account and no failure for this long is forgotten (bounded table)


def name_lock(name: str) -> dt.datetime | None:
    """Until when a name with no account is locked (None: not locked)."""
    with engine().connect() as con:
        v = con.execute(sa.select(login_throttle.c.locked_until).where(login_throttle.c.name == name)).scalar()
    return utc(v)


def record_name_failure(name: str, lock_for) -> dict:
    """record_failure for a name with no account, so that it slows down and locks exactly like an account."""
    try:
        return _record_name_failure(name, lock_for)
    except sa.exc.IntegrityError:  # the same new name failed at once in another request: it is there now
        return _record_name_failure(name, lock_for)


def _record_name_failure(name: str, lock_for) -> dict:
    t = now()
    with engine().begin() as con:
        con.execute(sa.delete(login_throttle).where(login_throttle.c.last_failure_at < t - dt.timedelta(
            seconds=THROTTLE_KEEP_S), sa.or_(login_throttle.c.locked_until.is_(None), login_throttle.c.locked_until < t)))
        done = con.execute(sa.update(login_throttle).where(login_throttle.c.name == name).values(
            failures=login_throttle.c.failures + 1, last_failure_at=t))
        if done.rowcount == 0:
            con.execute(sa.insert(login_throttle).values(name=name, failures=1, last_failure_at=t))
        n = con.execute(sa.select(login_throttle.c.failures).where(login_throttle.c.name == name)).scalar_one()
        wait = lock_for(n)
        until = t + dt.timedelta(seconds=wait) if wait else None
        con.execute(sa.update(login_throttle).where(login_throttle.c.name == name).values(locked_until=until))
    return {"failures": n, "locked_until": until}


def forget_name(name: str) -> None:
    with engine().begin() as con:
        con.execute(sa.delete(login_throttle).where(login_throttle.c.name == name))


def record_login(uid: int) -> None:
    _changed()
    with engine().begin() as con:
        con.execute(sa.update(users).where(users.c.id == uid).values(failures=0, locked_until=None,
                                                                      last_login_at=now()))


# ---------------------------------------------------------------- one-time login links
def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_login_token(uid: int, minutes: int) -> str:
    token = secrets.token_urlsafe(32)
    with engine().begin() as con:
        con.execute(sa.insert(login_tokens).values(token_sha256=_sha(token), user_id=uid,
                                                   expires_at=now() + dt.timedelta(minutes=minutes)))
    return token


def redeem_login_token(token: str) -> int | None:
    """The user id, once: the first redeem marks the token used (atomically), later ones get None."""
    if not token or len(token) > 128:
        return None
    h, t = _sha(token), now()
    with engine().begin() as con:
        row = con.execute(sa.select(login_tokens).where(login_tokens.c.token_sha256 == h)).mappings().first()
        if row is None or row["used_at"] is not None or utc(row["expires_at"]) < t:
            return None
        done = con.execute(sa.update(login_tokens).where(login_tokens.c.token_sha256 == h,
                                                         login_tokens.c.used_at.is_(None)).values(used_at=t))
        return row["user_id"] if done.rowcount == 1 else None


# ---------------------------------------------------------------- data API tokens
API_TOKEN_PREFIX = "gansu_"


def create_api_token(uid: int, label: str | None = None) -> tuple[int, str]:
    """(id, token): the token is shown once; only its SHA-256 is kept (it is 256 random bits)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine().begin() as con:
        tid = con.execute(sa.insert(api_tokens).values(token_sha256=_sha(token), user_id=uid,
                                                       label=(label or None) and label[:64],
                                                       created_at=now())).inserted_primary_key[0]
    return tid, token


def api_token_user(token: str) -> dict | None:
    """The enabled user a live (not revoked) token belongs to, else None; notes when it was last used."""
    if not token or len(token) > 128 or not token.startswith(API_TOKEN_PREFIX):
        return None
    h = _sha(token)
    with engine().begin() as con:
        row = con.execute(sa.select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.last_used_at).where(
            api_tokens.c.token_sha256 == h, api_tokens.c.revoked_at.is_(None))).mappings().first()
        if row is None:
            return None
        t = now()
        if row["last_used_at"] is None or t - utc(row["last_used_at"]) > dt.timedelta(minutes=1):
            con.execute(sa.update(api_tokens).where(api_tokens.c.id == row["id"]).values(last_used_at=t))
    user = get_user_by_id(row["user_id"])
    return user if user and not user["disabled"] else None


def list_api_tokens(uid: int | None = None) -> list[dict]:
    q = (sa.select(api_tokens.c.id, api_tokens.c.label, api_tokens.c.created_at, api_tokens.c.last_used_at,
                   api_tokens.c.revoked_at, users.c.name)
         .join(users, users.c.id == api_tokens.c.user_id).order_by(api_tokens.c.id))
    if uid is not None:
        q = q.where(api_tokens.c.user_id == uid)
    with engine().connect() as con:
        return [dict(r) for r in con.execute(q).mappings()]


def revoke_api_token(token_id: int, uid: int | None = None) -> bool:
    """Revoke one token (of user `uid` when given); True if it was live."""
    stmt = sa.update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
    if uid is not None:
        stmt = stmt.where(api_tokens.c.user_id == uid)
    with engine().begin() as con:
        return con.execute(stmt.values(revoked_at=now())).rowcount == 1


# ---------------------------------------------------------------- audit
def audit(username: str, event: str, *, scope_code: str | None = None, target: str | None = None,
          row_count: int | None = None, detail: str | None = None) -> None:
    with engine().begin() as con:
        con.execute(sa.insert(audit_log).values(
            at=now(), username=username[:64], event=event[:32], scope_code=scope_code,
            target=(target or None) and str(target)[:64], row_count=row_count, detail=(detail or None) and detail[:255]))


def audit_rows(since: dt.datetime | None = None, limit: int | None = None) -> list[dict]:
    q = sa.select(audit_log).order_by(audit_log.c.id.desc())
    if since is not None:
        q = q.where(audit_log.c.at >= since)
    if limit:
        q = q.limit(limit)
    with engine().connect() as con:
        return [dict(r) | {"at": utc(r["at"])} for r in con.execute(q).mappings()]


# ---------------------------------------------------------------- settings
def secret_key() -> str:
    """GANSU_SECRET_KEY, else a random key made once and kept in the store (shared by every worker)."""
    env = os.environ.get("GANSU_SECRET_KEY")
    if env:
        return env
    with engine().begin() as con:
        v = con.execute(sa.select(settings.c.value).where(settings.c.key == "secret_key")).scalar()
        if v is None:
            v = secrets.token_hex(32)
            con.execute(sa.insert(settings).values(key="secret_key", value=v))
    return v

