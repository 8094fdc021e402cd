"""The facts of one scope (province, prefecture or county) at one snapshot: KPIs, status, schedules, pathways,
counties with their progress, the sub-units and the lists of what is behind. Meeting mode and both report
writers (dashboard.docx_report, dashboard.pptx_report) read them; so do the charts of a scope as images."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from dashboard import charts, imaging, meeting, progress
from dashboard import queries as Q
from dashboard.filters import LEVELS, Filters
from dashboard.i18n import fmt_date, t
from dashboard.quarter import Quarter

EA_FONT = "Microsoft YaHei"  # the east-Asian font both writers set for Chinese (Word w:eastAsia, PowerPoint a:ea)
LATIN_FONT = "Calibri"


class ReportError(ValueError):
    """Bad scope or date, said so the user can fix it."""


def snap(as_of: Quarter | str | dt.date | None) -> tuple[Quarter, bool]:
    """(the loaded snapshot quarter, snapped?) for `as_of`: a quarter (must be loaded), a date (the latest loaded
    quarter ending on or before it; snapped when it is not that quarter's end) or None (the latest)."""
    loaded = [Quarter.parse(label) for label in Q.quarters()]
    if not loaded:
        raise ReportError("the warehouse holds no household snapshot")
    if as_of is None:
        return loaded[-1], False
    if isinstance(as_of, Quarter):
        if as_of not in loaded:
            raise ReportError(f"quarter {as_of} is not loaded")
        return as_of, False
    want = str(as_of)[:10]
    dt.date.fromisoformat(want)  # raises ValueError on a bad date
    ok = [q for q in loaded if q.end <= want]
    if not ok:
        raise ReportError(f"no snapshot on or before {want}: the first loaded quarter ends {loaded[0].end}")
    return ok[-1], ok[-1].end != want


def filters_for(code: str, as_of: Quarter, lang: str = "zh") -> Filters:
    """The dashboard's filters for a place code (620000 province, a prefecture or a county)."""
    scope = Q.viewer_scope()
    lvl = meeting.place_level(code)
    if lvl == "province":
        return Filters(as_of=as_of, lang=lang)
    if lvl == "prefecture":
        if code not in set(Q.prefectures(scope)["prefecture_code"]):
            raise ReportError(f"unknown prefecture code {code}")
        return Filters(prefecture=code, as_of=as_of, lang=lang)
    if code not in scope:
        raise ReportError(f"unknown county code {code}")
    return Filters(county=code, as_of=as_of, lang=lang)


@dataclasses.dataclass
class Facts:
    code: str
    name: str
    level: str  # province | prefecture | county
    filters: Filters
    as_of: Quarter
    kpis: dict
    share: float
    basis: str
    basis_year: int | None
    projection: float | None
    schedules: dict
    pathways: pd.DataFrame
    counties: pd.DataFrame  # poverty counties: county_metrics + expected_people, completion, status
    children: pd.DataFrame  # code, name of sub-units (prefectures / counties)
    demo: bool


def facts(code: str, as_of: Quarter, lang: str = "zh") -> Facts:
    """The facts of the place `code` at the loaded quarter `as_of`."""
    scope = Q.viewer_scope()
    f = filters_for(code, as_of, lang)
    names = Q.names(scope)
    lvl = meeting.place_level(code)
    name = t("province", lang) if lvl == "province" else names.get(code, code)
    k = charts.kpis(f, scope)
    share, basis, basis_year, q = charts.seasonal(f)
    proj = progress.projection(k["people"]["actual"], share) if q < 4 else None
    cm = charts.county_progress(f, scope)  # county metrics + expected_people, completion and status (to date)
    cm = cm[cm["is_poverty_county"].fillna(False).astype(bool)]
    if lvl == "province":
        ch = Q.prefectures(scope).rename(columns={"prefecture_code": "code", "prefecture_name": "name"})
    elif lvl == "prefecture":
        c = Q.counties(scope)
        ch = c[c["prefecture_code"] == code][["county_code", "county_name"]].rename(
            columns={"county_code": "code", "county_name": "name"})
    else:
        ch = pd.DataFrame(columns=["code", "name"])
    return Facts(code=code, name=name, level=lvl, filters=f, as_of=f.as_of, kpis=k, share=share,
                 basis=basis, basis_year=basis_year, projection=proj,
                 schedules={lv: Q.schedule(f, scope, lv) for lv in LEVELS}, pathways=Q.pathways(f, scope),
                 counties=cm.reset_index(drop=True), children=ch.reset_index(drop=True),
                 demo=Q.meta().get("demo") == "true")


def behind_counties(fx: Facts) -> pd.DataFrame:
    c = fx.counties
    return c[c["status"].isin(["red", "amber"])].sort_values(["completion", "county_code"]).reset_index(drop=True)


def behind_villages(fx: Facts) -> pd.DataFrame:
    """The poor villages behind schedule in the scope's poverty counties, highest incidence first (one query)."""
    return Q.villages_behind(fx.filters, Q.viewer_scope()).reset_index(drop=True)


def snap_note(requested, fx: Facts, snapped: bool) -> str:
    lang = fx.filters.lang
    if requested and snapped:
        return t("r_snapped", lang, req=fmt_date(requested, lang), end=fmt_date(fx.as_of.end, lang), quarter=fx.as_of)
    return t("r_as_of_note", lang, end=fmt_date(fx.as_of.end, lang), quarter=fx.as_of)



# ---------------------------------------------------------------- the scope's charts as images (both writers)
MAP_MEASURE = "m_completion"  # what the report's map shows (the map's default metric): its title and the section's
def _stamp(fx: Facts) -> dict:
    lang = fx.filters.lang
    return dict(place=fx.name, as_of=fx.as_of.end, source=t("source_text", lang), demo=fx.demo, lang=lang)


def _png(fig, fx: Facts, title: str, width=1400, height=None) -> bytes:
    return imaging.figure_to_image(fig, "png", title=title, width=width, height=height, scale=2, **_stamp(fx))


def schedule_png(fx: Facts, scope) -> bytes:
    fig = charts.figure("schedule", fx.filters, scope)
    return _png(fig, fx, fx.filters.title("ch_schedule", Q.names(scope)), height=620)


def map_png(fx: Facts, scope) -> bytes | None:
    if fx.level == "county":
        return None
    try:
        from dashboard.geoprep import map_geometry

        g = map_geometry()
    except Exception:  # noqa: BLE001 - a report without a map is still a report
        return None
    fig = charts.figure("map", fx.filters, scope, counties_geojson=g["counties"], prefectures_geojson=g["prefectures"])
    return _png(fig, fx, fx.filters.title(MAP_MEASURE, Q.names(scope)), height=900)


def pathways_png(fx: Facts, scope) -> bytes:
    fig = charts.figure("pathways", fx.filters, scope)
    return _png(fig, fx, fx.filters.title("ch_pathways", Q.names(scope)), height=620)


@dataclasses.dataclass(frozen=True)
class Report:
    """What both writers start from: the scope's facts, the viewer's scope, who is behind and the date note."""
    fx: Facts
    scope: frozenset
    behind_c: pd.DataFrame
    behind_v: pd.DataFrame
    note: str  # the as-of note (says so when the date asked for was moved to a loaded quarter)
    snapped: bool

    def schedule_png(self) -> bytes:
        return schedule_png(self.fx, self.scope)

    def map_png(self) -> bytes | None:
        return map_png(self.fx, self.scope)

    def pathways_png(self) -> bytes:
        return pathways_png(self.fx, self.scope)


def report_inputs(code: str, as_of: Quarter | str | dt.date | None, lang: str = "zh") -> Report:
    """The start of a Word report or a deck of place `code` as of a loaded quarter, a date or the latest."""
    imaging.warm_up()  # the chart renderer's browser boots while the queries run
    quarter, snapped = snap(as_of)
    fx = facts(code, quarter, lang)
    scope = Q.viewer_scope()
    return Report(fx, scope, behind_counties(fx), behind_villages(fx), snap_note(as_of, fx, snapped), snapped)
