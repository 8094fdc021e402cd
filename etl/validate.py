"""Rules of the contract, as SQL over a staged file: each failing row goes to the rejects with its rule.

The SQL is built from the contract's own column names and this module's constants only, never from file text.

A check is (column, rule, SQL that is true when the row fails, message). Columns are available normalised
as text (`county_code`) and typed (`county_code__v`); see `typed_columns`.
"""

from dataclasses import dataclass

import duckdb

from etl.contract import (
    DEEP_POVERTY_TYPES,
    HOUSEHOLD_ATTRIBUTES,
    MAIN_CAUSES,
    PATHWAYS,
    POVERTY_TYPES,
    STATUSES,
    TOTAL_LABELS,
    VILLAGE_CATEGORIES,
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


# column -> SQL producing the typed value from the normalised text column of the same name
TYPED = {
    "counties": {
        "is_poverty_county": "as_bool(is_poverty_county)",
        "rural_population": "as_int(rural_population)",
        "planned_exit_year": "as_year(planned_exit_year)",
        "actual_exit_year": "as_year(actual_exit_year)",
        "actual_exit_date": "as_date(actual_exit_date)",
    },
    "county_targets": {"year": "as_year(year)", "target": "as_int(target)"},
    "villages": {
        "is_deep_poverty": "as_bool(is_deep_poverty)",
        "rural_population": "as_int(rural_population)",
        "planned_exit_year": "as_year(planned_exit_year)",
        "actual_exit_year": "as_year(actual_exit_year)",
        "lon": "as_double(lon)",
        "lat": "as_double(lat)",
    },
    "households": {
        "household_size": "as_int(household_size)",
        "planned_exit_year": "as_year(planned_exit_year)",
        "exit_date": "as_date(exit_date)",
        "as_of": "as_date(as_of)",
        "head_id_number": "upper(head_id_number)",
    },
}


@dataclass(frozen=True)
class Check:
    column: str
    rule: str
    fails: str
    message: str


def _type_checks(table: str) -> list[Check]:
    kinds = {"as_int": "整数 (an integer)", "as_year": "年份 (a year)", "as_bool": "是/否 (yes/no)",
             "as_date": "日期 (a date, e.g. 2019-06-30, 2019年6月30日, 2019年6月)", "as_double": "数值 (a number)"}
    checks = []
    for col, expr in TYPED[table].items():
        kind = expr.split("(")[0]
        if kind in kinds:
            checks.append(Check(col, "type", f"{col} IS NOT NULL AND {col}__v IS NULL",
                                f"{col} 须为{kinds[kind]}"))
    return checks


def _required(table: Table) -> list[Check]:
    return [Check(c.name, "required", f"{c.name} IS NULL", f"必填列 {c.zh} ({c.name}) 为空 (required)")
            for c in table.columns if c.required]


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


def checks_for(table: Table) -> list[Check]:
    name = table.name
    checks = [Check("*", "totals_row",
                    " OR ".join(f"coalesce({c}, '') IN {sql_list(TOTAL_LABELS)}" for c in table.column_names[:3]),
                    "合计/总计行，不是数据行 (totals row, not a data row)")]
    checks += _required(table) + _type_checks(name)
    if name == "counties":
        checks += [
            _code_format("county_code", 6, "县代码"),
            Check("county_code", "not_gansu", "regexp_full_match(county_code, '[0-9]{6}') AND left(county_code, 2) <> '62'",
                  "县代码不属于甘肃省(62开头) (not a Gansu code)"),
            Check("prefecture_code", "prefecture_mismatch",
                  "prefecture_code IS NOT NULL AND prefecture_code <> left(county_code, 4) || '00'",
                  "市州代码与县代码前4位不符 (prefecture_code does not match the county code)"),
            _allowed("poverty_type", POVERTY_TYPES),
            _allowed("deep_poverty", DEEP_POVERTY_TYPES),
            Check("poverty_type", "required_for_poverty_county", "is_poverty_county__v AND poverty_type IS NULL",
                  "贫困县须填贫困县类型 (片区/插花) (poverty_type required for a poverty county)"),
            Check("planned_exit_year", "required_for_poverty_county",
                  "is_poverty_county__v AND planned_exit_year__v IS NULL",
                  "贫困县须填计划摘帽年度 (planned_exit_year required for a poverty county)"),
            _RURAL_POPULATION_POSITIVE,
            _year_range("planned_exit_year", "county"),
            _year_range("actual_exit_year", "county"),
            Check("actual_exit_date", "date_before_exit_year",
                  "actual_exit_date__v IS NOT NULL AND actual_exit_year__v IS NOT NULL "
                  "AND year(actual_exit_date__v) < actual_exit_year__v",
                  "批准退出日期早于实际摘帽年度 (approval date before the exit year)"),
        ]
    elif name == "county_targets":
        checks += [
            _unknown_county("县代码不在县表中，请先导入县表 (unknown county: load the counties table first)"),
            _year_range("year", "target"),
            Check("indicator", "unknown_indicator", "indicator IS NOT NULL AND indicator__v IS NULL",
                  "未知指标 (unknown indicator); 可用: people_exit/脱贫人口, households_exit, villages_exit, industry_people, employment_people, "
                  "relocation_people, ecology_people, social_security_people, housing_households, water_households"),
            Check("target", "non_negative", "target__v IS NOT NULL AND target__v < 0", "目标值不能为负 (negative)"),
        ]
    elif name == "villages":
        checks += [
            _code_format("village_code", 12, "村代码"),
            _unknown_county("县代码不在县表中 (unknown county: load or fix the counties table)"),
            Check("village_code", "code_prefix_mismatch",
                  "regexp_full_match(village_code, '[0-9]{12}') AND county_code IS NOT NULL AND left(village_code, 6) <> county_code",
                  "村代码前6位须等于县代码 (village_code must start with its county_code)"),
            _allowed("village_category", VILLAGE_CATEGORIES),
            Check("is_deep_poverty", "category_conflict",
                  "village_category = '深度贫困非建档村' AND is_deep_poverty__v = false",
                  "深度贫困非建档村须为深度贫困村 (a non-registered deep-poverty village must be deep poverty)"),
            _RURAL_POPULATION_POSITIVE,
            _year_range("planned_exit_year", "village"),
            _year_range("actual_exit_year", "village"),
            Check("lon", "coordinates_incomplete", "(lon IS NULL) <> (lat IS NULL)",
                  "经度、纬度须同时填写或同时为空 (give both lon and lat, or neither)"),
            Check("lon", "coordinate_range",
                  "lon__v IS NOT NULL AND lat__v IS NOT NULL AND NOT (lon__v BETWEEN 73 AND 136 AND lat__v BETWEEN 3 AND 54)",
                  "坐标不在中国范围内，经纬度是否填反? (coordinates outside China: lon/lat swapped?)"),
        ]
    elif name == "households":
        checks += [
            _code_format("village_code", 12, "村代码"),
            Check("village_code", "unknown_village",
                  "regexp_full_match(village_code, '[0-9]{12}') AND village_code NOT IN (SELECT village_code FROM dim_village)",
                  "村代码不在村表中 (unknown village: load or fix the villages table)"),
            Check("household_size", "size_range", "household_size__v IS NOT NULL AND NOT household_size__v BETWEEN 1 AND 30",
                  "家庭人口数须在1–30之间 (household_size must be 1–30)"),
            Check("head_id_number", "id_format",
                  "head_id_number IS NOT NULL AND NOT regexp_full_match(head_id_number__v, '[0-9]{17}[0-9X]|[0-9]{15}')",
                  "证件号码须为18位 (17位数字+数字或X) 或旧15位数字 (ID number must be 18 characters, or 15 digits)"),
            _allowed("household_attribute", HOUSEHOLD_ATTRIBUTES),
            _allowed("main_cause", MAIN_CAUSES),
            _allowed("status", STATUSES),
            Check("pathways", "unknown_pathway",
                  f"pathways IS NOT NULL AND len(list_filter(regexp_split_to_array(pathways, '{PATHWAY_SPLIT}'), "
                  f"lambda p: p <> '' AND p NOT IN {sql_list(PATHWAY_NAMES)})) > 0",
                  "帮扶措施只能是 " + "/".join(PATHWAY_NAMES) + " (unknown pathway)"),
            _year_range("planned_exit_year", "household"),
            Check("exit_date", "exit_before_plan_start", "exit_date__v < DATE '2018-01-01'",
                  "脱贫日期早于规划起点 2018-01-01 (exit date before the plan start)"),
            Check("exit_date", "exit_date_without_exit", "status = '未脱贫' AND exit_date IS NOT NULL",
                  "未脱贫户不应有脱贫日期 (a household not exited has an exit date)"),
        ]
    return checks


def typed_name(table: Table, col: str) -> str:
    """The column of the typed relation that holds `col`'s value: `col__v` when the contract types it."""
    typed = col in TYPED[table.name] or (table.name == "county_targets" and col == "indicator")
    return f"{col}__v" if typed else col


def typed_select(table: Table, staged_relation: str) -> str:
    """SELECT that normalises every text column and adds the typed `col__v` columns."""
    norm = ", ".join(f"norm({ident(c)}) AS {ident(c)}" for c in table.column_names)
    typed = ", ".join(f"{expr} AS {col}__v" for col, expr in TYPED[table.name].items())
    extra = ""
    if table.name == "county_targets":
        extra = ", (SELECT k FROM _indicators WHERE h = lower(regexp_replace(indicator, '\\s', '', 'g'))) AS indicator__v"
    inner = f"SELECT _line, _fields, {norm} FROM {staged_relation}"
    return f"SELECT *, {typed}{extra} FROM ({inner})"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MACROS)
    con.execute("CREATE OR REPLACE TEMP TABLE _indicators (h VARCHAR, k VARCHAR)")
    con.executemany("INSERT INTO _indicators VALUES (?, ?)", list(indicator_lookup().items()))


def reject_sql(table: Table, relation: str, file_name: str) -> str:
    """One row per failed check: (line, column, rule, value, message)."""
    parts = []
    for check in checks_for(table):
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
