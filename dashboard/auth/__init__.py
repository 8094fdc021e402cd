"""Named users, roles and row-level scope (issue #12).

    store.py     the app's own database (SQLAlchemy 2 + Alembic): users, one-time links, audit log
    accounts.py  roles, scopes, argon2 passwords, back-off and lock-out, first run
    web.py       Flask glue: login/logout, sessions, the guard on every request, scope and audit helpers
    dashboard/users.py   the CLI (python -m dashboard.users …)
"""

from dashboard.auth.web import (
    audit,
    audit_frame,
    callback_in_scope,
    first_run,
    home_code,
    init_app,
    is_admin,
    os_user,
    pii_granted,
    request_scope_code,
    set_store,
    user_box,
)

__all__ = ["audit", "audit_frame", "callback_in_scope", "first_run", "home_code", "init_app", "is_admin", "os_user", "pii_granted", "request_scope_code",
           "set_store", "user_box"]
