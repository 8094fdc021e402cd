"""Rules of the contract, as SQL over a staged file: each failing row goes to the rejects with its rule.

The SQL is built from the contract's own column names and this module's constants only, never from file text.

A check is (column, rule, SQL that is true when the row fails, message). Columns are available normalised
as text (`county_code`) and typed (`county_code__v`); see `typed_columns`.
"""

from dataclasses import dataclass

import duckdb

from etl.contract import (
    AGGREGATE_KINDS,
    PATHWAYS,
    PERIOD_RANGE,
    TOTAL_LABELS,
    UNIT_LEVELS,
    VALUE_RANGE,
    YEAR_RANGE,
    Table,
    ident,
    indicator_lookup,
)

FULLWIDTH = "０１２３４５６７８９．，－／：　ＸｘＹＮ"
HALFWIDTH = "0123456789.,-/: XxYN"
BLANKS = " \t\r\n\u00a0\u3000\ufeff"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

MACROS = f"""
CREATE OR REPLACE TEMP MACRO norm(s) AS NULLIF(CASE
    WHEN strlen(s) = length(s) THEN trim(s)  -- plain ASCII: the fast path
    WHEN regexp_matches(s, '[{FULLWIDTH}{BLANKS}]') THEN trim(translate(s, '{FULLWIDTH}', '{HALFWIDTH}'), '{BLANKS}')
    ELSE s END, '');
CREATE OR REPLACE TEMP MACRO as_int(s) AS CASE
    WHEN regexp_full_match(replace(s, ',', ''), '-?[0-9]+(\\.0+)?')
    THEN TRY_CAST(TRY_CAST(replace(s, ',', '') AS DECIMAL(38, 4)) AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO as_year(s) AS as_int(regexp_replace(s, '年(度)?$', ''));
CREATE OR REPLACE TEMP MACRO as_bool(s) AS CASE
    WHEN s IN ('是', '1', 'Y', 'y', 'true', 'TRUE', 'True', 'T', '√') THEN true
    WHEN s IN ('否', '0', 'N', 'n', 'false', 'FALSE', 'False', 'F', '×') THEN false END;
CREATE OR REPLACE TEMP MACRO as_double(s) AS TRY_CAST(s AS DOUBLE);
CREATE OR REPLACE TEMP MACRO as_date(s) AS CASE
    WHEN s IS NULL THEN NULL
    WHEN regexp_full_match(s, '[0-9]{{4}}[-/.][0-9]{{1,2}}[-/.][0-9]{{1,2}}([ T][0-9:.]+)?')
        THEN TRY_CAST(try_strptime(regexp_replace(split_part(split_part(s, ' ', 1), 'T', 1), '[/.]', '-', 'g'),
                                   '%Y-%m-%d') AS DATE)
    WHEN regexp_full_match(s, '[0-9]{{4}}年[0-9]{{1,2}}月[0-9]{{1,2}}日?')
        THEN TRY_CAST(try_strptime(rtrim(s, '日'), '%Y年%m月%d') AS DATE)
    WHEN regexp_full_match(s, '[0-9]{{4}}年[0-9]{{1,2}}月')
        THEN last_day(TRY_CAST(try_strptime(s || '1', '%Y年%m月%d') AS DATE))
    WHEN regexp_full_match(s, '[0-9]{{8}}') THEN TRY_CAST(try_strptime(s, '%Y%m%d') AS DATE)
    WHEN regexp_full_match(s, '[1-9][0-9]{{4}}(\\.[0-9]+)?')
        THEN DATE '1899-12-30' + CAST(floor(CAST(s AS DOUBLE)) AS INTEGER)
    END;
"""


def sql_list(values) -> str:
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def id_check_digit_sql(col: str) -> str:
    # TRY_CAST: DuckDB may evaluate this before the format check that guards it (found by tests/test_etl_fuzz.py)
    total = " + ".join(f"TRY_CAST(substr({col}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(ID_WEIGHTS))
    return f"substr('10X98765432', (({total}) % 11) + 1, 1)"


# kind of a contract column -> SQL producing its typed value from the normalised text column (`{c}`)
KIND_SQL = {
    "int": "as_int({c})",
    "year": "as_year({c})",
    "bool": "as_bool({c})",
    "date": "as_date({c})",
    "double": "as_double({c})",
    "upper": "upper({c})",
    "indicator": "(SELECT k FROM _indicators WHERE h = lower(regexp_replace({c}, '\\s', '', 'g')))",
}
KIND_TEXT = {"int": "整数 (an integer)", "year": "年份 (a year)", "bool": "是/否 (yes/no)",
             "date": "日期 (a date, e.g. 2019-06-30, 2019年6月30日, 2019年6月)", "double": "数值 (a number)"}

# target_progress: the unit's level and the target's level and kind, beside the row (`_plan_targets` is made
# from ref_plan_targets at the start of every load, see etl/load.py)
DERIVED = {
    "target_progress": {
        "unit_level": "CASE WHEN unit_code = '620000' THEN 'province' "
                      "WHEN unit_code IN (SELECT village_code FROM dim_village) THEN 'village' "
                      "WHEN unit_code IN (SELECT county_code FROM dim_county) THEN 'county' "
                      "WHEN unit_code IN (SELECT prefecture_code FROM dim_prefecture) THEN 'prefecture' END",
        "target_level": "(SELECT reported_level FROM _plan_targets WHERE id = target_id)",
        "target_kind": "(SELECT kind FROM _plan_targets WHERE id = target_id)",
    },
}


@dataclass(frozen=True)
class Check:
    column: str
    rule: str
    fails: str
    message: str


def _type_checks(table: Table) -> list[Check]:
    return [Check(col, "type", f"{col} IS NOT NULL AND {col}__v IS NULL", f"{col} 须为{KIND_TEXT[kind]}")
            for col, kind in table.typed.items() if kind in KIND_TEXT]


def _required(table: Table) -> list[Check]:
    return [Check(c.name, "required", f"{c.name} IS NULL", f"必填列 {c.zh} ({c.name}) 为空 (required)")
            for c in table.columns if c.required]


def _column_rules(table: Table) -> list[Check]:
    """The rules a contract column carries itself: code format, allowed values, year range."""
    checks = []
    for c in table.columns:
        if c.digits:
            checks.append(_code_format(c.name, c.digits, c.zh))
        if c.allowed:
            checks.append(_allowed(c.name, c.allowed))
        if c.years:
            checks.append(_year_range(c.name, c.years))
    return checks


def _year_range(col: str, kind: str) -> Check:
    lo, hi = YEAR_RANGE[kind]
    return Check(col, "year_range", f"{col}__v IS NOT NULL AND ({col}__v < {lo} OR {col}__v > {hi})",
                 f"{col} 须在 {lo}–{hi} 之间 (year out of range)")


def _allowed(col: str, values) -> Check:
    return Check(col, "allowed_values", f"{col} IS NOT NULL AND {col} NOT IN {sql_list(values)}",
                 f"{col} 只能是 {'/'.join(values)} (not an allowed value)")


def _code_format(col: str, digits: int, zh: str) -> Check:
    return Check(col, "code_format", f"{col} IS NOT NULL AND NOT regexp_full_match({col}, '[0-9]{{{digits}}}')",
                 f"{zh}须为{digits}位数字 ({col} must be {digits} digits)")


def _unknown_county(message: str) -> Check:
    return Check("county_code", "unknown_county",
                 "county_code IS NOT NULL AND county_code NOT IN (SELECT county_code FROM dim_county)", message)


_RURAL_POPULATION_POSITIVE = Check("rural_population", "positive",
                                   "rural_population__v IS NOT NULL AND rural_population__v <= 0",
                                   "农村人口须大于0 (must be positive)")


PATHWAY_NAMES = tuple(p[0] for p in PATHWAYS)
PATHWAY_SPLIT = "[,，、;；/\\s]+"


def _target_progress_checks() -> list[Check]:
    lo, hi = PERIOD_RANGE
    share_lo, share_hi = VALUE_RANGE["share"]
    non_negative = [k for k, (low, _) in VALUE_RANGE.items() if k != "share" and low == 0]
    levels = "[" + ", ".join(f"'{v}'" for v in UNIT_LEVELS) + "]"
    return [
        Check("unit_code", "code_format",
              "unit_code IS NOT NULL AND NOT regexp_full_match(unit_code, '[0-9]{6}|[0-9]{12}')",
              "单位代码须为6位(省/市州/县)或12位(村)数字 (unit_code must be 6 digits: province, prefecture, county; "
              "or 12: village)"),
        Check("target_id", "unknown_target", "target_id IS NOT NULL AND target_level__v IS NULL",
              "指标编号不在指标目录 data/reference/plan_targets.csv 中 (unknown target: not an id of the catalog)"),
        Check("unit_code", "unknown_unit",
              "regexp_full_match(unit_code, '[0-9]{6}|[0-9]{12}') AND unit_level__v IS NULL",
              "单位代码不是省(620000)、已导入的市州、县或村代码 (unknown unit: not 620000 or a loaded prefecture, "
              "county or village code; load the counties and villages tables first)"),
        Check("unit_code", "wrong_level",
              "unit_level__v IS NOT NULL AND target_level__v IS NOT NULL AND unit_level__v <> target_level__v "
              f"AND NOT (target_kind__v IN {sql_list(AGGREGATE_KINDS)} AND list_position({levels}, unit_level__v) "
              f"< list_position({levels}, target_level__v))",
              "单位级别与指标级别不符: 按指标目录的 level 填省、市州、县或村代码, 户、人、乡镇级指标按县填报, "
              "比例类指标也可填上级汇总 (the unit is not of the target's level: give a province, prefecture, county "
              "or village code as the catalog's level says; household, person and township targets are reported per "
              "county; a share may also be given for a unit above, as its aggregate)"),
        Check("period_end", "period_range",
              f"period_end__v IS NOT NULL AND (period_end__v < DATE '{lo}' OR period_end__v > DATE '{hi}')",
              f"截止日期须在 {lo} 至 {hi} 之间 (period_end outside the plan period)"),
        Check("value", "share_range",
              f"target_kind__v = 'share' AND (value__v < {share_lo} OR value__v > {share_hi})",
              f"比例类指标的值须在 {share_lo}–{share_hi} 之间, 以百分数填写 (a share must be {share_lo}–{share_hi}, "
              "in percent)"),
        Check("value", "negative", f"target_kind__v IN {sql_list(non_negative)} AND value__v < 0",
              "数量、金额类指标的值不能为负 (a count, amount, floor or cap cannot be negative)"),
    ]


# the rules of each table beyond those its columns carry (cross-column rules and look-ups)
TABLE_CHECKS = {
    "counties": [
        Check("county_code", "not_gansu", "regexp_full_match(county_code, '[0-9]{6}') AND left(county_code, 2) <> '62'",
              "县代码不属于甘肃省(62开头) (not a Gansu code)"),
        Check("prefecture_code", "prefecture_mismatch",
              "prefecture_code IS NOT NULL AND prefecture_code <> left(county_code, 4) || '00'",
              "市州代码与县代码前4位不符 (prefecture_code does not match the county code)"),
        Check("poverty_type", "required_for_poverty_county", "is_poverty_county__v AND poverty_type IS NULL",
              "贫困县须填贫困县类型 (片区/插花) (poverty_type required for a poverty county)"),
        Check("planned_exit_year", "required_for_poverty_county",
              "is_poverty_county__v AND planned_exit_year__v IS NULL",
              "贫困县须填计划摘帽年度 (planned_exit_year required for a poverty county)"),
        _RURAL_POPULATION_POSITIVE,
        Check("actual_exit_date", "date_before_exit_year",
              "actual_exit_date__v IS NOT NULL AND actual_exit_year__v IS NOT NULL "
              "AND year(actual_exit_date__v) < actual_exit_year__v",
              "批准退出日期早于实际摘帽年度 (approval date before the exit year)"),
    ],
    "county_targets": [
        _unknown_county("县代码不在县表中，请先导入县表 (unknown county: load the counties table first)"),
        Check("indicator", "unknown_indicator", "indicator IS NOT NULL AND indicator__v IS NULL",
              "未知指标 (unknown indicator); 可用: people_exit/脱贫人口, households_exit, villages_exit, industry_people, employment_people, "
              "relocation_people, ecology_people, social_security_people, housing_households, water_households"),
        Check("target", "non_negative", "target__v IS NOT NULL AND target__v < 0", "目标值不能为负 (negative)"),
    ],
    "villages": [
        _unknown_county("县代码不在县表中 (unknown county: load or fix the counties table)"),
        Check("village_code", "code_prefix_mismatch",
              "regexp_full_match(village_code, '[0-9]{12}') AND county_code IS NOT NULL AND left(village_code, 6) <> county_code",
              "村代码前6位须等于县代码 (village_code must start with its county_code)"),
        Check("is_deep_poverty", "category_conflict",
              "village_category = '深度贫困非建档村' AND is_deep_poverty__v = false",
              "深度贫困非建档村须为深度贫困村 (a non-registered deep-poverty village must be deep poverty)"),
        _RURAL_POPULATION_POSITIVE,
        Check("lon", "coordinates_incomplete", "(lon IS NULL) <> (lat IS NULL)",
              "经度、纬度须同时填写或同时为空 (give both lon and lat, or neither)"),
        Check("lon", "coordinate_range",
              "lon__v IS NOT NULL AND lat__v IS NOT NULL AND NOT (lon__v BETWEEN 73 AND 136 AND lat__v BETWEEN 3 AND 54)",
              "坐标不在中国范围内，经纬度是否填反? (coordinates outside China: lon/lat swapped?)"),
    ],
    "households": [
        Check("village_code", "unknown_village",
              "regexp_full_match(village_code, '[0-9]{12}') AND village_code NOT IN (SELECT village_code FROM dim_village)",
              "村代码不在村表中 (unknown village: load or fix the villages table)"),
        Check("household_size", "size_range", "household_size__v IS NOT NULL AND NOT household_size__v BETWEEN 1 AND 30",
              "家庭人口数须在1–30之间 (household_size must be 1–30)"),
        Check("head_id_number", "id_format",
              "head_id_number IS NOT NULL AND NOT regexp_full_match(head_id_number__v, '[0-9]{17}[0-9X]|[0-9]{15}')",
              "证件号码须为18位 (17位数字+数字或X) 或旧15位数字 (ID number must be 18 characters, or 15 digits)"),
        Check("pathways", "unknown_pathway",
              f"pathways IS NOT NULL AND len(list_filter(regexp_split_to_array(pathways, '{PATHWAY_SPLIT}'), "
              f"lambda p: p <> '' AND p NOT IN {sql_list(PATHWAY_NAMES)})) > 0",
              "帮扶措施只能是 " + "/".join(PATHWAY_NAMES) + " (unknown pathway)"),
        Check("exit_date", "exit_before_plan_start", "exit_date__v < DATE '2018-01-01'",
              "脱贫日期早于规划起点 2018-01-01 (exit date before the plan start)"),
        Check("exit_date", "exit_date_without_exit", "status = '未脱贫' AND exit_date IS NOT NULL",
              "未脱贫户不应有脱贫日期 (a household not exited has an exit date)"),
    ],
    "target_progress": _target_progress_checks(),
}


def checks_for(table: Table) -> list[Check]:
    """Every reject rule of a table: totals row, required, types, the columns' own rules, the table's rules."""
    totals = Check("*", "totals_row",
                   " OR ".join(f"coalesce({c}, '') IN {sql_list(TOTAL_LABELS)}" for c in table.column_names[:3]),
                   "合计/总计行，不是数据行 (totals row, not a data row)")
    return [totals, *_required(table), *_type_checks(table), *_column_rules(table), *TABLE_CHECKS[table.name]]


def typed_name(table: Table, col: str) -> str:
    """The column of the typed relation that holds `col`'s value: `col__v` when the contract types it."""
    return f"{col}__v" if col in table.typed else col


def county_sql(table: Table) -> str:
    """SQL (over the typed relation) for the county a row belongs to: its county_code, else the first 6 digits
    of its village code (a 12-digit unit_code too), else its 6-digit unit_code; NULL unless it has a county's
    form (62xxxx, not xx00)."""
    names = set(table.column_names)
    parts = [c for c in ("county_code",) if c in names]
    parts += [f"CASE WHEN regexp_full_match({c}, '[0-9]{{12}}') THEN left({c}, 6) END"
              for c in ("village_code", "unit_code") if c in names]
    parts += ["unit_code"] if "unit_code" in names else []
    if not parts:
        return "NULL"
    candidate = f"coalesce({', '.join(parts)})"
    return f"CASE WHEN regexp_full_match({candidate}, '62[0-9]{{4}}') AND right({candidate}, 2) <> '00' THEN {candidate} END"


def typed_select(table: Table, staged_relation: str) -> str:
    """SELECT that normalises every text column and adds the typed `col__v` columns (and the table's derived ones)."""
    norm = ", ".join(f"norm({ident(c)}) AS {ident(c)}" for c in table.column_names)
    typed = [KIND_SQL[kind].format(c=col) + f" AS {col}__v" for col, kind in table.typed.items()]
    typed += [f"{expr} AS {name}__v" for name, expr in DERIVED.get(table.name, {}).items()]
    inner = f"SELECT _line, _fields, {norm} FROM {staged_relation}"
    return f"SELECT *, {', '.join(typed)} FROM ({inner})"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MACROS)
    con.execute("CREATE OR REPLACE TEMP TABLE _indicators (h VARCHAR, k VARCHAR)")
    con.executemany("INSERT INTO _indicators VALUES (?, ?)", list(indicator_lookup().items()))


def reject_sql(table: Table, relation: str, skip: tuple[str, ...] = ()) -> str:
    """One row per failed check (but the rules in `skip`): (line, column, rule, value, message)."""
    parts = []
    for check in (c for c in checks_for(table) if c.rule not in skip):
        value = "NULL" if check.column == "*" else f"CAST({check.column} AS VARCHAR)"
        msg = check.message.replace("'", "''")
        parts.append(
            f"SELECT _line, '{check.column}' AS column_name, '{check.rule}' AS rule, {value} AS value, "
            f"'{msg}' AS message FROM {relation} WHERE coalesce(({check.fails}), false)"
        )
    return " UNION ALL ".join(parts)


# ---- warnings: the row is loaded (it counts) and listed in etl_warnings for the county to correct.
# Messages are fixed text: never the name, the ID number or the birth date.
ID18 = "regexp_full_match(head_id_number__v, '[0-9]{17}[0-9X]')"
ID15 = "regexp_full_match(head_id_number__v, '[0-9]{15}')"
# birth date from the ID number: digits 7-14 (18 digits) or 19 + digits 7-12 (old 15 digits)
BIRTH = (f"CASE WHEN {ID18} THEN try_strptime(substr(head_id_number__v, 7, 8), '%Y%m%d') "
         f"WHEN {ID15} THEN try_strptime('19' || substr(head_id_number__v, 7, 6), '%Y%m%d') END")
HEAD_AGE = (16, 110)

WARNINGS = {
    "households": [
        Check("head_id_number", "id_checksum",
              f"{ID18} AND right(head_id_number__v, 1) <> {id_check_digit_sql('head_id_number__v')}",
              "证件号码校验位错误 (ID number check digit is wrong)"),
        Check("head_id_number", "id_15_digit", ID15,
              "证件号码为旧15位号码，请换为18位 (old 15-digit ID number: give the 18-digit one)"),
        Check("head_id_number", "head_age",
              f"date_sub('year', CAST(({BIRTH}) AS DATE), as_of__v) NOT BETWEEN {HEAD_AGE[0]} AND {HEAD_AGE[1]}",
              f"按证件号码出生日期，户主在数据截止日期不满{HEAD_AGE[0]}岁或超过{HEAD_AGE[1]}岁 "
              f"(head of household younger than {HEAD_AGE[0]} or older than {HEAD_AGE[1]} at the snapshot date, "
              "by the ID number's birth date)"),
        Check("exit_date", "required_when_exited", "status = '已脱贫' AND exit_date IS NULL",
              "已脱贫户未填脱贫日期 (status 已脱贫 without an exit date)"),
        Check("exit_date", "exit_after_as_of", "exit_date__v > as_of__v",
              "脱贫日期晚于数据截止日期 (exit date after the snapshot date)"),
    ],
}
DUPLICATE_ID_MESSAGE = ("证件号码与本期另外 {0} 户相同, 如户编号 {1} "
                        "(the same ID number as {0} other household(s) of this snapshot, e.g. {1})")


def warn_sql(table: Table, relation: str) -> str | None:
    """One row per warning on the rows of `relation`: (line, column, rule, message), in one pass over it."""
    checks = WARNINGS.get(table.name, [])
    if not checks:
        return None
    hits = ", ".join(f"CASE WHEN coalesce(({w.fails}), false) THEN {n} END" for n, w in enumerate(checks))
    rules = " UNION ALL ".join(
        f"SELECT {n} AS n, '{w.column}' AS column_name, '{w.rule}' AS rule, '{w.message.replace(chr(39), chr(39) * 2)}' "
        "AS message" for n, w in enumerate(checks))
    return (f"SELECT h._line, r.column_name, r.rule, r.message FROM (SELECT _line, unnest(list_filter([{hits}], "
            f"lambda x: x IS NOT NULL)) AS n FROM {relation}) h JOIN ({rules}) r USING (n)")
