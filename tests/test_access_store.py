"""The app store (SQLAlchemy + Alembic) and the users CLI, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from tests.conftest import app_store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    with app_store(request.param, request, tmp_path_factory, "access_store") as url:
        yield url


def cli(*argv, stdin: str = ""):
    from dashboard import users

    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        rc = users.main(list(argv), stdin=io.StringIO(stdin), out=out)
    return rc, out.getvalue(), err.getvalue()


def test_migrations_build_exactly_the_tables_the_code_uses(backend):
    """Alembic's head is the schema of dashboard.auth.store (autogenerate finds nothing to change)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from dashboard.auth import store

    with store.engine().connect() as con:
        ctx = MigrationContext.configure(con)
        assert ctx.get_current_revision() == "0004"
        diff = compare_metadata(ctx, store.metadata)
    assert diff == [], diff
    store.upgrade()  # a second upgrade is a no-op


def test_cli_add_list_disable_set_password_audit(backend):
    from dashboard.auth import accounts, store

    rc, out, _ = cli("add", "ana", "--role", "analyst", "--scope", "622900", "--pii", "--password-stdin",
                     stdin="correct horse battery\n")
    assert rc == 0 and "ana" in out
    row = store.get_user("ana")
    assert row["role"] == "analyst" and row["scope_code"] == "622900" and row["pii"] is True
    assert row["password_hash"].startswith("$argon2id$") and "correct horse" not in row["password_hash"]
    assert accounts.authenticate("ana", "correct horse battery").status == "ok"
    assert cli("add", "ana", "--role", "analyst", "--password-stdin", stdin="another one 123\n")[0] == 2
    assert cli("add", "bad name!", "--role", "analyst", "--password-stdin", stdin="x" * 12 + "\n")[0] == 2
    assert cli("add", "x1", "--role", "analyst", "--scope", "110000", "--password-stdin", stdin="x" * 12 + "\n")[0] == 2
    assert cli("add", "x2", "--role", "analyst", "--password-stdin", stdin="short\n")[0] == 2
    rc, out, _ = cli("list")
    assert rc == 0 and re.search(r"^ana\tanalyst\t622900\tyes\tno\t0", out, re.M)
    rc, _, _ = cli("set-password", "ana", "--password-stdin", stdin="a brand new secret\n")
    assert rc == 0 and accounts.authenticate("ana", "correct horse battery").status == "bad"
    assert accounts.authenticate("ana", "a brand new secret").status == "ok"
    assert cli("disable", "ana")[0] == 0
    assert accounts.authenticate("ana", "a brand new secret").status == "bad"
    assert cli("disable", "nobody")[0] == 2
    store.audit("ana", "export", scope_code="622900", target="622926", row_count=12, detail="map csv 2019Q4")
    rc, out, _ = cli("audit")
    assert rc == 0 and re.search(r"\tana\texport\t622900\t622926\t12\tmap csv 2019Q4$", out, re.M)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    rc, out, _ = cli("audit", "--since", tomorrow)
    assert rc == 0 and out.strip().count("\n") == 0  # the header only


def test_first_run_admin_link_once_and_demo_accounts_only_on_demo(backend, tmp_path, monkeypatch):
    import app as app_module
    from dashboard.auth import accounts, store

    # a fresh store of its own (the module's has users by now)
    monkeypatch.setattr(store, "user_count", lambda: 0)
    lines = []
    assert accounts.first_run("http://127.0.0.1:8050", demo=False, out=lambda *a, **k: lines.append(" ".join(a)))
    monkeypatch.undo()
    admin = store.get_user("admin")
    assert admin["role"] == "admin" and admin["password_hash"] is None  # never a default password
    assert not any(store.get_user(n) for n, _, _ in accounts.DEMO_ACCOUNTS)
    link = re.search(r"http://127\.0\.0\.1:8050(/login/once/\S+)", "\n".join(lines)).group(1)
    c = app_module.app.server.test_client()
    r = c.get(link)
    assert r.status_code == 302 and c.get("/_dash-layout").status_code == 200
    assert app_module.app.server.test_client().get(link).status_code == 403, "single use"
    # an expired link
    token = store.create_login_token(admin["id"], minutes=-1)
    assert app_module.app.server.test_client().get(f"/login/once/{token}").status_code == 403
    assert app_module.app.server.test_client().get("/login/once/forged").status_code == 403
    # a second start changes nothing
    assert accounts.first_run("http://x", demo=True, out=lambda *a, **k: None) is False
    assert not any(store.get_user(n) for n, _, _ in accounts.DEMO_ACCOUNTS)


def test_first_run_on_a_demo_warehouse_prints_demo_passwords_once_stores_hashes(tmp_path, monkeypatch):
    from dashboard.auth import accounts, store

    previous = store.url()
    store.configure(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        store.upgrade()
        lines = []
        assert accounts.first_run("http://h:1", demo=True, out=lambda *a, **k: lines.append(" ".join(a)))
        text = "\n".join(lines)
        for name, role, scope in accounts.DEMO_ACCOUNTS:
            pw = re.search(rf"{name}\s+{role}\s+{scope}\s+password: (\S+)", text).group(1)
            row = store.get_user(name)
            assert row["scope_code"] == scope and pw not in row["password_hash"]
            assert accounts.authenticate(name, pw).status == "ok"
        assert store.get_user("linxia")["scope_code"] == "622900"
        assert store.get_user("dongxiang")["scope_code"] == "622926"
    finally:
        store.configure(previous)
