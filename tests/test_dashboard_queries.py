"""Query module against the tiny warehouse built by the real ETL (tests/conftest.py: tiny_warehouse).

Expected values are computed here with independent SQL over the fact/dim tables, not via the module.
"""

import duckdb
import pytest

from dashboard import db
from dashboard import queries as Q
from dashboard.filters import Filters


@pytest.fixture
def wh(request):
    try:
        path = request.getfixturevalue("tiny_warehouse")
    except pytest.FixtureLookupError:
        pytest.skip("tiny_warehouse fixture not available yet (tests/conftest.py)")
    db.configure(path)
    Q.clear_cache()
    yield path
    db.configure(None)
    Q.clear_cache()


def _raw(path, sql, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_people_schedule_matches_household_facts(wh):
    scope = Q.viewer_scope()
    for (as_of,) in _raw(wh, "SELECT DISTINCT as_of FROM fct_household_snapshot ORDER BY 1"):
        q = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
        f = Filters(as_of=q)
        got = Q.schedule(f, scope, "people").set_index("year")["actual"].to_dict()
        for y in (2018, 2019, 2020):
            (exp,) = _raw(wh, """SELECT coalesce(sum(household_size), 0) FROM fct_household_snapshot
                                 WHERE as_of = ? AND status = '已脱贫' AND year(exit_date) = ?""", (as_of, y))[0]
            assert got[y] == exp, (q, y)


def test_prefecture_filter_and_scope_limit_rows(wh):
    scope = Q.viewer_scope()
    counties = _raw(wh, "SELECT county_code, prefecture_code FROM dim_county ORDER BY 1")
    assert scope == {c for c, _ in counties}
    pref = counties[0][1]
    f = Q.resolve(Filters(prefecture=pref))
    got = set(Q.county_metrics(f, scope)["county_code"])
    assert got == {c for c, p in counties if p == pref}
    # a viewer whose scope excludes the county sees nothing of it
    only = frozenset({counties[-1][0]})
    assert set(Q.county_metrics(Q.resolve(Filters()), only)["county_code"]) == {counties[-1][0]}


def test_county_and_village_totals_from_dims(wh):
    scope = Q.viewer_scope()
    f = Q.resolve(Filters())
    tot = Q.totals(f, scope)
    (nv,), = _raw(wh, "SELECT count(*) FROM dim_village")
    (nc,), = _raw(wh, "SELECT count(*) FROM dim_county WHERE is_poverty_county")
    assert (tot["villages"], tot["counties"]) == (nv, nc)


def test_households_are_masked_in_sql(wh):
    scope = Q.viewer_scope()
    f = Q.resolve(Filters())
    raw = _raw(wh, """SELECT household_id, head_name, head_id_number FROM fct_household_snapshot
                      WHERE as_of = ? ORDER BY household_id""", (f.as_of_date,))
    assert raw, "tiny warehouse has households"
    village = _raw(wh, "SELECT village_code FROM fct_household_snapshot WHERE household_id = ?", (raw[0][0],))[0][0]
    got = Q.households(f, village, scope).set_index("household_id")
    for hid, name, idn in raw:
        if hid not in got.index:
            continue
        m_name, m_id = got.loc[hid, "head_name"], got.loc[hid, "head_id_number"]
        assert m_name != name or len(name) <= 1
        assert m_name[0] == name[0] and len(m_name) == len(name) and "*" in m_name
        if len(name) >= 3:
            assert m_name[-1] == name[-1] and set(m_name[1:-1]) == {"*"}
        assert m_id == idn[:6] + "*" * (len(idn) - 6)  # the area code only (issue 10, item 6)


def test_reopens_when_file_is_swapped(wh, tmp_path):
    import os
    import shutil

    v1 = db.version()
    copy = tmp_path / "swap.duckdb"
    shutil.copy(wh, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE meta SET value = 'swapped-test' WHERE key = 'warehouse_version'")
    live = tmp_path / "live.duckdb"
    shutil.copy(wh, live)
    db.configure(live)
    assert db.version() == v1
    os.replace(copy, live)
    assert db.version() == "swapped-test"


def test_queries_run_once_for_all_languages_metrics_and_views(wh, monkeypatch):
    calls = []
    real = Q._df
    monkeypatch.setattr(Q, "_df", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    scope = Q.viewer_scope()
    first = Q.schedule(Filters(as_of="2019Q2"), scope, "people")
    n = len(calls)
    assert n >= 1
    for kw in ({"lang": "en"}, {"metric": "gap"}, {"view": "cumulative"}):
        again = Q.schedule(Filters(as_of="2019Q2", **kw), scope, "people")
        assert again.equals(first)
    assert len(calls) == n
    Q.schedule(Filters(as_of="2019Q1"), scope, "people")  # another quarter is another query
    assert len(calls) > n


def test_reference_sources_from_the_loaded_ref_tables_match_the_csv_files(wh):
    """The data page's sources come from the ref_* tables the ETL loaded; the oracle reads the CSV files."""
    import csv
    from collections import Counter

    from etl import paths

    want = Counter()
    for name in ("gansu_counties.csv", "gansu_province_totals.csv"):
        with open(paths.REFERENCE_DIR / name, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                want.update((name, u.strip()) for u in row["source_url"].split("|") if u.strip())
    got = Q.reference_sources()
    assert len(want) > 10
    assert {(r.file, r.source_url): r.rows for r in got.itertuples()} == dict(want)
    assert list(got["file"]) == sorted(got["file"])


def test_a_caller_writing_to_a_cached_frame_leaves_the_cache_as_it_was(wh):
    """Hits are shallow copies (copy-on-write): writing a column or a cell copies the data, the cache keeps its own."""
    scope = Q.viewer_scope()
    f = Filters(as_of="2019Q2")
    first = Q.schedule(f, scope, "people")
    expected = first.copy(deep=True)
    first.loc[0, "plan"] = -1
    first["actual"] = 0
    first["extra"] = 1
    again = Q.schedule(f, scope, "people")
    assert again.equals(expected) and list(again.columns) == list(expected.columns)
    info = Q.village_info(_raw(wh, "SELECT min(village_code) FROM dim_village")[0][0], scope)
    hist = Q.village_history(f, info["village_code"], scope)
    hist.iloc[:, 0] = None
    assert not Q.village_history(f, info["village_code"], scope).iloc[:, 0].isna().any()


def test_views_passing_through_the_cache_do_not_push_out_a_snapshots_data(wh, monkeypatch):
    """Every county's rows of a quarter (cached(snapshot=True)) stay while the views' answers come and go."""
    monkeypatch.setattr(Q.paths, "QUERY_CACHE_SIZE", 4)
    scope = Q.viewer_scope()
    Q.schedules(Filters(as_of="2019Q2"), scope)
    matrix = [k for k in Q._snapshot_cache if k[1] == "_schedule_matrix"]
    assert matrix
    for q in ("2018Q1", "2018Q2", "2018Q3", "2018Q4", "2019Q1", "2019Q3", "2019Q4"):
        for level in ("people", "villages", "counties"):
            Q.schedule(Filters(as_of=q, level=level), scope, level)
    assert len(Q._cache) <= 4 and all(k in Q._snapshot_cache for k in matrix)


def test_a_villages_households_and_history_only_for_a_scope_holding_its_county(wh):
    f = Q.resolve(Filters())
    village, county = _raw(wh, """SELECT village_code, county_code FROM fct_household_snapshot
                                  WHERE as_of = ? ORDER BY village_code LIMIT 1""", (f.as_of_date,))[0]
    (n_hh,), = _raw(wh, "SELECT count(*) FROM fct_household_snapshot WHERE as_of = ? AND village_code = ?",
                    (f.as_of_date, village))
    (n_q,), = _raw(wh, "SELECT count(*) FROM mart_village_status WHERE village_code = ? AND as_of <= ?",
                   (village, f.as_of_date))
    others = frozenset(Q.viewer_scope()) - {county}
    assert n_hh and n_q and others
    for scope in (frozenset({county}), frozenset(Q.viewer_scope())):
        assert (len(Q.households(f, village, scope)), len(Q.village_history(f, village, scope))) == (n_hh, n_q)
    for scope in (others, frozenset()):
        assert Q.households(f, village, scope).empty and Q.village_history(f, village, scope).empty
    # a code naming another county's village under an in-scope prefix finds nothing either
    assert Q.households(f, county + "999999", frozenset({county})).empty
