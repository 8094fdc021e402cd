"""Callback answers and the layout are written by dashboard.web.to_json (orjson, plotly's cleaning only for what
orjson cannot write): the same bytes as plotly.io.json.to_json_plotly, Dash's own writer, on every page."""

import dash._callback
import pytest
from plotly.io.json import to_json_plotly

from dashboard import web

PAGES = ("/", "/?prefecture=622900&metric=gap&as_of=2019Q2&lang=en", "/county/622926", "/county/622926?as_of=2018Q3",
         "/village/622926001001", "/targets?as_of=2019Q4&status=behind", "/data", "/meeting", "/meeting?lang=en")


@pytest.fixture(scope="module")
def answers(demo_db):
    import app as app_module
    from tests.conftest import client_login

    c = client_login(app_module.app.server)
    dep = next(d for d in c.get("/_dash-dependencies").json if "_pages_content.children" in d["output"])
    seen = []
    writer = dash._callback.to_json
    dash._callback.to_json = lambda v: seen.append(v) or writer(v)
    try:
        for page in PAGES:
            path, _, query = page.partition("?")
            inputs = [{"id": "_pages_location", "property": "pathname", "value": path},
                      {"id": "_pages_location", "property": "search", "value": "?" + query if query else ""}]
            body = {"output": dep["output"], "outputs": [{"id": "_pages_content", "property": "children"},
                                                         {"id": "_pages_store", "property": "data"}],
                    "inputs": inputs[:len(dep["inputs"])], "state": [], "changedPropIds": ["_pages_location.pathname"]}
            r = c.post("/_dash-update-component", json=body, headers={"X-CSRFToken": c.csrf})
            assert r.status_code == 200, (page, r.status_code)
            assert r.text == web.to_json(seen[-1]), page  # what was sent
    finally:
        dash._callback.to_json = writer
    return [(page, value) for page, value in zip(PAGES, seen)]


def test_dash_writes_answers_with_the_fast_writer():
    import app  # noqa: F401 - create_app installs it

    assert dash._callback.to_json is web.to_json and dash.dash.to_json is web.to_json


def test_every_page_answer_is_byte_for_byte_plotlys(answers):
    assert len(answers) == len(PAGES)
    for page, value in answers:
        assert web.to_json(value) == to_json_plotly(value), page


def test_page_answers_are_written_without_plotlys_fallback(answers, monkeypatch):
    def fallback(value):
        raise AssertionError("orjson failed on a page answer: plotly's writer walked it in Python")

    monkeypatch.setattr(web.pj, "to_json_plotly", fallback)
    for _page, value in answers:
        web.to_json(value)


def test_odd_values_fall_back_to_plotly_and_unsafe_characters_are_escaped():
    import datetime as dt
    import decimal

    import numpy as np
    import pandas as pd

    value = {"s": pd.Series([1.5, np.nan]), "d": dt.date(2019, 12, 31), "t": pd.Timestamp("2019-12-31 08:00"),
             "n": np.int64(3), "na": pd.NA, "dec": decimal.Decimal("1.25"), "i": pd.Index(["a", "b"]),
             "html": "</script><b>&\u2028", "obj": np.array(["x", None], dtype=object), 7: "int key"}
    assert web.to_json(value) == to_json_plotly(value)
    assert "</script>" not in web.to_json(value)
