import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from etl.load import load
from tests.fixtures import write_tiny_inputs

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


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
    from dashboard import db
    from dashboard import queries as Q

    db.configure(warehouse)
    Q.clear_cache()
    duo.driver.set_window_size(1920, 1080)
    duo.start_server(app_module.app, **start)
    try:
        yield duo
    finally:
        db.configure(None)
        Q.clear_cache()


@pytest.fixture
def writable_copy(tmp_path):
    def copy(db: Path) -> Path:
        target = tmp_path / "warehouse.duckdb"
        shutil.copyfile(db, target)
        return target

    return copy


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
