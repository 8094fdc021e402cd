"""All SQL of the app. Parameterised, read-only, returns DataFrames.

Every data query takes `scope`: the county codes the viewer may see (`viewer_scope()`, from the logged-in
user: dashboard.auth). Access control therefore lives in the `_SEL` CTE, the `scope` parameters and `selected`
(the same rule in Python, for the figures read once per snapshot for every county). Results are cached per process
keyed by meta.warehouse_version, so a new load invalidates them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import sys
import threading
from collections import OrderedDict

import flask
import numpy as np
import orjson
import pandas as pd

from dashboard import db, masking, progress, settings
from dashboard.filters import HOUSEHOLD_PATHWAYS, PATHWAYS, Filters
from etl import paths

# ---------------------------------------------------------------- plumbing
_cache: OrderedDict = OrderedDict()  # key -> (value, bytes): one view's answers, QUERY_CACHE_SIZE entries
_snapshot_cache: OrderedDict = OrderedDict()  # the same for what every view reads (cached(snapshot=True))
_cache_lock = threading.Lock()
_cache_bytes = [0]  # of both
CACHE_BYTES = int(paths.QUERY_CACHE_MB * 2**20)
SNAPSHOT_ENTRIES = 256  # a few per loaded quarter


@functools.lru_cache(maxsize=512)
def _frozen_bytes(obj: frozenset, depth: int) -> int:
    return sys.getsizeof(obj) + sum(nbytes(x, depth + 1) for x in obj)


def _as_list(obj):
    if hasattr(obj, "tolist"):  # Series, Index, arrays
        return obj.tolist()
    raise TypeError(type(obj).__name__)


def nbytes(obj, depth: int = 0) -> int:
    """Memory held by a cache key or value (frames, figure dicts, tuples, dataclasses), near enough."""
    if isinstance(obj, pd.DataFrame):  # column by column: 4x faster than memory_usage(deep=True)
        return nbytes(obj.index) + sum(nbytes(col) for _, col in obj.items())
    if isinstance(obj, pd.Index):
        return int(obj.memory_usage(deep=obj.dtype == object))
    if isinstance(obj, pd.Series):
        return int(obj.memory_usage(deep=True)) if obj.dtype == object else int(obj.array.nbytes)
    if depth > 8 or isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
        return sys.getsizeof(obj)
    if isinstance(obj, dict):
        if depth == 0:  # a figure: ~8 bytes of Python objects per byte of its JSON, 10x faster than walking it
            with contextlib.suppress(TypeError):
                return 8 * len(orjson.dumps(obj, default=_as_list,
                                            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS))
        return sys.getsizeof(obj) + sum(nbytes(k, depth + 1) + nbytes(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, frozenset):  # the viewer's scope, in every key: measured once
        return _frozen_bytes(obj, depth)
    if isinstance(obj, (list, tuple)) and len(obj) > 64:  # a figure's long arrays: from a sample of 32
        step = len(obj) // 32
        return sys.getsizeof(obj) + sum(nbytes(x, depth + 1) for x in obj[::step]) * len(obj) // len(obj[::step])
    if isinstance(obj, (list, tuple, set)):
        return sys.getsizeof(obj) + sum(nbytes(x, depth + 1) for x in obj)
    if hasattr(obj, "nbytes"):
        return int(obj.nbytes)
    if hasattr(obj, "__dict__") or dataclasses.is_dataclass(obj):
        fields = vars(obj) if hasattr(obj, "__dict__") else {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return sys.getsizeof(obj) + nbytes(fields, depth + 1)
    return sys.getsizeof(obj)


def _version() -> str:
    """The warehouse version of the cache keys: once per request (a page is read from one version, and the
    dozens of cached calls of a page don't each stat the file and take db's lock), else db.version()."""
    if flask.has_request_context():
        v = flask.g.get("warehouse_version")
        if v is None:
            v = flask.g.warehouse_version = db.version()
        return v
    return db.version()


def cached(fn=None, *, presentation: bool = False, snapshot: bool = False):
    """Cache per (function, arguments, warehouse version), bounded by bytes (keys and values, CACHE_BYTES);
    an entry above 1/16 of that is returned but not kept. Filters arguments lose their presentation
    fields (language, map metric, chart view) first, so a query runs once for all of them; figures,
    which do show those, pass presentation=True. `snapshot`: data of a whole snapshot that every view reads
    (every county's rows of a quarter), kept apart (SNAPSHOT_ENTRIES), so that the thousands of views
    passing through the cache do not push it out and have it queried again (~1 in 3 pages did)."""
    if fn is None:
        return functools.partial(cached, presentation=presentation, snapshot=snapshot)
    store, limit = (_snapshot_cache, SNAPSHOT_ENTRIES) if snapshot else (_cache, None)

    @functools.wraps(fn)
    def wrapper(*args, **kw):
        if not presentation:
            args = tuple(a.data_only() if isinstance(a, Filters) else a for a in args)
            kw = {k: v.data_only() if isinstance(v, Filters) else v for k, v in kw.items()}
        key = (fn.__module__, fn.__qualname__, _version(), args, tuple(sorted(kw.items())))
        with _cache_lock:
            if key in store:
                store.move_to_end(key)
                hit = store[key][0]
                return _fresh(hit)
        val = fn(*args, **kw)
        size = nbytes(key) + nbytes(val)
        if size <= CACHE_BYTES // 16:
            with _cache_lock:
                if key in store:
                    _cache_bytes[0] -= store.pop(key)[1]
                store[key] = (val, size)
                _cache_bytes[0] += size
                while len(store) > (limit or paths.QUERY_CACHE_SIZE):
                    _cache_bytes[0] -= store.popitem(last=False)[1][1]
                while _cache_bytes[0] > CACHE_BYTES:  # the views' answers go first
                    _cache_bytes[0] -= (_cache or _snapshot_cache).popitem(last=False)[1][1]
        return _fresh(val)

    wrapper.uncached = fn
    return wrapper


def _fresh(val):
    """A cached frame as a frame of its own: a shallow copy, pandas' copy-on-write copies the data only if the
    caller writes to it (a deep copy of every hit cost ~1 ms a page)."""
    return val.copy(deep=False) if isinstance(val, pd.DataFrame) else val


def cache_stats() -> dict:
    with _cache_lock:
        return {"entries": len(_cache) + len(_snapshot_cache), "bytes": _cache_bytes[0], "limit_bytes": CACHE_BYTES}


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _snapshot_cache.clear()
        _cache_bytes[0] = 0


_PARAM = re.compile(r"\$([a-z_]+)")


def _df(sql: str, params: dict | None = None) -> pd.DataFrame:
    params = params or {}
    used = set(_PARAM.findall(sql))
    return db.cursor().execute(sql, {k: v for k, v in params.items() if k in used}).df()


# Counties selected by the filters within the viewer's scope. Every data query starts from here.
_SEL = """
sel AS (
    SELECT c.*, p.prefecture_name
    FROM dim_county c LEFT JOIN dim_prefecture p USING (prefecture_code)
    WHERE list_contains($scope, c.county_code)
      AND ($prefecture IS NULL OR c.prefecture_code = $prefecture)
      AND ($county IS NULL OR c.county_code = $county)
      AND ($ctype IS NULL OR c.poverty_type = $ctype)
      AND ($deep IS NULL OR c.deep_poverty = $deep OR ($deep = 'any' AND c.deep_poverty IS NOT NULL))
)"""


def _p(f: Filters, scope, as_of: str | None = None, **extra) -> dict:
    d = f.sql_params(scope)
    d["as_of"] = as_of or f.as_of_date
    d["pathway"] = f.pathway
    d["year"] = f.year
    d.update(extra)
    return d


# ---------------------------------------------------------------- reference / meta
@cached
def meta() -> dict:
    df = _df("SELECT key, value FROM meta")
    return dict(zip(df["key"], df["value"]))


def viewer_scope() -> frozenset:
    """County codes the current viewer may see: those under the logged-in user's scope code (dashboard.auth);
    the whole province outside a request (report CLI). Nobody logged in, or a code with no county: nothing."""
    from dashboard.auth import request_scope_code

    code = request_scope_code()
    return frozenset() if code is None else scope_counties(code)


@cached
def scope_counties(code: str) -> frozenset:
    """County codes under a scope code: 620000 all, a prefecture its counties, a county itself."""
    return frozenset(_df(
        """SELECT county_code FROM dim_county
           WHERE $code = '620000' OR county_code = $code OR prefecture_code = $code""", {"code": code}
    )["county_code"])


@cached
def place_exists(code: str) -> bool:
    """Is `code` a prefecture, county or village of the warehouse (whoever may see it)?"""
    return bool(_df(
        """SELECT 1 FROM dim_county WHERE county_code = $code OR prefecture_code = $code
           UNION ALL SELECT 1 FROM dim_village WHERE village_code = $code LIMIT 1""", {"code": code}).shape[0])


@cached
def snapshots() -> pd.DataFrame:
    return _df("SELECT as_of, quarter_label, is_latest FROM mart_snapshot ORDER BY as_of")


def quarters() -> list[str]:
    return list(snapshots()["quarter_label"])


def resolve(f: Filters) -> Filters:
    """Fill the as-of quarter with the latest snapshot when the URL does not name one."""
    if f.as_of:
        return f
    q = quarters()
    return f.replace(as_of=q[-1], notices=f.notices) if q else f


@cached
def counties(scope: frozenset) -> pd.DataFrame:
    return _df(
        """SELECT c.county_code, c.county_name, c.prefecture_code, p.prefecture_name, c.is_poverty_county,
                  c.poverty_type, c.deep_poverty, c.rural_population, c.planned_exit_year,
                  c.actual_exit_year, c.actual_exit_date
           FROM dim_county c LEFT JOIN dim_prefecture p USING (prefecture_code)
           WHERE list_contains($scope, c.county_code) ORDER BY c.county_code""",
        {"scope": sorted(scope)},
    )


@cached
def prefectures(scope: frozenset) -> pd.DataFrame:
    return _df(
        """SELECT DISTINCT p.prefecture_code, p.prefecture_name
           FROM dim_prefecture p JOIN dim_county c USING (prefecture_code)
           WHERE list_contains($scope, c.county_code) ORDER BY 1""",
        {"scope": sorted(scope)},
    )


@cached
def names(scope: frozenset) -> dict:
    """code → name for prefectures and counties in scope (for titles)."""
    c = counties(scope)
    d = dict(zip(c["county_code"], c["county_name"]))
    p = prefectures(scope)
    d.update(zip(p["prefecture_code"], p["prefecture_name"]))
    return d


@cached
def quarter_profile() -> pd.DataFrame:
    return _df("SELECT year, quarter, people, share FROM mart_quarter_profile ORDER BY year, quarter")


# ---------------------------------------------------------------- the selection, in Python
# The county-level figures below are queried once per snapshot for every county (cached, whoever asks) and the
# viewer's counties are picked from them here: the access rule is the same as _SEL's (in scope, then the
# filters), and a filter change or another user's scope costs no query.
@cached
def selected(f: Filters, scope: frozenset) -> frozenset:
    """County codes of the viewer's scope that the filters select (as the _SEL CTE)."""
    c = counties(scope)
    keep = pd.Series(True, index=c.index)
    if f.prefecture is not None:
        keep &= c["prefecture_code"] == f.prefecture
    if f.county is not None:
        keep &= c["county_code"] == f.county
    if f.ctype is not None:
        keep &= c["poverty_type"] == f.ctype
    if f.deep is not None:
        keep &= (c["deep_poverty"] == f.deep) | (c["deep_poverty"].notna() if f.deep == "any" else False)
    return frozenset(c.loc[keep.fillna(False).astype(bool), "county_code"])


@dataclasses.dataclass(frozen=True)
class _PerCounty:
    """Every county's rows (`data`: a frame or an array, first axis = `codes`). Cached, so never changed in
    place: `rows` gives a new frame/array of the selected counties."""
    codes: tuple
    data: object

    @classmethod
    def of(cls, df: pd.DataFrame) -> _PerCounty:
        return cls(tuple(df["county_code"].tolist()), df)

    @functools.cached_property
    def _spans(self) -> dict | None:
        """code -> (first row, last row + 1), when each county's rows are together (sources ORDER BY county_code)."""
        spans: dict = {}
        for i, c in enumerate(self.codes):
            first, last = spans.get(c, (i, i))
            if last != i:  # rows of a county apart: no spans
                return None
            spans[c] = (first, i + 1)
        return spans

    def rows(self, counties: frozenset):
        """The selected counties' rows, in `data`'s order: positions, not a boolean mask over every row (a
        pandas mask over a frame of strings cost ~1 ms; one county's rows are a slice)."""
        if self._spans is None:
            return self.data[np.fromiter((c in counties for c in self.codes), bool, len(self.codes))]
        spans = sorted(self._spans[c] for c in counties if c in self._spans)
        at = slice(*spans[0]) if len(spans) == 1 else np.array([i for a, b in spans for i in range(a, b)], dtype=np.intp)
        return self.data.iloc[at] if isinstance(self.data, pd.DataFrame) else self.data[at]


# ---------------------------------------------------------------- schedule / KPIs
def _schedule_by_county(as_of: str, pathway: str) -> pd.DataFrame:
    """level, year, county_code, plan, actual for every county (see `schedules`)."""
    return _df(
        """WITH y AS (SELECT unnest($plan_years) AS year),
        people AS (
            SELECT 'people' AS level, m.year, m.county_code, sum(m.plan_people) AS plan, sum(m.actual_people) AS actual
            FROM mart_county_year m JOIN y USING (year)
            WHERE m.as_of = $as_of AND m.pathway = $pathway GROUP BY ALL),
        villages_before AS (
            SELECT 'villages' AS level, $before AS year, county_code,
                   count(*) FILTER (WHERE planned_exit_year <= $before) AS plan,
                   count(*) FILTER (WHERE actual_exit_year <= $before) AS actual
            FROM dim_village GROUP BY county_code),
        villages_during AS (
            SELECT 'villages' AS level, m.year, m.county_code, sum(m.plan_villages) AS plan,
                   sum(m.actual_villages) AS actual
            FROM mart_county_year m JOIN y USING (year)
            WHERE m.as_of = $as_of AND m.pathway = 'all' GROUP BY ALL),
        counties AS (
            SELECT 'counties' AS level, s.year, c.county_code,
                   (greatest(c.planned_exit_year, $before) = s.year)::INT AS plan,
                   (greatest(c.actual_exit_year, $before) = s.year
                    AND make_date(c.actual_exit_year, 12, 31) <= $as_of::DATE)::INT AS actual
            FROM dim_county c, (SELECT unnest($schedule_years) AS year) s WHERE c.is_poverty_county)
        SELECT level, year, county_code, coalesce(plan, 0)::BIGINT AS plan, coalesce(actual, 0)::BIGINT AS actual
        FROM (SELECT * FROM people UNION ALL SELECT * FROM villages_before UNION ALL SELECT * FROM villages_during
              UNION ALL SELECT * FROM counties)""",
        {"as_of": as_of, "pathway": pathway, "plan_years": list(settings.PLAN_YEARS),
         "schedule_years": list(settings.SCHEDULE_YEARS), "before": settings.BEFORE_PLAN},
    )


@cached
def schedules(f: Filters, scope: frozenset) -> pd.DataFrame:
    """Plan and actual exits per level and year: year 2017 = 'before 2018', then 2018..2020.

    people:   mart_county_year (pathway of the filter) at the as-of snapshot; nothing before 2018
              (the 1.89 million are the people not yet exited at end-2017).
    villages: 2018–2020 from mart_county_year (pathway 'all'); before 2018 from dim_village.
    counties: dim_county planned/actual exit year (poverty counties); an exit counts from 31 Dec of its year.
    """
    total = _schedule_matrix(f.as_of_date, f.pathway).rows(selected(f, scope)).sum(axis=0)
    return pd.DataFrame({"level": [lv for lv, _ in _SCHEDULE_ROWS], "year": [y for _, y in _SCHEDULE_ROWS],
                         "plan": total[0::2], "actual": total[1::2]})


# the rows of `schedules`, in its order
_SCHEDULE_ROWS = tuple([("counties", y) for y in settings.SCHEDULE_YEARS] + [("people", y) for y in settings.PLAN_YEARS]
                       + [("villages", y) for y in settings.SCHEDULE_YEARS])


@cached(snapshot=True)
def _schedule_matrix(as_of: str, pathway: str) -> _PerCounty:
    """`_schedule_by_county` as an array: one row per county, columns _SCHEDULE_ROWS x (plan, actual), missing 0."""
    grid = pd.MultiIndex.from_tuples([(lv, y, k) for lv, y in _SCHEDULE_ROWS for k in ("plan", "actual")],
                                     names=["level", "year", "kind"])
    long = _schedule_by_county(as_of, pathway).melt(["level", "year", "county_code"], var_name="kind")
    wide = long.pivot_table(index="county_code", columns=["level", "year", "kind"], values="value",
                            aggfunc="sum").reindex(columns=grid).fillna(0).astype("int64")
    return _PerCounty(tuple(wide.index.tolist()), wide.to_numpy())


@cached
def schedule(f: Filters, scope: frozenset, level: str | None = None) -> pd.DataFrame:
    """One level's rows of `schedules` (the filter's level unless given): year, plan, actual."""
    s = schedules(f, scope)
    return s[s["level"] == (level or f.level)].drop(columns="level").reset_index(drop=True)


@cached
def totals(f: Filters, scope: frozenset) -> dict:
    """3-year totals per level, from data: people to exit 2018–2020 (plan), poor villages, poor counties."""
    sel = selected(f, scope)
    people = schedules(f, scope)
    c = _county_totals().rows(sel)
    return {"people": int(people.loc[people["level"] == "people", "plan"].sum()), "villages": int(c["villages"].sum()),
            "counties": int(c["is_poverty_county"].sum())}


@cached(snapshot=True)
def _county_totals() -> _PerCounty:
    return _PerCounty.of(_df("""SELECT c.county_code, coalesce(c.is_poverty_county, false)::INT AS is_poverty_county,
                         (SELECT count(*) FROM dim_village v WHERE v.county_code = c.county_code) AS villages
                  FROM dim_county c"""))


# ---------------------------------------------------------------- per county (map, ranking)
@cached
def county_metrics(f: Filters, scope: frozenset) -> pd.DataFrame:
    """One row per selected county: this year's people plan/actual (pathway of the filter), gap,
    completion, remaining people, incidence, returned people, planned/actual exit year (actual only
    once certified by the as-of date), villages behind."""
    return _county_metrics_all(f.as_of_date, f.pathway, f.year).rows(selected(f, scope)).reset_index(drop=True)


@cached(snapshot=True)
def _county_metrics_all(as_of: str, pathway: str, year: int) -> _PerCounty:
    """`county_metrics` of every county."""
    return _PerCounty.of(_df(
        """WITH sel AS (SELECT c.*, p.prefecture_name FROM dim_county c LEFT JOIN dim_prefecture p USING (prefecture_code)),
        y AS (SELECT county_code,
                     sum(plan_people) FILTER (year = $year) AS plan_people,
                     sum(actual_people) FILTER (year = $year) AS actual_people,
                     coalesce(sum(plan_people) FILTER (year < $year), 0) AS plan_before_people,
                     coalesce(sum(actual_people) FILTER (year <= $year), 0) AS cum_actual_people,
                     sum(plan_villages) FILTER (year = $year) AS plan_villages,
                     sum(actual_villages) FILTER (year = $year) AS actual_villages,
                     coalesce(sum(plan_villages) FILTER (year < $year), 0) AS plan_before_villages,
                     coalesce(sum(actual_villages) FILTER (year <= $year), 0) AS cum_actual_villages
              FROM mart_county_year WHERE as_of = $as_of AND pathway = $pathway
              GROUP BY county_code),
        st AS (SELECT * FROM mart_county_status WHERE as_of = $as_of)
        SELECT s.county_code, s.county_name, s.prefecture_code, s.prefecture_name, s.is_poverty_county,
               s.poverty_type, s.deep_poverty,
               y.plan_people, y.actual_people, y.plan_people - y.actual_people AS gap_people,
               y.plan_before_people, y.cum_actual_people, y.plan_before_villages, y.cum_actual_villages,
               y.plan_villages, y.actual_villages,
               st.remaining_people, st.incidence, st.returned_people, st.villages_total, st.villages_behind,
               st.villages_total - st.villages_exited AS remaining_villages,
               s.planned_exit_year,
               CASE WHEN make_date(s.actual_exit_year, 12, 31) <= $as_of::DATE THEN s.actual_exit_year END
                    AS actual_exit_year
        FROM sel s LEFT JOIN y USING (county_code) LEFT JOIN st USING (county_code)
        ORDER BY s.county_code""",
        {"as_of": as_of, "pathway": pathway, "year": year},
    ))


@cached  # the chart and the page's table of it
def ranking(f: Filters, scope: frozenset, share: float) -> pd.DataFrame:
    """Prefectures (province view) or the counties of the chosen prefecture, by progress to date
    (dashboard.progress): `plan` = what the plan expects by the as-of date (earlier years in full, the
    seasonal `share` of this year for people), `actual` = cumulative exits since 2018, completion and status,
    with villages behind schedule."""
    cm = county_metrics(f, scope)
    cm = cm[cm["is_poverty_county"].fillna(False).astype(bool)]
    lvl = "villages" if f.level == "villages" else "people"
    if f.level == "counties":
        start = settings.PLAN_START_YEAR
        planned, actual = cm["planned_exit_year"].fillna(9999), cm["actual_exit_year"].fillna(9999)
        cm = cm.assign(plan=((planned >= start) & (planned <= f.year)).astype(int),
                       actual=((actual >= start) & (actual <= f.year) & (planned >= start)).astype(int))
    else:
        expected = progress.expected_to_date(cm[f"plan_before_{lvl}"], cm[f"plan_{lvl}"].fillna(0), share, lvl)
        cm = cm.assign(plan=expected.round(), actual=cm[f"cum_actual_{lvl}"])
    by_pref = not (f.prefecture or f.county)
    key, name = ("prefecture_code", "prefecture_name") if by_pref else ("county_code", "county_name")
    g = _sum_by(cm, key, name, ("plan", "actual", "villages_behind")).rename(columns={key: "code", name: "name"})
    judged = progress.assess(g["actual"], g["plan"], f.level, f.as_of.number)
    g["completion"] = judged["completion"]
    g["gap"] = g["plan"] - g["actual"]
    g["status"] = judged["status"]
    return g.sort_values(["completion", "code"], ascending=[True, True], na_position="last").reset_index(drop=True)


def _sum_by(df: pd.DataFrame, key: str, name: str, cols: tuple) -> pd.DataFrame:
    """`df.groupby([key, name], as_index=False)[cols].sum()` (same rows, order and dtypes) for a few dozen rows,
    in Python: pandas' groupby cost ~1.5 ms."""
    sums: dict = {}
    for k, n, *vals in zip(df[key].tolist(), df[name].tolist(), *(df[c].tolist() for c in cols)):
        if pd.isna(k) or pd.isna(n):  # groupby leaves out missing keys
            continue
        acc = sums.setdefault((k, n), [0] * len(cols))
        for i, v in enumerate(vals):
            if not pd.isna(v):  # sum skips missing values
                acc[i] += v
    keys = sorted(sums)
    out = {key: pd.Series([k for k, _ in keys], dtype=df[key].dtype),
           name: pd.Series([n for _, n in keys], dtype=df[name].dtype)}
    out.update({c: pd.Series([sums[k][i] for k in keys], dtype=df[c].dtype) for i, c in enumerate(cols)})
    return pd.DataFrame(out)


@cached
def pathways(f: Filters, scope: frozenset) -> pd.DataFrame:
    """This year's plan and actual per pathway (people; households for housing and water)."""
    values, present = _pathways_matrix(f.as_of_date, f.year)
    sel = selected(f, scope)
    total, listed = values.rows(sel).sum(axis=0), present.rows(sel).any(axis=0)
    out = []
    for pathway, nums, shown in zip(PATHWAYS, total.tolist(), listed.tolist()):
        if shown:  # as GROUP BY pathway: listed when a selected county has a row for it, its NULLs count 0
            households = pathway in HOUSEHOLD_PATHWAYS
            out.append((pathway, *nums, "households" if households else "people",
                        nums[2] if households else nums[0], nums[3] if households else nums[1]))
    cols = ["pathway", *_PATHWAY_NUMS, "unit", "plan", "actual"]
    return pd.DataFrame({c: pd.Series([r[i] for r in out], dtype=None if c in ("pathway", "unit") else "int64")
                         for i, c in enumerate(cols)})


_PATHWAY_NUMS = ("plan_people", "actual_people", "plan_households", "actual_households")


@cached(snapshot=True)
def _pathways_matrix(as_of: str, year: int) -> tuple[_PerCounty, _PerCounty]:
    """Every county's numbers [county, pathway in PATHWAYS order, _PATHWAY_NUMS] (NULL = 0) and whether
    [county, pathway] has a row."""
    df = _df(
        """SELECT county_code, list_position($pathways, pathway) - 1 AS k,
                  coalesce(plan_people, 0) AS plan_people, coalesce(actual_people, 0) AS actual_people,
                  coalesce(plan_households, 0) AS plan_households, coalesce(actual_households, 0) AS actual_households
        FROM mart_county_year WHERE as_of = $as_of AND year = $year AND list_contains($pathways, pathway)""",
        {"as_of": as_of, "year": year, "pathways": list(PATHWAYS)},
    )
    codes = pd.Index(sorted(df["county_code"].unique()))
    row = codes.get_indexer(df["county_code"])
    values = np.zeros((len(codes), len(PATHWAYS), len(_PATHWAY_NUMS)), dtype="int64")
    present = np.zeros((len(codes), len(PATHWAYS)), dtype=bool)
    np.add.at(values, (row, df["k"].to_numpy()), df[list(_PATHWAY_NUMS)].to_numpy(dtype="int64"))
    present[row, df["k"].to_numpy()] = True
    return _PerCounty(tuple(codes), values), _PerCounty(tuple(codes), present)


# ---------------------------------------------------------------- county page
@cached
def county_info(code: str, scope: frozenset) -> dict | None:
    c = counties(scope)
    r = c[c["county_code"] == code]
    return None if r.empty else r.iloc[0].to_dict()


@cached
def deep_demo_picks() -> frozenset:
    """Counties a demo warehouse marks 省定深度贫困县 that data/reference/gansu_counties.csv does not flag
    (ref_counties.deep_poverty_any): the demo's picks, the published list of the 18 was not found."""
    if meta().get("demo") != "true":
        return frozenset()
    return frozenset(_df(
        """SELECT c.county_code FROM dim_county c LEFT JOIN ref_counties r ON r.adcode = c.county_code
           WHERE c.deep_poverty = '省定' AND coalesce(r.deep_poverty_any, '') <> '1'""")["county_code"])


@cached
def villages(f: Filters, county: str, scope: frozenset) -> pd.DataFrame:
    return _df(
        """SELECT v.village_code, v.village_name, v.township_name, v.village_category, v.is_deep_poverty,
                  CASE WHEN m.exited THEN 'exited' WHEN m.behind_schedule THEN 'behind' ELSE 'on_plan' END AS status,
                  v.planned_exit_year, CASE WHEN m.exited THEN m.actual_exit_year END AS actual_exit_year, m.incidence, m.remaining_households, m.remaining_people,
                  m.households_total, m.people_total, v.lon, v.lat
           FROM dim_village v LEFT JOIN mart_village_status m ON m.village_code = v.village_code AND m.as_of = $as_of
           WHERE v.county_code = $county AND $in_scope
           ORDER BY v.village_code""",
        # one county: whether the viewer may see it is known here (list_contains on the scope cost ~1.5 ms)
        {"as_of": f.as_of_date, "county": county, "in_scope": county in scope},
    )


@cached
def villages_behind(f: Filters, scope: frozenset) -> pd.DataFrame:
    """The poor villages behind schedule in the selected poverty counties (the reports' lists), highest incidence first."""
    return _df(
        f"""WITH {_SEL}
           SELECT v.village_code, v.village_name, v.township_name, s.county_code, s.county_name, s.prefecture_name,
                  m.incidence, m.remaining_people, v.planned_exit_year
           FROM dim_village v JOIN sel s USING (county_code)
           JOIN mart_village_status m ON m.village_code = v.village_code AND m.as_of = $as_of
           WHERE s.is_poverty_county AND NOT coalesce(m.exited, false) AND m.behind_schedule
           ORDER BY m.incidence DESC NULLS LAST, v.village_code""",
        _p(f, scope),
    )


@cached
def breakdown(f: Filters, county: str, scope: frozenset) -> pd.DataFrame:
    rows = _breakdown_all(f.as_of_date).rows(frozenset({county}) & scope)
    return rows.drop(columns="county_code").reset_index(drop=True)


@cached(snapshot=True)
def _breakdown_all(as_of: str) -> _PerCounty:
    return _PerCounty.of(_df(
        """SELECT county_code, dimension, category, households, people FROM mart_county_breakdown
           WHERE as_of = $as_of ORDER BY county_code, dimension, households DESC""", {"as_of": as_of}))


@cached
def county_history(f: Filters, county: str, scope: frozenset) -> pd.DataFrame:
    """The county's quarters up to the as-of quarter (what was known then)."""
    rows = _county_history_all().rows(frozenset({county}) & scope)
    return rows[rows["as_of"] <= pd.Timestamp(f.as_of_date)].drop(columns="county_code").reset_index(drop=True)


@cached(snapshot=True)
def _county_history_all() -> _PerCounty:
    return _PerCounty.of(_df(
        """SELECT m.county_code, m.as_of, s.quarter_label, m.remaining_people, m.remaining_households,
                  m.returned_households, m.newly_returned_households, m.new_households, m.incidence, m.villages_exited,
                  m.villages_behind
           FROM mart_county_status m JOIN mart_snapshot s USING (as_of)
           ORDER BY m.county_code, m.as_of"""))


# ---------------------------------------------------------------- village page
@cached
def village_info(code: str, scope: frozenset) -> dict | None:
    df = _df(
        # no actual exit year: that is a fact as of a quarter (village_history)
        """SELECT v.* EXCLUDE (actual_exit_year), c.county_name, c.prefecture_code, p.prefecture_name
           FROM dim_village v JOIN dim_county c USING (county_code) LEFT JOIN dim_prefecture p USING (prefecture_code)
           WHERE v.village_code = $code""",
        {"code": code},
    )
    # the viewer's scope checked on the village's county here, not in SQL (list_contains cost ~1.5 ms)
    return None if df.empty or df["county_code"].iloc[0] not in scope else df.iloc[0].to_dict()


def _village_county_in_scope(code: str, scope: frozenset) -> str | None:
    """The county a village's rows must carry to be shown: its code's first 6 digits (the ETL rejects a village
    whose code does not start with its county's, and a household takes its village's county), if in the
    scope; else None, which matches no row. Rows are then filtered on `county_code = $county`: a viewer
    sees only rows of a county in scope even if that rule were broken (list_contains over the scope on every
    scanned row cost ~1.4 ms of the households query and ~4 ms of the history at 10x)."""
    county = str(code)[:6]
    return county if county in scope else None


@cached
def village_history(f: Filters, code: str, scope: frozenset) -> pd.DataFrame:
    """The village's quarters up to the as-of quarter; its actual exit year only once exited by then."""
    return _df(
        """SELECT m.as_of, s.quarter_label, m.households_total, m.people_total, m.remaining_households,
                  m.remaining_people, m.exited_people_this_year, m.returned_households, m.incidence,
                  m.exited, m.behind_schedule, CASE WHEN m.exited THEN m.actual_exit_year END AS actual_exit_year
           FROM mart_village_status m JOIN mart_snapshot s USING (as_of)
           WHERE m.village_code = $code AND m.county_code = $county AND m.as_of <= $as_of
           ORDER BY m.as_of""",
        {"as_of": f.as_of_date, "code": code, "county": _village_county_in_scope(code, scope)},
    )


# Personal data is masked here, in SQL (dashboard.masking): the raw name and ID number never leave the database.
@cached
def households(f: Filters, village: str, scope: frozenset, pii: bool = False) -> pd.DataFrame:
    """A village's households; names and ID numbers masked unless `pii` (a user granted personal data)."""
    name = "head_name" if pii else masking.name_sql("head_name")
    id_number = "head_id_number" if pii else masking.id_sql("head_id_number")
    return _df(
        f"""SELECT household_id, {name} AS head_name,
                   {id_number} AS head_id_number, household_size,
                   household_attribute, main_cause, pathways, planned_exit_year, status, exit_date
            FROM fct_household_snapshot
            WHERE as_of = $as_of AND village_code = $village AND county_code = $county
            ORDER BY household_id""",
        {"as_of": f.as_of_date, "village": village, "county": _village_county_in_scope(village, scope)},
    )


# ---------------------------------------------------------------- data page
# Loads and files are recorded per input file, not per county: only a viewer whose scope is every county of
# the warehouse sees them. A rejected row carries its county (etl_rejects.county_code) where the ETL could
# tell it: a viewer sees the rejects of the counties in scope; the rest (no county: it may be the very value
# that failed) only a viewer of every county. A warehouse without the column: whole-scope viewers only.
_WHOLE = "(SELECT count(*) FROM dim_county WHERE NOT list_contains($scope, county_code)) = 0"


@cached
def has_column(table: str, column: str) -> bool:
    return not _df("""SELECT 1 FROM duckdb_columns() WHERE database_name = current_database()
                      AND table_name = $t AND column_name = $c""", {"t": table, "c": column}).empty


def rejects_by_county() -> bool:
    """Does the warehouse record a rejected row's county?"""
    return has_column("etl_rejects", "county_code")


def _rejects_where() -> str:
    return f"(list_contains($scope, county_code) OR {_WHOLE})" if rejects_by_county() else _WHOLE


@cached
def loads(scope: frozenset) -> pd.DataFrame:
    return _df(f"SELECT * FROM etl_loads WHERE {_WHOLE} ORDER BY load_id DESC", {"scope": sorted(scope)})


@cached
def load_files(scope: frozenset) -> pd.DataFrame:
    return _df(f"SELECT * FROM etl_load_files WHERE {_WHOLE} ORDER BY load_id DESC, file_name",
               {"scope": sorted(scope)})


@cached
def rejects_by_rule(scope: frozenset) -> pd.DataFrame:
    return _df(
        f"""SELECT table_name, column_name, rule, count(*) AS rows, any_value(message) AS example_message
           FROM etl_rejects WHERE {_rejects_where()} GROUP BY ALL ORDER BY rows DESC, table_name, rule""",
        {"scope": sorted(scope)},
    )


@cached
def reject_samples(scope: frozenset, limit: int = 200) -> pd.DataFrame:
    # a rejected personal-data value is masked like any other
    return _df(
        f"""SELECT load_id, table_name, file_name, line, column_name, rule,
                   CASE WHEN column_name IN ('head_name', '户主姓名') THEN {masking.name_sql('value')}
                        WHEN column_name IN ('head_id_number', '户主证件号码') THEN {masking.id_sql('value')}
                        ELSE value END AS value, message
            FROM etl_rejects WHERE {_rejects_where()} ORDER BY load_id DESC, file_name, line LIMIT $limit""",
        {"limit": limit, "scope": sorted(scope)},
    )


@cached
def reconciliation(scope: frozenset) -> pd.DataFrame:
    df = _df("SELECT * FROM mart_reconciliation WHERE coalesce(difference, 0) <> 0 ORDER BY level, code, check_name")
    # county and village rows are limited to the viewer's scope (a village code starts with its county's)
    keep = df["code"].astype(str).str[:6].isin(scope)
    return df[keep].reset_index(drop=True)


# reference tables the ETL loads from data/reference (etl/load.py), with the file each comes from
_REF_TABLES = {"ref_counties": "gansu_counties.csv", "ref_province_totals": "gansu_province_totals.csv"}


@cached
def reference_sources() -> pd.DataFrame:
    """Distinct source URLs of the reference facts (the ref_* tables), with the file and rows citing them."""
    union = " UNION ALL ".join(
        f"SELECT '{file}' AS file, trim(unnest(string_split(source_url, '|'))) AS source_url FROM {table}"
        for table, file in _REF_TABLES.items())
    return _df(f"""SELECT file, source_url, count(*) AS rows FROM ({union}) WHERE source_url <> ''
                   GROUP BY ALL ORDER BY file, source_url""")


# ---------------------------------------------------------------- register warnings (etl_warnings)
# Rows that loaded (and count) but break a register rule, in the latest snapshot: what a county has to correct.
_LATEST_WARNINGS = "(SELECT max(as_of) FROM fct_household_snapshot)"


@cached
def warnings_by_county(scope: frozenset) -> pd.DataFrame:
    return _df(
        f"""SELECT w.county_code, c.county_name, w.rule, count(DISTINCT w.household_id) AS households,
                   any_value(w.message) AS example_message
            FROM etl_warnings w LEFT JOIN dim_county c USING (county_code)
            WHERE w.as_of = {_LATEST_WARNINGS} AND list_contains($scope, w.county_code)
            GROUP BY ALL ORDER BY w.county_code, households DESC, w.rule""",
        {"scope": sorted(scope)},
    )


@cached
def warning_rows(county: str | None, scope: frozenset, limit: int = 20_000) -> pd.DataFrame:
    """The warned households of one county, personal data masked, for the county to correct."""
    return _df(
        f"""SELECT w.as_of, w.county_code, w.village_code, v.village_name, w.household_id,
                   {masking.name_sql('h.head_name')} AS head_name,
                   {masking.id_sql('h.head_id_number')} AS head_id_number,
                   w.column_name, w.rule, w.message, w.file_name, w.line
            FROM etl_warnings w
            LEFT JOIN fct_household_snapshot h ON h.as_of = w.as_of AND h.household_id = w.household_id
            LEFT JOIN dim_village v ON v.village_code = w.village_code
            WHERE w.as_of = {_LATEST_WARNINGS} AND w.county_code = $county AND list_contains($scope, w.county_code)
            ORDER BY w.village_code, w.household_id, w.rule LIMIT $limit""",
        {"county": county or "", "scope": sorted(scope), "limit": limit},
    )


# ---------------------------------------------------------------- status history (dashboard.status_history)
@cached
def village_behind_history(f: Filters, scope: frozenset) -> pd.DataFrame:
    """Per village of the selection's poverty counties and loaded quarter up to the as-of: behind, exited,
    incidence (mart_village_status)."""
    return _df(
        f"""WITH {_SEL}
        SELECT m.village_code, strftime(m.as_of, '%Y-%m-%d') AS as_of, m.behind_schedule, m.exited, m.incidence
        FROM mart_village_status m JOIN sel s USING (county_code)
        WHERE s.is_poverty_county AND m.as_of <= $as_of::DATE
        ORDER BY m.village_code, m.as_of""",
        _p(f, scope),
    )


# ---------------------------------------------------------------- plan targets (dashboard.targets)
@cached
def has_targets() -> bool:
    """Does the warehouse hold the plan targets (ref_plan_targets and target_progress)?"""
    return _df("""SELECT count(*) AS n FROM duckdb_tables()
                  WHERE table_name IN ('ref_plan_targets', 'target_progress')""")["n"].iloc[0] == 2


@cached
def plan_targets() -> pd.DataFrame:
    """The plan's targets as loaded from data/reference/plan_targets.csv (the catalog is public)."""
    return _df("SELECT * FROM ref_plan_targets ORDER BY id")


# The units of target_progress a viewer sees: the province's own rows; a prefecture only when every county of it is
# in scope and no county / type filter narrows the selection; the selected counties and their villages.
_TARGET_UNITS = """
pref_ok AS (SELECT prefecture_code FROM dim_county GROUP BY prefecture_code
            HAVING bool_and(list_contains($scope, county_code))),
units AS (
    SELECT tp.target_id, tp.unit_code, tp.unit_level, tp.period_end, tp.value, tp.is_demo, tp.source, tp.note,
           coalesce(c.county_name, p.prefecture_name, v.village_name) AS unit_name,
           coalesce(c.county_code, v.county_code) AS county_code
    FROM target_progress tp
    LEFT JOIN dim_county c ON tp.unit_level = 'county' AND c.county_code = tp.unit_code
    LEFT JOIN dim_prefecture p ON tp.unit_level = 'prefecture' AND p.prefecture_code = tp.unit_code
    LEFT JOIN dim_village v ON tp.unit_level = 'village' AND v.village_code = tp.unit_code
    WHERE tp.period_end <= $as_of::DATE AND ($target IS NULL OR tp.target_id = $target)
      AND (tp.unit_level = 'province'
           OR (tp.unit_level = 'prefecture' AND tp.unit_code IN (SELECT prefecture_code FROM pref_ok)
               AND $county IS NULL AND $ctype IS NULL AND $deep IS NULL
               AND ($prefecture IS NULL OR tp.unit_code = $prefecture))
           OR (tp.unit_level = 'county' AND tp.unit_code IN (SELECT county_code FROM sel))
           OR (tp.unit_level = 'village' AND v.county_code IN (SELECT county_code FROM sel))))"""


@cached
def target_progress(f: Filters, scope: frozenset, target: str | None = None) -> pd.DataFrame:
    """target_progress rows up to the as-of quarter end (as of means as of), of the units the viewer sees in the
    selection (_TARGET_UNITS), all targets or one (`target` and the revisions measured on its series)."""
    return _df(
        f"""WITH {_SEL}, {_TARGET_UNITS}
        SELECT target_id, unit_code, unit_level, unit_name, county_code, strftime(period_end, '%Y-%m-%d') AS period_end,
               value, is_demo, source, note
        FROM units ORDER BY target_id, unit_code, period_end""",
        _p(f, scope, target=target),
    )


@cached
def target_values(f: Filters, scope: frozenset) -> pd.DataFrame:
    """The columns of `target_progress` the status rule reads (target_id, unit_code, period_end, value, is_demo), for
    every target: the targets table's query, lean because it carries every unit's quarters."""
    return _df(
        f"""WITH {_SEL}, {_TARGET_UNITS}
        SELECT target_id, unit_code, period_end, value, is_demo FROM units""",
        _p(f, scope, target=None),
    )
