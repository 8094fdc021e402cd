"""Deterministic demo dataset in the input-contract format (SPEC §4), for the whole province.

It reproduces the plan's figures (SPEC §2) and the public actuals (SPEC §3) exactly:
people to exit 710,000/710,000/470,000 and actually out 776,000/935,000/179,000 (the rest); the pathway totals;
villages 907 before 2018 + 2,181/2,646/1,528 planned, 6,868 out by end-2019; counties 18/14/24/19 planned by
type, 18/18/31/8 actual from data/reference/gansu_counties.csv; 35 deep-poverty counties, 3,720 deep villages.
Below that it is invented but consistent: a village or county exits only when its incidence is under 3 %,
exits come mostly in the fourth quarter, some places run behind, a few households return to poverty.
Everything that is invented is labelled: the folder carries DEMO.json and the warehouse says demo = true.
"""

import csv
import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from etl import paths
from etl.contract import (
    ASSESSABLE_KINDS,
    HOUSEHOLD_ATTRIBUTES,
    MAIN_CAUSES,
    ONE_YEAR_DEADLINE,
    PATHWAYS,
    PLAN_YEARS,
    REPORTED_LEVEL,
)
from etl.load import DEMO_MANIFEST
from etl.validate import ID_WEIGHTS

SEED = 20180822  # the plan's date
TOTAL_PEOPLE = 1_890_000
PEOPLE_PLAN = {2018: 710_000, 2019: 710_000, 2020: 470_000}
PEOPLE_ACTUAL = {2018: 776_000, 2019: 935_000}  # 2020: the rest (179,000)
VILLAGES_TOTAL, VILLAGES_DEEP, VILLAGES_UNREGISTERED = 7_262, 3_720, 1_042
VILLAGES_PLAN = {2017: 907, 2018: 2_181, 2019: 2_646, 2020: 1_528}  # 2017 = exited before the plan
VILLAGES_OUT_BY_2019 = 6_868
# Villages out in 2018 are not published; split the 5,961 of 2018-19 in the ratio of people out (776:935).
VILLAGES_ACTUAL_2018 = round((VILLAGES_OUT_BY_2019 - 907) * 776 / (776 + 935))
COUNTY_PLAN = {"片区": {2017: 6, 2018: 10, 2019: 23, 2020: 19}, "插花": {2017: 12, 2018: 4, 2019: 1, 2020: 0}}
DEEP_COUNTIES_PROVINCE = 18
PATHWAY_TARGETS = {  # pathway key: (people, households) as published; None where not stated
    "industry": (1_476_000, 352_000), "employment": (600_000, None), "relocation": (160_000, None),
    "ecology": (20_000, None), "social_security": (354_000, None), "housing": (None, 41_000),
    "water": (690_000, 170_000),
}
QUARTER_PROFILE = np.array([0.05, 0.10, 0.15, 0.70])  # when in the year exits are certified
SIZE_PROBS = np.array([0.09, 0.15, 0.18, 0.24, 0.18, 0.09, 0.05, 0.02])  # 1..8 people, mean ~3.9
SNAPSHOTS = [date(y, m, d) for y in (2018, 2019, 2020) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
INCIDENCE_EXIT = 0.028  # a place that exits is kept safely under the 3 % rule

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("建国明华军平强志红英玉兰秀芳文德永福春海生成清林云东军荣兴德贵仁义礼智信忠良安宝金银山水花梅丽娟霞燕")
PLACE = list("青石安平和丰泉沟川河岭坪山峪湾塬庄堡阳新兴红旗东西南北中上下大小长")


def reference_counties() -> pd.DataFrame:
    df = pd.read_csv(paths.REFERENCE_DIR / "gansu_counties.csv", dtype=str, keep_default_na=False)
    return df


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


def _split_at(order: np.ndarray, sizes: np.ndarray, thresholds: list[int]):
    """Walk households in `order`; where a cumulative-people threshold falls inside a household, split that
    household in two. Returns (sizes, parent index, band index per piece) with band sums exactly at thresholds."""
    s = sizes[order]
    ends = np.cumsum(s)
    starts = ends - s
    cuts = np.sort(np.asarray(thresholds, dtype=np.int64))
    points = np.unique(np.concatenate([ends, cuts[(cuts > 0) & (cuts < ends[-1])]]))
    piece_start = np.concatenate([[0], points[:-1]])
    piece_size = points - piece_start
    owner = np.searchsorted(ends, points, side="left")
    band = np.searchsorted(cuts, piece_start, side="right")
    assert (piece_size > 0).all() and (starts[owner] <= piece_start).all()
    return piece_size, order[owner], band


def _pick_exact(rng, sizes, people=None, households=None, weights=None):
    """Boolean mask of households whose sizes sum exactly to `people` (and count exactly `households`)."""
    n = len(sizes)
    # weighted random order without replacement (exponential keys, Efraimidis-Spirakis)
    order = np.argsort(rng.exponential(size=n) / (1.0 if weights is None else weights), kind="stable")
    chosen = np.zeros(n, bool)
    if households is not None:
        chosen[order[:households]] = True
        if people is None:
            return chosen
        gap = people - sizes[chosen].sum()
        # swap chosen/unchosen households differing by one person until the people total is exact
        while gap != 0:
            step = 1 if gap > 0 else -1
            progressed = False
            for s in range(1, 9):
                give = np.flatnonzero(chosen & (sizes == s))
                take = np.flatnonzero(~chosen & (sizes == s + step))
                k = min(abs(gap), len(give), len(take))
                if k:
                    chosen[rng.choice(give, k, replace=False)] = False
                    chosen[rng.choice(take, k, replace=False)] = True
                    gap -= k * step
                    progressed = True
                if gap == 0:
                    break
            if not progressed:
                raise RuntimeError("cannot reach the exact pathway total")
        return chosen
    cum = np.cumsum(sizes[order])
    k = int(np.searchsorted(cum, people))
    chosen[order[:k]] = True
    gap = people - sizes[chosen].sum()
    if gap:
        spare = np.flatnonzero(~chosen & (sizes == gap))
        chosen[spare[0]] = True
    assert sizes[chosen].sum() == people
    return chosen


def _id_numbers(rng, county_codes: np.ndarray) -> list[str]:
    n = len(county_codes)
    birth = np.datetime64("1943-01-01") + rng.integers(0, 365 * 55, n).astype("timedelta64[D]")
    birth_txt = np.datetime_as_string(birth, unit="D")
    seq = rng.integers(0, 1000, n)
    body = [f"{c}{b.replace('-', '')}{q:03d}" for c, b, q in zip(county_codes, birth_txt, seq)]
    digits = np.frombuffer("".join(body).encode(), dtype=np.uint8).reshape(n, 17) - 48
    check = (digits * np.array(ID_WEIGHTS)).sum(axis=1) % 11
    return [b + "10X98765432"[c] for b, c in zip(body, check)]


def _with_check_digit(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def add_register_errors(hh: pd.DataFrame, seed: int, per_rule: int = 3) -> dict[str, list[str]]:
    """A few invented register errors in head_id_number, the same in every snapshot: the households still
    count (the ETL loads them with a warning), so no published figure changes. Returns them by rule."""
    pick = np.random.default_rng(seed + 1).choice(len(hh), per_rule * 5, replace=False)  # own stream: rng untouched
    col = hh.columns.get_loc("head_id_number")
    ids = hh["head_id_number"].tolist()
    used = set()
    for i, idn in enumerate(ids):  # first, no chance duplicates: same county, birth date and sequence number
        seq = int(idn[14:17])
        while idn in used:
            seq = (seq + 1) % 1000
            idn = _with_check_digit(idn[:14] + f"{seq:03d}")
        ids[i] = idn
        used.add(idn)
    errors: dict[str, list[str]] = {"id_checksum": [], "id_15_digit": [], "head_age": [], "duplicate_id": []}
    for k, i in enumerate(pick[:per_rule * 3]):
        idn, rule = ids[i], ("id_checksum", "id_15_digit", "head_age")[k % 3]
        if rule == "id_checksum":
            ids[i] = idn[:17] + ("0" if idn[17] != "0" else "1")
        elif rule == "id_15_digit":
            ids[i] = idn[:6] + idn[8:14] + idn[14:17]  # the old form: 2-digit year, no check digit
        else:
            ids[i] = _with_check_digit(idn[:6] + "20100101" + idn[14:17])  # under 16 in every snapshot
        errors[rule].append(hh["household_id"].iat[i])
    for a, b in zip(pick[per_rule * 3::2], pick[per_rule * 3 + 1::2]):
        ids[b] = ids[a]  # two households with one ID number
        errors["duplicate_id"] += [hh["household_id"].iat[a], hh["household_id"].iat[b]]
    hh.iloc[:, col] = ids
    return {k: sorted(v) for k, v in errors.items()}


def _names(rng, n: int) -> list[str]:
    sur = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = rng.choice(GIVEN, n)
    two = rng.random(n) < 0.75
    return [s + a + (b if t else "") for s, a, b, t in zip(sur, g1, g2, two)]


def build_counties(rng) -> pd.DataFrame:
    ref = reference_counties()
    c = pd.DataFrame({
        "county_code": ref.adcode, "county_name": ref.county_name,
        "prefecture_code": ref.adcode.str[:4] + "00", "prefecture_name": ref.prefecture_name,
        "is_poverty_county": ref.is_poverty_county == "1", "poverty_type": ref.poverty_type.replace("", None),
        "actual_exit_year": pd.to_numeric(ref.exit_batch_year.replace("", None)).astype("Int64"),
        "actual_exit_date": ref.announced_date.replace("", None),
    })
    c["deep_poverty"] = np.where(ref.deep_poverty == "two_prefectures_one_county", "两州一县", None)
    known_province = (ref.deep_poverty_any == "1") & (ref.deep_poverty == "")
    c.loc[known_province, "deep_poverty"] = "省定"
    # the remaining province-designated counties are not in the reference: pick late-exiting 片区 counties
    pool = c.index[c.is_poverty_county & c.deep_poverty.isna() & (c.poverty_type == "片区") & (c.actual_exit_year >= 2019)]
    extra = DEEP_COUNTIES_PROVINCE - known_province.sum()
    c.loc[rng.choice(pool, extra, replace=False), "deep_poverty"] = "省定"
    # planned exit year: the plan's counts per type, handed out in order of actual exit (so none is late)
    c["planned_exit_year"] = pd.array([pd.NA] * len(c), dtype="Int64")
    for ptype, plan in COUNTY_PLAN.items():
        idx = c.index[c.poverty_type == ptype]
        order = sorted(idx, key=lambda i: (c.at[i, "actual_exit_year"], rng.random()))
        years = [y for y, k in plan.items() for _ in range(k)]
        c.loc[order, "planned_exit_year"] = years
    return c


def build_villages(rng, counties: pd.DataFrame, scale: int = 1) -> pd.DataFrame:
    poor = counties[counties.is_poverty_county].reset_index(drop=True)
    base = np.where(poor.poverty_type == "插花", 22.0, 95.0) * rng.uniform(0.6, 1.4, len(poor))
    base *= np.where(poor.deep_poverty.notna(), 1.6, 1.0)
    base *= np.where(poor.actual_exit_year == 2017, 0.5, 1.0)
    n_per = _largest_remainder(base, VILLAGES_TOTAL * scale)
    v = poor.loc[np.repeat(poor.index, n_per), ["county_code", "actual_exit_year", "deep_poverty"]]
    v = v.rename(columns={"actual_exit_year": "county_exit"}).reset_index(drop=True)
    n = len(v)
    # actual exit: all villages of 2017 counties before 2018; 394 left for 2020, only in the last 8 counties
    av = np.full(n, 0)
    pre = np.flatnonzero(v.county_exit == 2017)
    others = rng.permutation(np.flatnonzero(v.county_exit > 2017))
    av[pre] = 2017
    av[others[: VILLAGES_PLAN[2017] * scale - len(pre)]] = 2017
    left = np.flatnonzero(av == 0)
    last = rng.permutation(left[v.county_exit.to_numpy()[left] == 2020])
    av[last[: (VILLAGES_TOTAL - VILLAGES_OUT_BY_2019) * scale]] = 2020
    left = np.flatnonzero(av == 0)
    must_2018 = left[v.county_exit.to_numpy()[left] == 2018]
    av[must_2018] = 2018
    left = rng.permutation(np.flatnonzero(av == 0))
    av[left[: VILLAGES_ACTUAL_2018 * scale - len(must_2018)]] = 2018
    av[av == 0] = 2019
    v["actual_exit_year"] = av
    # planned exit: in order of actual exit, by the plan's counts; then 40 pairs swapped to run behind
    pv = np.zeros(n, int)
    order = np.lexsort((rng.random(n), av))
    pv[order] = [y for y, k in VILLAGES_PLAN.items() for _ in range(k * scale)]
    behind = rng.choice(np.flatnonzero((av == 2019) & (pv == 2019)), 40 * scale, replace=False)
    ahead = rng.choice(np.flatnonzero((av == 2018) & (pv == 2018)), 40 * scale, replace=False)
    pv[behind], pv[ahead] = 2018, 2019
    pre_years = rng.choice([2015, 2016, 2017], n, p=[0.15, 0.3, 0.55])
    v["planned_exit_year"] = np.where(pv == 2017, pre_years, pv)
    v["actual_exit_year"] = np.where(av == 2017, v.planned_exit_year, av)
    # deep poverty: 3,720, most in deep counties; 1,042 of them were never registered
    score = rng.random(n) + np.where(v.deep_poverty.notna(), 0.9, 0.0) + np.where(av >= 2019, 0.3, 0.0)
    deep = np.zeros(n, bool)
    deep[np.argsort(-score)[: VILLAGES_DEEP * scale]] = True
    unreg = rng.choice(np.flatnonzero(deep & (av > 2017)), VILLAGES_UNREGISTERED * scale, replace=False)
    v["is_deep_poverty"] = deep
    v["village_category"] = "建档立卡贫困村"
    v.loc[unreg, "village_category"] = "深度贫困非建档村"
    # codes and names: county + township (3) + village (3)
    v["n_in_county"] = v.groupby("county_code").cumcount()
    v["township_no"] = v.n_in_county // 12 + 1
    v["village_code"] = (v.county_code + v.township_no.map("{:03d}".format)
                         + (v.n_in_county % 12 + 1).map("{:03d}".format))
    place = np.array(PLACE)
    v["village_name"] = [a + b + "村" for a, b in zip(rng.choice(place, n), rng.choice(place, n))]
    towns = {t: place[rng.integers(0, len(place), 2)] for t in range(1, max(40, v.township_no.max() + 1))}
    v["township_name"] = ["".join(towns[t]) + ("镇" if t % 3 else "乡") for t in v.township_no]
    return v


def build_households(rng, villages: pd.DataFrame, scale: int = 1) -> pd.DataFrame:
    av = villages.actual_exit_year.to_numpy()
    # poor people per village at end-2017: villages already out hold few (they are under 3 %)
    w = (np.where(av <= 2017, 0.12, 1.0) * np.where(villages.is_deep_poverty, 1.35, 1.0)
         * np.where(villages.county_exit == 2020, 1.5, 1.0) * rng.gamma(6, 1 / 6, len(av)))
    total = TOTAL_PEOPLE * scale
    people = _largest_remainder(w, total)
    n_guess = int(total / 3.7)
    sizes = rng.choice(np.arange(1, 9), n_guess, p=SIZE_PROBS)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), total) + 1]
    sizes, _, village = _split_at(np.arange(len(sizes)), sizes, list(np.cumsum(people)))
    keep = village < len(villages)
    sizes, village = sizes[keep], village[keep]
    assert sizes.sum() == total
    # when each household gets out: mostly in its village's exit year, the rank cut makes year totals exact
    cy = villages.county_exit.to_numpy()
    pref = {2018: [.92, .06, .02], 2019: [.07, .86, .07], 2020: [.10, .38, .52]}
    pre_early, pre_late = [.9, .08, .02], [.45, .4, .15]
    probs = np.array([pref[a] if a >= 2018 else (pre_early if c <= 2018 else pre_late)
                      for a, c in zip(av[village], cy[village])])
    pref_year = (probs.cumsum(axis=1) < rng.random(len(sizes))[:, None]).sum(axis=1)
    latent = pref_year + rng.random(len(sizes))
    order = np.argsort(latent, kind="stable")
    t1 = PEOPLE_ACTUAL[2018] * scale
    t2 = t1 + PEOPLE_ACTUAL[2019] * scale
    sizes, parent, band = _split_at(order, sizes, [t1, t2])
    village, latent = village[parent], latent[parent]
    exit_year = 2018 + band
    # plan: the same latent plus noise (some ahead, some behind), cut at the plan's yearly counts
    county_bias = dict(zip(villages.county_code.unique(), rng.normal(0, 0.15, villages.county_code.nunique())))
    bias = villages.county_code.map(county_bias).to_numpy()[village]
    plan_latent = latent + bias + rng.normal(0, 0.25, len(sizes))
    order = np.argsort(plan_latent, kind="stable")
    p1 = PEOPLE_PLAN[2018] * scale
    p2 = p1 + PEOPLE_PLAN[2019] * scale
    sizes, parent, band = _split_at(order, sizes, [p1, p2])
    hh = pd.DataFrame({"village": village[parent], "household_size": sizes, "exit_year": exit_year[parent],
                       "planned_exit_year": 2018 + band})
    return hh.sort_values(["village", "exit_year"], kind="stable").reset_index(drop=True)


def add_household_details(rng, hh: pd.DataFrame, villages: pd.DataFrame, counties: pd.DataFrame,
                          scale: int = 1) -> pd.DataFrame:
    n = len(hh)
    v = villages.iloc[hh.village.to_numpy()]
    hh["village_code"] = v.village_code.to_numpy()
    hh["county_code"] = v.county_code.to_numpy()
    hh["household_id"] = hh.village_code + (hh.groupby("village").cumcount() + 1).map("{:04d}".format)
    hh["head_name"] = _names(rng, n)
    hh["head_id_number"] = _id_numbers(rng, hh.county_code.to_numpy())
    attribute = rng.choice(HOUSEHOLD_ATTRIBUTES, n, p=[0.74, 0.22, 0.04])
    hh["household_attribute"] = attribute
    cause_p = np.array([22, 8, 6, 4, 5, 6, 18, 12, 9, 4, 4, 2], float)
    hh["main_cause"] = rng.choice(MAIN_CAUSES, n, p=cause_p / cause_p.sum())
    sizes = hh.household_size.to_numpy()
    flags = {}
    weights = {
        "industry": np.where(sizes >= 3, 1.6, 0.6), "employment": np.where(sizes >= 3, 1.3, 0.5),
        "social_security": np.where(attribute != "一般贫困户", 12.0, 0.3), "relocation": None, "ecology": None,
        "housing": None, "water": np.where(sizes >= 3, 1.4, 0.8),
    }
    for key, (people, households) in PATHWAY_TARGETS.items():
        flags[key] = _pick_exact(rng, sizes, people and people * scale, households and households * scale,
                                 weights[key])
    names = {key: zh for zh, key, _ in PATHWAYS}
    labels = [[] for _ in range(n)]
    for key in names:
        for i in np.flatnonzero(flags[key]):
            labels[i].append(names[key])
    hh["pathways"] = ["、".join(x) if x else None for x in labels]
    for key in names:
        hh[f"pw_{key}"] = flags[key]
    # exit dates: mostly certified in Q4; a few counties run late in the year
    late = set(rng.choice(counties.county_code[counties.is_poverty_county], 12, replace=False))
    is_late = hh.county_code.isin(late).to_numpy()
    quarter = np.where(is_late, rng.choice(4, n, p=[0.01, 0.04, 0.10, 0.85]), rng.choice(4, n, p=QUARTER_PROFILE))
    day_in_q = rng.integers(0, 90, n)
    starts = np.array([f"{y}-{3 * q + 1:02d}-01" for y, q in zip(hh.exit_year, quarter)], dtype="datetime64[D]")
    hh["exit_date"] = (starts + day_in_q.astype("timedelta64[D]")).astype("datetime64[s]")
    # returned to poverty: exited early in the year, back in poverty at the Q3 snapshot, out again in Q4
    ret = (quarter <= 1) & (rng.random(n) < 0.006)
    hh["returned"] = ret
    hh["reexit_date"] = pd.NaT
    re_dates = (np.array([f"{y}-10-01" for y in hh.exit_year[ret]], dtype="datetime64[D]")
                + rng.integers(20, 80, ret.sum()).astype("timedelta64[D]"))
    hh.loc[ret, "reexit_date"] = re_dates.astype("datetime64[s]")
    return hh


def add_populations(rng, hh: pd.DataFrame, villages: pd.DataFrame, counties: pd.DataFrame) -> None:
    """Rural populations: plausible, and large enough that every exited place is under 3 %."""
    vcode = villages.village_code
    after = hh[hh.exit_year > hh.village.map(villages.actual_exit_year)].groupby("village").household_size.sum()
    need = np.ceil(after.reindex(range(len(villages)), fill_value=0).to_numpy() / INCIDENCE_EXIT)
    poor = hh.groupby("village").household_size.sum().reindex(range(len(villages)), fill_value=0).to_numpy()
    base = poor / rng.uniform(0.10, 0.32, len(villages))  # incidence at the start: 10-32 %
    villages["rural_population"] = np.maximum(base, need).round().astype(np.int64) + 50
    hh_county_exit = hh.county_code.map(counties.set_index("county_code").actual_exit_year)
    after_c = hh[hh.exit_year > hh_county_exit].groupby("county_code").household_size.sum()
    in_villages = villages.groupby(vcode.str[:6]).rural_population.sum()
    pop = []
    for code, is_poor, deep in zip(counties.county_code, counties.is_poverty_county, counties.deep_poverty.notna()):
        if is_poor:
            need_c = after_c.get(code, 0) / INCIDENCE_EXIT
            spread = (1.1, 1.5) if deep else (1.9, 2.9)  # deep-poverty counties: poor villages are most of it
            pop.append(max(in_villages.get(code, 0) * rng.uniform(*spread), need_c * 1.02))
        else:
            pop.append(rng.uniform(100_000, 300_000))
    counties["rural_population"] = np.round(pop).astype(np.int64)


def county_targets(hh: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Targets as the county plans sum them: the households' and villages' planned years."""
    rows = []
    g = hh.groupby(["county_code", "planned_exit_year"])
    rows.append(g.household_size.sum().rename("people_exit"))
    rows.append(g.size().rename("households_exit"))
    for _, key, indicator in PATHWAYS:
        col = hh.household_size.where(hh[f"pw_{key}"], 0) if indicator.endswith("_people") else hh[f"pw_{key}"]
        rows.append(col.groupby([hh.county_code, hh.planned_exit_year]).sum().rename(indicator))
    t = pd.concat(rows, axis=1).fillna(0).astype(np.int64)
    vp = villages[villages.planned_exit_year >= 2018].groupby(["county_code", "planned_exit_year"]).size()
    t = t.join(vp.rename("villages_exit"), how="outer").fillna(0).astype(np.int64)
    t.index.names = ["county_code", "year"]
    full = pd.MultiIndex.from_product([sorted(villages.county_code.unique()), [2018, 2019, 2020]],
                                      names=["county_code", "year"])
    t = t.reindex(full, fill_value=0)
    return t.reset_index().melt(["county_code", "year"], var_name="indicator", value_name="target")


VILLAGES_PER_COUNTY = 4  # village-level targets: a sample of registered poor villages per poor county (监测村)
TARGETS_MISSED = 8       # targets every unit misses (ends at 70-90 % of the way)
UNITS_BEHIND = 0.15      # share of the other units that run behind (55-90 % of the way by the deadline)


def _season_fraction(deadline: date) -> np.ndarray:
    """Share of the way expected at each snapshot: the exits' seasonal profile (most in Q4), summed quarter by
    quarter from 2018Q1 to the deadline's quarter, 1 from then on."""
    weights = np.array([QUARTER_PROFILE[(s.month - 1) // 3] for s in SNAPSHOTS])
    due = [s <= deadline or (s.year, (s.month - 1) // 3) == (deadline.year, (deadline.month - 1) // 3)
           for s in SNAPSHOTS]
    total = weights[np.array(due)].sum()
    return np.minimum(np.cumsum(np.where(due, weights, 0.0)) / total, 1.0)


def _year_to_date_fraction(deadline: date, every_year: bool) -> np.ndarray:
    """For a count stated for one year ("2019年…") or for every year (recurrence annual): the share of that year's
    amount reached at each snapshot, from 0 each 1 January (the targets rule reads these as the year's amount to
    date). A one-year target has nothing before its year and stays at its year's total after it."""
    within = np.array([QUARTER_PROFILE[: (s.month - 1) // 3 + 1].sum() / QUARTER_PROFILE.sum() for s in SNAPSHOTS])
    if every_year:
        return np.where([s.year <= deadline.year for s in SNAPSHOTS], within, 0.0)
    return np.array([0.0 if s.year < deadline.year else (w if s.year == deadline.year else 1.0)
                     for s, w in zip(SNAPSHOTS, within)])


def measured_series(hh: pd.DataFrame, villages: pd.DataFrame, counties: pd.DataFrame) -> dict:
    """(plan_figures indicator, year or None) -> value at each snapshot, counted from the demo's own households,
    villages and counties the way the marts count them: people out in that year with status 已脱贫 in the
    snapshot; villages and counties from 31 Dec of their exit year; pathways cumulative from 2018."""
    out = {}
    size = hh.household_size.to_numpy()
    exit_date = hh.exit_date.to_numpy().astype("datetime64[D]")
    reexit = hh.reexit_date.to_numpy().astype("datetime64[D]")
    returned = hh.returned.to_numpy()
    q3 = np.array([np.datetime64(f"{y}-09-30") for y in hh.exit_year])
    cols = []
    for snap in SNAPSHOTS:
        d = np.datetime64(snap.isoformat())
        eff = np.where(returned & (d > q3), reexit, exit_date)
        out_now = (eff <= d) & ~(returned & (d == q3))
        cols.append((out_now, eff.astype("datetime64[Y]").astype(int) + 1970))
    for year in PLAN_YEARS:
        out[("people_exit_plan", year)] = [int(size[o & (y == year)].sum()) for o, y in cols]
        counted = [s >= date(year, 12, 31) for s in SNAPSHOTS]
        out[("village_exit_plan", year)] = [int((villages.actual_exit_year == year).sum()) * c for c in counted]
        poor_out = counties.is_poverty_county & (counties.actual_exit_year == year)
        out[("county_exit_plan", year)] = [int(poor_out.sum()) * c for c in counted]
    for _, key, _ in PATHWAYS:
        flag = hh[f"pw_{key}"].to_numpy()
        people = [int(size[o & flag].sum()) for o, _ in cols]
        households = [int((o & flag).sum()) for o, _ in cols]
        out[(f"{key}_people", None)] = people
        out[(f"{key}_households", None)] = households
    return out


def target_progress(counties: pd.DataFrame, villages: pd.DataFrame, seed: int,
                    hh: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quarterly progress 2018Q1-2020Q4 for every assessable target of data/reference/plan_targets.csv (a value
    and kind count/share/floor/cap/money) at its reported level: province, each prefecture, each poor county,
    a sample of poor villages. Each unit goes from a start to the target along the seasonal path; some units run
    behind and a few targets are missed. Its own random stream: the other demo tables do not change.
    Targets the warehouse measures itself (people, villages and counties out per year, the pathways) follow the
    demo's own households instead (`measured_series`), so they agree with the app's figures."""
    rng = np.random.default_rng(seed + 2)
    cat = pd.read_csv(paths.REFERENCE_DIR / "plan_targets.csv", dtype=str, keep_default_na=False)
    cat = cat[(cat.value != "") & cat.kind.isin(ASSESSABLE_KINDS)].reset_index(drop=True)
    poor = counties[counties.is_poverty_county]
    sample = (villages[villages.county_code.isin(poor.county_code) & (villages.village_category == "建档立卡贫困村")]
              .sort_values("village_code").groupby("county_code", group_keys=False)
              .apply(lambda g: g.iloc[np.sort(rng.permutation(len(g))[:VILLAGES_PER_COUNTY])]))
    units = {"province": ["620000"], "prefecture": sorted(counties.prefecture_code.unique()),
             "county": sorted(poor.county_code), "village": sorted(sample.village_code)}
    measured = measured_series(hh, villages, counties) if hh is not None else {}
    missed = set(rng.choice(cat.id, TARGETS_MISSED, replace=False))
    ends = [s.isoformat() for s in SNAPSHOTS]
    out = []
    for t in cat.itertuples():
        goal = float(t.value)
        one_year = t.kind in ("count", "money") and (t.recurrence == "annual" or bool(ONE_YEAR_DEADLINE.match(t.deadline_text)))
        deadline = date.fromisoformat(t.deadline)
        frac = _year_to_date_fraction(deadline, t.recurrence == "annual") if one_year else _season_fraction(deadline)
        codes = units[REPORTED_LEVEL[t.level]]
        n = len(codes)
        # how far each unit gets by the deadline (1 = exactly the target)
        reach = rng.uniform(1.0, 1.08, n)
        behind = rng.random(n) < UNITS_BEHIND
        reach[behind] = rng.uniform(0.55, 0.9, behind.sum())
        if t.id in missed:
            reach = rng.uniform(0.7, 0.9, n)
        if t.kind == "cap":  # starts above the bound, comes down to it (or stays above when behind)
            start = goal * rng.uniform(1.2, 1.6, n)
        elif t.kind in ("share", "floor"):
            start = goal * rng.uniform(0.2, 0.7, n)
        else:  # count, money: cumulative from zero
            start = np.zeros(n)
        path = start[:, None] + (goal - start)[:, None] * reach[:, None] * frac[None, :]
        path *= 1 + rng.normal(0, 0.01, path.shape) * (frac[None, :] < 1)  # a little noise on the way
        if t.kind in ("count", "money"):  # cumulative (within the year for one-year targets): never down
            years = np.array([d.year for d in SNAPSHOTS]) if one_year else np.zeros(len(SNAPSHOTS), int)
            for y in np.unique(years):
                path[:, years == y] = np.maximum.accumulate(path[:, years == y], axis=1)
        if t.kind == "share":
            path = np.clip(path, 0, 100)
        year = int(t.plan_figures_year) if t.plan_figures_year.isdigit() else None
        if (t.plan_figures_indicator, year) in measured and n == 1:
            path = np.array([measured[(t.plan_figures_indicator, year)]], dtype=float)
        digits = 0 if t.kind in ("count", "money") and goal >= 10 else 2
        for code, row in zip(codes, path.round(digits)):
            out += [(t.id, code, end, v) for end, v in zip(ends, row)]
    df = pd.DataFrame(out, columns=["target_id", "unit_code", "period_end", "value"])
    df["value"] = df.value.map(lambda v: np.format_float_positional(v, trim="-"))
    df["source"] = "演示数据 (demo)"
    df["note"] = ""
    return df


def write_households(out: Path, hh: pd.DataFrame) -> None:
    base = hh[["household_id", "village_code", "household_size", "head_name", "head_id_number",
               "household_attribute", "main_cause", "pathways", "planned_exit_year", "exit_date",
               "returned", "reexit_date"]]
    con = duckdb.connect()
    con.register("hh", pa.Table.from_pandas(base, preserve_index=False))
    for as_of in SNAPSHOTS:
        label = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
        d = f"DATE '{as_of.isoformat()}'"
        q3 = "make_date(year(exit_date), 9, 30)"
        con.execute(f"""
            COPY (
              SELECT household_id, village_code, household_size, head_name, head_id_number, household_attribute,
                     main_cause, pathways, planned_exit_year,
                     CASE WHEN returned AND {d} = {q3} THEN '返贫'
                          WHEN (CASE WHEN returned AND {d} > {q3} THEN reexit_date ELSE exit_date END) <= {d}
                          THEN '已脱贫' ELSE '未脱贫' END AS status,
                     CASE WHEN returned AND {d} > {q3} THEN CAST(reexit_date AS DATE)
                          WHEN exit_date <= {d} THEN CAST(exit_date AS DATE) END AS exit_date,
                     {d} AS as_of
              FROM hh ORDER BY household_id
            ) TO ? (HEADER, DELIMITER ',')""", [str(out / f"households_{label}.csv")])
    con.close()


def generate(out: Path, fmt: str = "csv", seed: int = SEED, scale: int = 1) -> dict:
    """Write the demo inputs; `scale` multiplies people, households and villages (benchmarks at 10x).

    The files hold (invented) names and ID numbers: written in a private folder, made owner-only (0600)
    and only then moved into `out`, whatever the umask."""
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".demo-", dir=out))
    try:
        manifest = _generate(work, fmt, seed, scale)
        for f in sorted(work.iterdir()):
            os.chmod(f, 0o600)
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _generate(out: Path, fmt: str, seed: int, scale: int) -> dict:
    rng = np.random.default_rng(seed)
    counties = build_counties(rng)
    villages = build_villages(rng, counties, scale)
    hh = build_households(rng, villages, scale)
    hh = add_household_details(rng, hh, villages, counties, scale)
    add_populations(rng, hh, villages, counties)
    targets = county_targets(hh, villages)
    register_errors = add_register_errors(hh, seed)
    progress = target_progress(counties, villages, seed, hh)

    county_cols = ["county_code", "county_name", "prefecture_code", "prefecture_name", "is_poverty_county",
                   "poverty_type", "deep_poverty", "rural_population", "planned_exit_year", "actual_exit_year",
                   "actual_exit_date"]
    c = counties[county_cols].copy()
    c["is_poverty_county"] = np.where(c.is_poverty_county, "是", "否")
    village_cols = ["village_code", "village_name", "township_name", "county_code", "village_category",
                    "is_deep_poverty", "rural_population", "planned_exit_year", "actual_exit_year", "lon", "lat"]
    v = villages.assign(is_deep_poverty=np.where(villages.is_deep_poverty, "是", "否"), lon=None, lat=None)
    v = v[village_cols]
    tables = {"counties": c, "villages": v, "county_targets": targets, "target_progress": progress}
    if fmt == "xlsx":
        for name, df in tables.items():
            _write_xlsx(out / f"{name}.xlsx", df)
        _write_households_xlsx(out, hh)
    else:
        for name, df in tables.items():
            df.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
        write_households(out, hh)
    manifest = {
        "demo": True, "seed": seed, "scale": scale, "generator": "etl.demo", "snapshots": [s.isoformat() for s in SNAPSHOTS],
        "note": "演示数据：县以上的计划与实际数字来自公开资料，村、户数据为生成的虚构数据。"
                "Demo data: plan and county-level actuals are public figures; villages and households are invented.",
        "register_errors": {"note": "虚构的登记错误, 导入时带警告 (etl_warnings), 仍计入各项数字 (invented register "
                                    "errors: loaded with a warning, still counted)", "households": register_errors},
        "target_progress": {"note": "指标进展为演示数据: 每个可评估指标按其层级(村级为每个贫困县抽样的贫困村)逐季生成, "
                                    "部分单位滞后, 少数指标未完成; 公开发布的真实数字在导入时替换同一单位同一期的演示值 "
                                    "(demo progress of every assessable target at its level, villages sampled; some "
                                    "units behind, a few targets missed; published real figures replace them)",
                            "targets": int(progress.target_id.nunique()), "rows": len(progress)},
        "counts": {"counties": len(c), "villages": len(v), "households": len(hh),
                   "people": int(hh.household_size.sum()), "target_progress": len(progress)},
    }
    (out / DEMO_MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _write_xlsx(path: Path, df: pd.DataFrame) -> None:
    """Row by row (constant memory), every cell as text: codes and IDs keep their digits."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, list(df.columns))
    for r, row in enumerate(df.astype(object).where(df.notna(), None).itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write_string(r, c, str(value))
    book.close()


def _write_households_xlsx(out: Path, hh: pd.DataFrame) -> None:
    tmp = out / "_csv"
    tmp.mkdir(exist_ok=True)
    write_households(tmp, hh)
    for f in sorted(tmp.glob("households_*.csv")):
        _write_xlsx(out / f"{f.stem}.xlsx", pd.read_csv(f, dtype=str, keep_default_na=False))
        f.unlink()
    tmp.rmdir()
