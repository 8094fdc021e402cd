"""The catalog of the plan's targets (data/reference/plan_targets.csv) checked against the plan's own text.

Every quote is read back from the seed text, every value from its quote (the plan's number notation parsed here,
independently of any project code), every deadline from the plan's time phrase by the conventions written below,
and a scan of the whole text for numbers with units, dated phrases and full-coverage phrases checks that each one
is in some target's quote or in the commented exclusions list (plan_targets_excluded.csv): none was missed.
"""

from __future__ import annotations

import calendar
import csv
import re
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "data" / "reference"
SEED_NAME = "000_45ff8a4d6ae86b35.txt"  # the plan's full text, in shared/seed/ beside the checkout
SEED = next((p / "shared" / "seed" / SEED_NAME for p in ROOT.parents if (p / "shared" / "seed" / SEED_NAME).exists()),
            ROOT.parent / "shared" / "seed" / SEED_NAME)

PLAN = "甘发〔2018〕20号"
PLAN_DATE = date(2018, 8, 22)
PLAN_END = date(2020, 12, 31)

SECTORS = {"总体", "产业", "就业", "搬迁", "生态", "教育", "健康", "危房", "兜底", "扶志", "交通", "水利", "电力网络",
           "人居环境", "财政", "金融", "土地", "人才科技", "东西协作", "社会帮扶", "组织保障"}
# kind: what "met" means for the target.
KINDS = {
    "count",         # a number of things (people, villages, km, stores, jobs) to reach by the deadline
    "share",         # a percentage or coverage (全覆盖 = 100 %) to reach by the deadline
    "floor",         # a minimum that must hold (以上, 不低于, 至少) while in force or by the deadline
    "cap",           # a maximum that must not be exceeded (不超过, 以内)
    "money",         # a funding amount or funding standard (元, 万元, 亿元; per head, per household, per unit)
    "dated_action",  # a dated commitment without a number: done or not done by the deadline
    "relative",      # to exceed or approach a reference the plan names (the province average); no value
    "baseline",      # a stock the targets are measured against (189万 poor at end-2017); not itself a target
    "threshold",     # a bound that selects what a measure applies to (incidence ≥ 20 %, stores ≥ 20 t)
}
LEVELS = {"province", "prefecture", "county", "township", "village", "household", "person"}
BASES = {"stated", "heading", "plan_period", "implied"}
RECURRENCES = {"", "annual", "quarterly", "monthly", "weekly", "daily"}
COLUMNS = ["id", "sector", "section", "level", "kind", "quote", "value", "value_rule", "unit", "deadline",
           "deadline_text", "deadline_basis", "recurrence", "document", "document_date", "in_force_from",
           "in_force_to", "same_target_as", "source", "plan_figures_indicator", "plan_figures_year", "note"]


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def text() -> str:
    """The plan's text with its line breaks removed (page breaks split sentences in the seed file)."""
    return SEED.read_text(encoding="utf-8").replace("\r", "").replace("\n", "")


@pytest.fixture(scope="module")
def targets() -> list[dict]:
    return read_csv(REF / "plan_targets.csv")


@pytest.fixture(scope="module")
def excluded() -> list[dict]:
    return read_csv(REF / "plan_targets_excluded.csv")


# ---- the plan's number notation -------------------------------------------------------------------------

MULT = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNIT = {"十": 10, "百": 100, "千": 1000}
FULL = re.compile(r"全覆盖|全部|所有|全面|遍访|应(.)尽\1")  # the plan's words for 100 % coverage


def cn_number(s: str) -> int:
    """一 → 1, 十一 → 11, 二十 → 20, 一百 → 100 (the plan uses no larger Chinese numerals)."""
    total, digit = 0, None
    for ch in s:
        if ch in CN_DIGIT:
            digit = CN_DIGIT[ch]
        else:
            total += (1 if digit is None else digit) * CN_UNIT[ch]
            digit = None
    return total + (digit or 0)


def quote_values(quote: str, unit: str) -> set[float]:
    """Every value the quote can be read as saying, in the catalog's base units."""
    found: set[float] = set()
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(万|萬|亿|億)?\s*(千瓦)?", quote):
        n = float(m.group(1))
        scaled = n * MULT.get(m.group(2) or "", 1)
        found |= {n, scaled}
        if m.group(3) and unit == "MW":
            found.add(scaled / 1000)  # 31.1万千瓦 = 311,000 kW = 311 MW
    for m in re.finditer(r"[零一二两三四五六七八九十百千]+", quote):
        if not re.fullmatch(r"[零]+", m.group()):
            found.add(float(cn_number(m.group())))
    if unit.startswith("percent"):
        if FULL.search(quote):
            found.add(100.0)
        if "一半" in quote:
            found.add(50.0)
    return found


def counted_numbers(quote: str) -> list[float]:
    """The numbers of things counted in the quote (个 / 個), for values that are their sum."""
    return [float(m.group(1)) for m in re.finditer(r"(\d+(?:\.\d+)?)\s*[个個]", quote)]


def test_number_notation_parser():
    assert quote_values("通过发展产业脱贫35.2万户147.6万人", "households") >= {352000.0, 1476000.0}
    assert 311.0 in quote_values("争取2018年底前建成并网31.1万千瓦村级电站", "MW")
    assert 640000000.0 in quote_values("争取中央预算内基建资金6.4亿元", "yuan")
    assert 650000.0 in quote_values("確保65萬以上貧困人口脫貧", "persons")
    assert cn_number("一") == 1 and cn_number("十一") == 11 and cn_number("二十") == 20 and cn_number("三") == 3
    assert 100.0 in quote_values("实现深度贫困村卫生室全覆盖", "percent of villages")
    assert 100.0 in quote_values("最低生活保障实现应保尽保", "percent")
    assert 100.0 not in quote_values("实现深度贫困村卫生室全覆盖", "villages")
    assert 50.0 in quote_values("2018年完成一半建设任务", "percent")
    assert 13.0 not in quote_values("10個片區縣、3個插花縣申請摘帽", "counties")
    assert sum(counted_numbers("10個片區縣、3個插花縣申請摘帽")) == 13


# ---- the plan's time phrases -> dates ---------------------------------------------------------------------
# Conventions (the plan is dated 2018-08-22 and covers 2018-2020):
#   "2018年8月底前" / "2018年8月底"  -> last day of that month (2018-08-31)
#   "2021年初"                        -> end of the first quarter (2021-03-31)
#   "2018—2020年"                     -> end of the last year (2020-12-31)
#   "到2020年", "2020年", "2018年底前", "2018年底", "2018年内", "到2020年底", "2020年…完成前" -> 31 December of that year
#   "年内", "年底前", "今年" (no year) -> 2018-12-31, the plan's own year
#   "今后三年", "三年", "三年左右"    -> 2020-12-31, the end of the plan's three years 2018-2020
#   no time phrase                    -> deadline_basis "plan_period": 2020-12-31 (脱贫攻坚期内)

def phrase_date(phrase: str) -> date:
    p = re.sub(r"\s+", "", phrase)
    if m := re.search(r"(\d{4})年(\d{1,2})月底", p):
        y, mo = int(m.group(1)), int(m.group(2))
        return date(y, mo, calendar.monthrange(y, mo)[1])
    if m := re.fullmatch(r"(\d{4})年初", p):
        return date(int(m.group(1)), 3, 31)
    if m := re.fullmatch(r"\d{4}—(\d{4})年", p):
        return date(int(m.group(1)), 12, 31)
    if m := re.fullmatch(r"到?(\d{4})年(底前|底|内|.*完成前)?", p):
        return date(int(m.group(1)), 12, 31)
    if p in {"年内", "年底前", "今年"}:
        return date(2018, 12, 31)
    if p in {"今后三年", "三年", "三年左右"}:
        return PLAN_END
    raise ValueError(f"no convention for the time phrase {phrase!r}")


def test_time_phrase_conventions():
    assert phrase_date("2018年8月底前") == date(2018, 8, 31)
    assert phrase_date("2018 年 8 月底前") == date(2018, 8, 31)
    assert phrase_date("2020 年 6 月底前") == date(2020, 6, 30)
    assert phrase_date("到2020年") == date(2020, 12, 31)
    assert phrase_date("年内") == date(2018, 12, 31)
    assert phrase_date("2021年初") == date(2021, 3, 31)
    with pytest.raises(ValueError):
        phrase_date("及早")


# ---- the catalog ------------------------------------------------------------------------------------------

def test_columns(targets):
    with open(REF / "plan_targets.csv", encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    assert len(targets) >= 200


def test_ids_unique_and_snake_case(targets):
    ids = [t["id"] for t in targets]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", i)] == []


def test_allowed_sets(targets):
    assert {t["sector"] for t in targets} <= SECTORS
    assert {t["kind"] for t in targets} <= KINDS
    assert {t["level"] for t in targets} <= LEVELS
    assert {t["deadline_basis"] for t in targets} <= BASES
    assert {t["recurrence"] for t in targets} <= RECURRENCES
    plan = [t for t in targets if t["document"] == PLAN]  # the plan's own heading numbering, e.g. 二（一）1
    assert [t["id"] for t in plan if not re.fullmatch(r"[一二三四五六七八]（[一二三四五六七八九]）\d?", t["section"])] == []


def test_plan_quotes_are_exact_substrings(text, targets):
    plan = [t for t in targets if t["document"] == PLAN]
    assert len(plan) >= 200
    assert [t["id"] for t in plan if t["quote"] not in text] == []
    assert {t["document_date"] for t in plan} == {PLAN_DATE.isoformat()}


def test_other_documents_are_cited(text, targets):
    other = [t for t in targets if t["document"] != PLAN]
    assert other, "the revisions by earlier and later documents are in the catalog"
    for t in other:
        assert t["source"] and t["document_date"] and t["quote"] not in text, t["id"]


def test_values_appear_in_their_quotes(targets):
    bad = []
    for t in targets:
        if not t["value"]:
            if t["kind"] not in {"dated_action", "relative"}:
                bad.append((t["id"], "no value"))
            continue
        if t["kind"] in {"dated_action", "relative"}:
            bad.append((t["id"], "a dated action or relative target has no value"))
        value = float(t["value"])
        if t["value_rule"] == "sum":
            ok = sum(counted_numbers(t["quote"])) == value
        else:
            ok = any(abs(v - value) <= 1e-9 * max(1.0, abs(value)) for v in quote_values(t["quote"], t["unit"]))
        if not ok:
            bad.append((t["id"], t["value"], t["quote"]))
        if t["kind"] == "share" and not 0 < value <= 100:
            bad.append((t["id"], "share out of range"))
    assert bad == []


def test_deadlines(text, targets):
    bad = []
    for t in targets:
        dl = date.fromisoformat(t["deadline"]) if t["deadline"] else None
        if t["kind"] in {"baseline", "threshold"}:
            if dl and dl > date.fromisoformat(t["document_date"]):
                bad.append((t["id"], "a baseline is dated before its document"))
            continue
        if dl is None or not date(2018, 1, 1) <= dl <= date(2021, 12, 31):
            bad.append((t["id"], "deadline missing or outside 2018-2021"))
            continue
        basis, phrase = t["deadline_basis"], t["deadline_text"]
        if basis == "stated" and (phrase not in t["quote"] or phrase_date(phrase) != dl):
            bad.append((t["id"], "stated deadline not read from the quote"))
        elif basis == "heading" and (phrase not in text or phrase_date(phrase) != dl):
            bad.append((t["id"], "heading deadline not read from the text"))
        elif basis == "plan_period" and (phrase or dl != PLAN_END):
            bad.append((t["id"], "plan-period deadline is the end of 2020"))
        elif basis == "implied" and not t["note"] and t["document"] == PLAN:
            bad.append((t["id"], "an implied deadline is explained in the note"))
    assert bad == []


def test_plan_figures_are_all_in_the_catalog(targets):
    """Merged, not forked: every row of plan_figures.csv is a catalog row with the same value."""
    figures = read_csv(REF / "plan_figures.csv")
    missing = []
    for f in figures:
        rows = [t for t in targets
                if t["plan_figures_indicator"] == f["indicator"] and t["plan_figures_year"] == f["year"]]
        if len(rows) != 1 or float(rows[0]["value"]) != float(f["value"]):
            missing.append((f["indicator"], f["year"], f["value"], [r["id"] for r in rows]))
    assert missing == []
    assert sum(1 for t in targets if t["plan_figures_indicator"]) == len(figures)


def in_force(targets: list[dict], target_id: str, on: date) -> dict:
    """The row in force on a date among a target and its revisions (rows whose same_target_as is target_id)."""
    rows = [t for t in targets if t["id"] == target_id or t["same_target_as"] == target_id]
    live = [t for t in rows if date.fromisoformat(t["in_force_from"]) <= on
            and (not t["in_force_to"] or on <= date.fromisoformat(t["in_force_to"]))]
    assert len(live) <= 1, [t["id"] for t in live]
    return live[0] if live else {}


def test_revisions_in_force(targets):
    ids = {t["id"] for t in targets}
    revised = {t["same_target_as"] for t in targets if t["same_target_as"]}
    assert revised <= ids
    for t in targets:
        if t["in_force_to"]:
            assert t["in_force_from"] <= t["in_force_to"], t["id"]
    # the January 2018 work report aimed at 650,000 people and 13 counties for 2018; the plan of August says 710,000, 14
    assert float(in_force(targets, "people_exit_2018", date(2018, 6, 30))["value"]) == 650000
    assert float(in_force(targets, "people_exit_2018", date(2018, 9, 30))["value"]) == 710000
    assert float(in_force(targets, "county_exit_2018", date(2018, 3, 31))["value"]) == 13
    assert float(in_force(targets, "county_exit_2018", date(2018, 12, 31))["value"]) == 14
    assert in_force(targets, "people_exit_2018", date(2017, 12, 31)) == {}
    for rid in revised:  # every revised target has exactly one row in force on every day from its first to now
        starts = sorted(t["in_force_from"] for t in targets if t["id"] == rid or t["same_target_as"] == rid)
        for d in starts + ["2020-12-31"]:
            assert in_force(targets, rid, date.fromisoformat(d)), (rid, d)


# ---- coverage: nothing in the text was missed -------------------------------------------------------------

NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:\.\d+)?(?:\s*(?:—|-|至)\s*\d+(?:\.\d+)?)?\s*"
    r"(?:(?:万|亿)\s*(?:个百分点|千瓦|人|户|吨|元|亩|名|家|个|公里)?|"
    r"(?:个百分点|个月|千瓦|元/人|元|%|公里|座|吨|亩|名|家|所|次|户|人|个|台|度|倍|件|月|年|条|周岁|号))")
DATED_PHRASE = re.compile(
    r"(?:到\s*)?20\d\d\s*(?:—\s*20\d\d\s*)?年(?:\s*\d{1,2}\s*月)?(?:底前|底|内|初|开始)?|"
    r"今后三年|三年左右|年底前|年内|今年|每年|每季度|每月")
FULL_COVERAGE = re.compile(r"全覆盖|应(.)尽\1")
PHRASES = {"number with unit": NUMBER_WITH_UNIT, "dated phrase": DATED_PHRASE, "full coverage": FULL_COVERAGE}


def phrases(text: str) -> list[tuple[str, int, int, str]]:
    return [(kind, m.start(), m.end(), m.group()) for kind, rx in PHRASES.items() for m in rx.finditer(text)]


def spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    out = []
    for q in quotes:
        start = text.find(q)
        while start != -1:
            out.append((start, start + len(q)))
            start = text.find(q, start + 1)
    return out


def uncovered(text: str, quotes: list[str]) -> list[tuple[str, int, int, str]]:
    covered = spans(text, quotes)
    return [p for p in phrases(text) if not any(a <= p[1] and p[2] <= b for a, b in covered)]


def test_scanner_finds_the_plans_phrases(text):
    found = phrases(text)
    groups = {kind: [p[3] for p in found if p[0] == kind] for kind in PHRASES}
    assert "5805公里" in groups["number with unit"] and "31.1万千瓦" in groups["number with unit"]
    assert "16.1 万" in groups["number with unit"] and "1至2名" in groups["number with unit"]
    assert "2018年8月底前" in groups["dated phrase"] and "2018 年 8 月底前" in groups["dated phrase"]
    assert "2018—2020年" in groups["dated phrase"] and "年内" in groups["dated phrase"]
    assert "应保尽保" in groups["full coverage"]
    assert len(found) > 300


def test_exclusions_are_exact_and_explained(text, targets, excluded):
    assert excluded and all(e["quote"] in text and e["reason"].strip() for e in excluded)
    plan_quotes = [t["quote"] for t in targets if t["document"] == PLAN]
    needed = {p for p in uncovered(text, plan_quotes)}
    for e in excluded:  # no stale exclusion: each one covers a phrase no target covers
        a = text.find(e["quote"])
        assert any(a <= p[1] and p[2] <= a + len(e["quote"]) for p in needed), e["quote"]


def test_every_phrase_is_a_target_or_excluded(text, targets, excluded):
    plan_quotes = [t["quote"] for t in targets if t["document"] == PLAN]
    left = uncovered(text, plan_quotes + [e["quote"] for e in excluded])
    assert [(kind, phrase, text[max(0, a - 20):b + 10]) for kind, a, b, phrase in left] == []


def test_coverage_check_can_fail(text, targets, excluded):
    """Dropping one target (the 5,805 km of roads) leaves its figures uncovered: the check sees a missed target."""
    quotes = [t["quote"] for t in targets if t["document"] == PLAN and t["id"] != "road_km_fixed_2019"]
    left = {p[3] for p in uncovered(text, quotes + [e["quote"] for e in excluded])}
    assert {"5805公里", "2019年底前"} <= left


# ---- published progress (data/reference/published_progress.csv) ------------------------------------------

def test_published_progress_is_cited_and_reads_back(targets):
    rows = read_csv(REF / "published_progress.csv")
    ids = {t["id"] for t in targets}
    codes = {"620000"} | {c["adcode"] for c in read_csv(REF / "gansu_counties.csv")}
    bad = []
    for r in rows:
        period, published = date.fromisoformat(r["period_end"]), date.fromisoformat(r["date"])
        value = float(r["value"])
        if r["target_id"] not in ids or r["unit_code"] not in codes:
            bad.append((r["target_id"], "unknown target or unit"))
        if not (date(2017, 1, 1) <= period <= published) or not (r["source_title"] and r["publisher"]):
            bad.append((r["target_id"], r["period_end"], "published before its period ends, or uncited"))
        if not r["citation"].startswith("pages corpus: http"):
            bad.append((r["target_id"], "citation is the stored page address"))
        if not any(abs(v - value) <= 1e-9 * max(1.0, value) for v in quote_values(r["value_as_published"], r["unit"])):
            bad.append((r["target_id"], r["value"], r["value_as_published"]))
        if r["unit"].startswith("percent") and not 0 <= value <= 100:
            bad.append((r["target_id"], "percent out of range"))
    assert bad == []
    by = {(r["target_id"], r["period_end"], r["unit"]): float(r["value"]) for r in rows}
    assert by[("special_funds_budget_full", "2018-12-31", "yuan")] == 17_330_000_000
    assert by[("special_funds_budget_full", "2019-12-31", "yuan")] == 20_767_000_000
    assert by[("poor_area_income_growth_above_province", "2019-12-31", "percent growth")] == 11.8


# Numbers with no unit that are not targets: list numbering ("3. "), names and the document's own marks.
BARE_NUMBERS = {
    "甘发〔2018〕20号": "the document number",
    "(2018年8月22日)": "the plan's date",
    "教育信息化 2.0 行动计划": "a programme's name",
    "“3+1”": "the name of two schemes (vocational pairing, agricultural insurance)",
    "“12317”": "a hotline number",
}


def test_no_number_escapes_the_scan(text):
    """Every digit in the text is in a scanned phrase, a list number ("3. ") or a named non-target above."""
    scanned = [(a, b) for _, a, b, _ in phrases(text)] + spans(text, list(BARE_NUMBERS))
    loose = [m for m in re.finditer(r"\d+(?:\.\d+)?", text)
             if not any(a <= m.start() and m.end() <= b for a, b in scanned)
             and not re.match(r"\d\.\s", text[m.start():m.start() + 3])]
    assert [text[max(0, m.start() - 15):m.end() + 10] for m in loose] == []
