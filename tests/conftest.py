import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from etl.load import load
from tests.fixtures import write_tiny_inputs

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BROWSER_USER = ("browser-tests", "leader", "620000")  # the province leader the browser tests log in as


def pytest_configure(config):
    """Every test process uses a throw-away app store (users, audit): never data/app.sqlite. Set before
    `app` is imported (its create_app migrates the store); servers started by tests inherit it."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="gansu-appstore-"))
    os.environ["GANSU_APP_DB"] = f"sqlite:///{folder / 'app.sqlite'}"
    os.environ.setdefault("GANSU_SECRET_KEY", os.urandom(32).hex())
    # the heavy-export limiter's file locks: this run's own folder, not the machine-wide default that other
    # test runs and servers share (their exports would take this run's one slot: "busy", no file)
    from etl import paths

    os.environ["GANSU_HEAVY_LOCK_DIR"] = paths.HEAVY_LOCK_DIR = str(folder / "export-locks")


def ensure_user(name: str, role: str = "leader", scope: str = "620000", pii: bool = False) -> str:
    """A user in the current store with a known password (made, or its password reset); returns the password."""
    from dashboard.auth import accounts, store

    password = f"pw-{name}-0123456789"
    with store.init_lock():  # (a test that starts its own server may not have imported app yet)
        store.upgrade()
    if store.get_user(name) is None:
        accounts.add(name, role, scope, password, pii)
    else:
        accounts.set_password(name, password)
    return password


def browser_login(driver, base: str, name: str | None = None, password: str | None = None) -> None:
    """Log in through the real login form in the browser."""
    import time

    if name is None:
        name, role, scope = BROWSER_USER
        password = ensure_user(name, role, scope)
    driver.get(base + "/login")
    driver.find_element("id", "username").send_keys(name)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "login-submit").click()
    deadline = time.monotonic() + 20
    while "/login" in driver.current_url:
        assert time.monotonic() < deadline, "login did not go through"
        time.sleep(0.05)


def http_login(base: str, name: str | None = None, password: str | None = None):
    """A requests.Session logged in through POST /login, sending the CSRF header Dash's callbacks need."""
    import re

    import requests

    if name is None:
        name, role, scope = BROWSER_USER
        password = ensure_user(name, role, scope)
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(base + "/login", timeout=30).text).group(1)
    r = s.post(base + "/login", data={"username": name, "password": password, "csrf_token": token}, timeout=30)
    assert r.ok and "/login" not in r.url, (r.status_code, r.url)
    s.headers["X-CSRFToken"] = s.cookies.get("_csrf_token")
    return s


def client_login(server, name: str | None = None, password: str | None = None):
    """A Flask test client of `server` logged in through the real login form (the province leader by default),
    holding the CSRF cookie's value in `.csrf` for the X-CSRFToken header Dash's callbacks need."""
    import re

    if name is None:
        name, role, scope = BROWSER_USER
        password = ensure_user(name, role, scope)
    c = server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert r.status_code == 302 and "/login" not in r.headers["Location"], (r.status_code, r.text[:300])
    c.get("/", headers={"Accept": "text/html"})  # the page sets the CSRF cookie
    c.csrf = c.get_cookie("_csrf_token").value
    return c


@pytest.fixture(scope="session")
def tiny_inputs(tmp_path_factory) -> Path:
    return write_tiny_inputs(tmp_path_factory.mktemp("tiny") / "inputs")


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_inputs, tmp_path_factory) -> Path:
    """Warehouse built by the real ETL from the tiny inputs (read-only use: copy it before writing)."""
    db = tmp_path_factory.mktemp("tiny_wh") / "warehouse.duckdb"
    load(tiny_inputs, db, progress=False)
    return db


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """The full-scale demo (86 counties, 7,262 villages, ~0.5 M households x 12 quarters): about 40 s.

    Reuses GANSU_TEST_DEMO_DB when set (a warehouse built from the same generator), to iterate faster locally.
    """
    reuse = os.environ.get("GANSU_TEST_DEMO_DB")
    if reuse:
        return Path(reuse)
    from etl.demo import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder / "inputs")
    db = folder / "warehouse.duckdb"
    load(folder / "inputs", db, progress=False)
    shutil.rmtree(folder / "inputs")
    return db


@contextmanager
def serving(duo, warehouse: Path, **start):
    """The app on `warehouse` in a dash_duo (thread) or dash_duo_mp (process) server, window 1920x1080."""
    import app as app_module

    with configured(warehouse):
        duo.driver.set_window_size(1920, 1080)
        duo.start_server(app_module.app, navigate=False, **start)
        browser_login(duo.driver, duo.server.url)  # every page needs a session: log in through the form
        duo.server_url = duo.server.url  # (dash.testing: setting it opens the app and waits for the renderer)
        yield duo


@contextmanager
def configured(warehouse: Path):
    """The process pointed at `warehouse` (as the app or the report CLI is), query cache cleared; back after."""
    from dashboard import db
    from dashboard import queries as Q

    db.configure(warehouse)
    Q.clear_cache()
    try:
        yield warehouse
    finally:
        db.configure(None)
        Q.clear_cache()


@pytest.fixture(scope="module")
def demo_db(demo_warehouse):
    """The demo warehouse configured for the module (meeting facts, reports)."""
    with configured(demo_warehouse):
        yield demo_warehouse


@pytest.fixture(scope="module")
def demo(demo_warehouse):
    """The demo warehouse configured for the module, and a read-only connection to it for the test's own SQL."""
    import duckdb

    with configured(demo_warehouse), duckdb.connect(str(demo_warehouse), read_only=True) as con:
        yield con


@pytest.fixture
def audit_store(tmp_path):
    """A private account store: report buttons and the report CLI write audit rows (dashboard.auth)."""
    from dashboard.auth import store

    store.configure(f"sqlite:///{tmp_path / 'app.db'}")
    store.upgrade()
    yield store
    store.configure(None)


def wait_for_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    """The first non-empty `*suffix` file the browser downloaded into `folder`."""
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            time.sleep(0.5)
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file downloaded into {folder}: {list(folder.iterdir())}")


@pytest.fixture
def writable_copy(tmp_path):
    def copy(db: Path) -> Path:
        target = tmp_path / "warehouse.duckdb"
        shutil.copyfile(db, target)
        return target

    return copy


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL server for the whole run (tests/pg.py); yields its base URL."""
    from tests.pg import postgres_server

    with postgres_server() as url:
        yield url


def fresh_pg_database(server_url: str, name: str) -> str:
    """A new, empty database on the test server (name: a constant of the test, [a-z_] only)."""
    import re

    import sqlalchemy as sa

    assert re.fullmatch(r"[a-z_]+", name)
    eng = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as con:
        con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def app_store(kind: str, request, tmp_path_factory, name: str):
    """The app (its Flask server) on a fresh store of `kind` (sqlite | postgresql); back to the run's store after."""
    import app as app_module
    from dashboard import auth

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'app.sqlite'}"
    else:
        url = fresh_pg_database(request.getfixturevalue("pg_server"), name)
    auth.set_store(url, app_module.app)
    try:
        yield url
    finally:
        auth.set_store(None, app_module.app)
