"""The input contract of SPEC §4: tables, their columns (English and Chinese headers) and allowed values."""

import re
import unicodedata
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Column:
    """One contract column. `kind` types it (text, int, year, bool, date, double, upper, indicator); the other
    fields are the column's own rules, turned into SQL checks by etl/validate.py."""

    name: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    kind: str = "text"
    digits: int | None = None               # a code of exactly this many digits (rule code_format)
    allowed: tuple[str, ...] | None = None  # rule allowed_values
    years: str | None = None                # YEAR_RANGE key (rule year_range)


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def typed(self) -> dict[str, str]:
        """Columns with a typed value (`col__v`) -> their kind."""
        return {c.name: c.kind for c in self.columns if c.kind != "text"}


POVERTY_TYPES = ("片区", "插花")
DEEP_POVERTY_TYPES = ("两州一县", "省定")
VILLAGE_CATEGORIES = ("建档立卡贫困村", "深度贫困非建档村")
HOUSEHOLD_ATTRIBUTES = ("一般贫困户", "低保贫困户", "特困供养贫困户")
STATUSES = ("未脱贫", "已脱贫", "返贫")
MAIN_CAUSES = (
    "因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金", "交通条件落后",
    "自身发展动力不足", "其他",
)

# pathway: (short Chinese name as in households.pathways, column suffix, target indicator)
PATHWAYS = (
    ("产业", "industry", "industry_people"),
    ("就业", "employment", "employment_people"),
    ("搬迁", "relocation", "relocation_people"),
    ("生态", "ecology", "ecology_people"),
    ("兜底", "social_security", "social_security_people"),
    ("危房", "housing", "housing_households"),
    ("饮水", "water", "water_households"),
)

PLAN_START_YEAR = 2018
PLAN_YEARS = (2018, 2019, 2020)
COUNTY_TYPES = POVERTY_TYPES  # 片区 contiguous-area, 插花 scattered
# target_progress: the plan period, the catalog's levels as reported (household/person/township -> county),
# the kinds that get a series, and the value range per kind (None: no bound)
PERIOD_RANGE = ("2018-01-01", "2020-12-31")
UNIT_LEVELS = ("province", "prefecture", "county", "village")
REPORTED_LEVEL = {"province": "province", "prefecture": "prefecture", "county": "county", "village": "village",
                  "township": "county", "household": "county", "person": "county"}
ASSESSABLE_KINDS = ("count", "share", "floor", "cap", "money")
# a target stated for one year ("2019年退出2646个"): its amount is that year's (dashboard.targets, the demo)
ONE_YEAR_DEADLINE = re.compile(r"^\s*(20\d\d)\s*年\s*$")
AGGREGATE_KINDS = ("share", "relative")  # may also be given for a unit above the target's level (its aggregate)
VALUE_RANGE = {"share": (0, 100), "count": (0, None), "money": (0, None), "floor": (0, None), "cap": (0, None),
               "baseline": (0, None), "threshold": (0, None)}  # relative, dated_action: any number
YEAR_RANGE = {"county": (2014, 2020), "village": (2014, 2020), "household": (2018, 2020), "target": (2018, 2020)}


COUNTIES = Table(
    "counties",
    "县",
    (
        Column("county_code", "县代码", aliases=("县区代码", "行政区划代码"), digits=6),
        Column("county_name", "县名称", True, ("县区名称", "县(市、区)")),
        Column("prefecture_code", "市州代码"),
        Column("prefecture_name", "市州名称", aliases=("市州",)),
        Column("is_poverty_county", "是否贫困县", True, kind="bool"),
        Column("poverty_type", "贫困县类型", allowed=POVERTY_TYPES),
        Column("deep_poverty", "深度贫困类型", allowed=DEEP_POVERTY_TYPES),
        Column("rural_population", "农村人口", True, kind="int"),
        Column("planned_exit_year", "计划摘帽年度", kind="year", years="county"),
        Column("actual_exit_year", "实际摘帽年度", kind="year", years="county"),
        Column("actual_exit_date", "批准退出日期", kind="date"),
    ),
    ("county_code",),
)

COUNTY_TARGETS = Table(
    "county_targets",
    "县年度目标",
    (
        Column("county_code", "县代码", True, ("县区代码",)),
        Column("year", "年度", True, kind="year", years="target"),
        Column("indicator", "指标", True, kind="indicator"),
        Column("target", "目标值", True, kind="int"),
    ),
    ("county_code", "year", "indicator"),
)

VILLAGES = Table(
    "villages",
    "村",
    (
        Column("village_code", "村代码", True, ("行政村代码",), digits=12),
        Column("village_name", "村名称", True, ("行政村名称",)),
        Column("township_name", "乡镇", aliases=("乡镇名称",)),
        Column("county_code", "县代码", True, ("县区代码",)),
        Column("village_category", "贫困村类别", True, allowed=VILLAGE_CATEGORIES),
        Column("is_deep_poverty", "是否深度贫困村", kind="bool"),
        Column("rural_population", "农村人口", True, kind="int"),
        Column("planned_exit_year", "计划退出年度", True, ("计划摘帽年度",), kind="year", years="village"),
        Column("actual_exit_year", "实际退出年度", aliases=("实际摘帽年度",), kind="year", years="village"),
        Column("lon", "经度", kind="double"),
        Column("lat", "纬度", kind="double"),
    ),
    ("village_code",),
)

HOUSEHOLDS = Table(
    "households",
    "户",
    (
        Column("household_id", "户编号", True),
        Column("village_code", "村代码", True, ("行政村代码",), digits=12),
        Column("household_size", "家庭人口数", True, kind="int"),
        Column("head_name", "户主姓名"),
        Column("head_id_number", "户主证件号码", aliases=("户主身份证号",), kind="upper"),
        Column("household_attribute", "贫困户属性", True, allowed=HOUSEHOLD_ATTRIBUTES),
        Column("main_cause", "主要致贫原因", allowed=MAIN_CAUSES),
        Column("pathways", "帮扶措施"),
        Column("planned_exit_year", "计划脱贫年度", True, kind="year", years="household"),
        Column("status", "脱贫状态", True, allowed=STATUSES),
        Column("exit_date", "脱贫日期", kind="date"),
        Column("as_of", "数据截止日期", True, kind="date"),
    ),
    ("as_of", "household_id"),
)

# progress of the plan's targets (data/reference/plan_targets.csv), TARGETS.md / SPEC §4 style
TARGET_PROGRESS = Table(
    "target_progress",
    "指标进展",
    (
        Column("target_id", "指标编号", True, ("指标代码", "指标id")),
        Column("unit_code", "单位代码", True, ("区划代码", "地区代码", "行政区划代码")),
        Column("period_end", "截止日期", True, ("统计截止日期", "期末日期"), kind="date"),
        Column("value", "进展值", True, ("完成值", "数值"), kind="double"),
        Column("source", "来源", aliases=("数据来源",)),
        Column("note", "备注", aliases=("说明",)),
    ),
    ("target_id", "unit_code", "period_end"),
)

TABLES = {t.name: t for t in (COUNTIES, COUNTY_TARGETS, VILLAGES, HOUSEHOLDS, TARGET_PROGRESS)}
CONTRACT_NAMES = frozenset(c.name for t in TABLES.values() for c in t.columns)
# SQL is built only from these names: plain lower-case words, and quoted all the same (see `ident`)
assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in CONTRACT_NAMES)


def ident(name: str) -> str:
    """A contract column name as a SQL identifier, quoted by DuckDB itself. Input text never gets here."""
    if name not in CONTRACT_NAMES:
        raise ValueError(f"not a contract column: {name!r}")
    return str(duckdb.ColumnExpression(name))


LOAD_ORDER = ("counties", "villages", "county_targets", "households", "target_progress")

INDICATORS = {
    "people_exit": "脱贫人口",
    "households_exit": "脱贫户数",
    "villages_exit": "退出贫困村",
    "industry_people": "产业脱贫人口",
    "employment_people": "转移就业脱贫人口",
    "relocation_people": "易地扶贫搬迁人口",
    "ecology_people": "生态补偿脱贫人口",
    "social_security_people": "低保兜底人口",
    "housing_households": "危房改造户数",
    "water_households": "饮水安全户数",
}

TOTAL_LABELS = ("合计", "总计", "小计", "总合计", "全省合计")


def normalize_header(text: str) -> str:
    """NFKC, no spaces, no unit in brackets, no required-marker: '农村人口（人）*' -> '农村人口'."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"\(.*?\)|\[.*?\]|[*\s]", "", text)
    return text.strip().lower()


def header_lookup(table: Table) -> dict[str, str]:
    lookup = {}
    for col in table.columns:
        for label in (col.name, col.zh, *col.aliases):
            lookup[normalize_header(label)] = col.name
    return lookup


def match_headers(table: Table, headers: list[str]) -> dict[int, str]:
    """Position in the header row -> canonical column name, for the headers this table knows."""
    lookup = header_lookup(table)
    found = {}
    for i, h in enumerate(headers):
        name = lookup.get(normalize_header(h))
        if name and name not in found.values():
            found[i] = name
    return found


def indicator_lookup() -> dict[str, str]:
    lookup = {normalize_header(k): k for k in INDICATORS}
    lookup.update({normalize_header(v): k for k, v in INDICATORS.items()})
    return lookup
