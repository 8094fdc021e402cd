"""plotly.js, AG Grid and Dash's polyfill are not scripts of the page (its first render waits for every script in it): the page
names their stamped URLs in meta tags and assets/lazy_scripts.js loads each when the first chart or grid mounts
(that charts and grids then draw is checked in the browser tests: test_page_load, test_browser_dashboard).
Nor is the map geometry part of the layout: the browser fetches it from a fingerprinted URL when a map draws."""

import re


def test_the_page_loads_neither_plotly_nor_ag_grid_and_names_both_for_later(demo_db):
    import app as app_module
    from tests.conftest import client_login

    c = client_login(app_module.app.server)
    page = c.get("/county/622926", headers={"Accept": "text/html"}).text
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert scripts and not [s for s in scripts if "plotly-gansu" in s or "plotly.min" in s or "dash_ag_grid" in s], scripts
    assert any("lazy_scripts.js" in s for s in scripts)
    # nor Dash's @babel/polyfill (~80 ms of evaluation): only its regeneratorRuntime is used, from an asset
    assert not [s for s in scripts if "polyfill" in s], scripts
    (runtime,) = [s for s in scripts if "regenerator-runtime.js" in s]
    assert b"regeneratorRuntime = runtime" in c.get(runtime).get_data()
    metas = dict(re.findall(r'<meta name="gansu-lazy-([a-z-]+)" content="([^"]+)">', page))
    assert set(metas) == {"plotly", "ag-grid"}
    bodies = {}
    for name, url in metas.items():
        r = c.get(url)
        assert r.status_code == 200, (name, url)
        bodies[name] = r.get_data()
        assert len(bodies[name]) > 500_000, (name, len(bodies[name]))  # the bundle itself, not a stub
    assert b"window.Plotly = Plotly;" in bodies["plotly"]
    assert b"window.dash_ag_grid=" in bodies["ag-grid"]


def test_the_layout_carries_no_geometry_the_page_names_its_cached_url(demo_db):
    import json

    import app as app_module
    from dashboard.geoprep import map_geometry
    from tests.conftest import client_login

    c = client_login(app_module.app.server)
    layout = c.get("/_dash-layout")
    assert layout.status_code == 200 and b"coordinates" not in layout.get_data(), len(layout.get_data())
    page = c.get("/", headers={"Accept": "text/html"}).text
    (url,) = re.findall(r'<meta name="gansu-geometry" content="(/geo/map\.[0-9a-f]{16}\.json)">', page)
    r = c.get(url)
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "immutable" in r.headers["Cache-Control"] and "no-store" not in r.headers["Cache-Control"]
    geo = r.get_json()
    assert geo == json.loads(json.dumps(map_geometry())) and len(geo["counties"]["features"]) == 87
    assert c.get("/geo/map.0123456789abcdef.json").status_code == 404  # a stale name is not the new file
    assert app_module.app.server.test_client().get(url).status_code == 401  # behind the login
