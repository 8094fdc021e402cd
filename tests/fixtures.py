"""A tiny input dataset built from code: three counties (one not poor), three villages, six households,
two quarterly snapshots and one bad row. Small enough to compute every figure by hand."""

import csv
from pathlib import Path

COUNTIES = [
    ["county_code", "county_name", "prefecture_code", "prefecture_name", "is_poverty_county", "poverty_type",
     "deep_poverty", "rural_population", "planned_exit_year", "actual_exit_year", "actual_exit_date"],
    ["620102", "城关区", "620100", "兰州市", "否", "", "", "200000", "", "", ""],
    ["620103", "七里河区", "620100", "兰州市", "是", "插花", "", "5000", "2017", "2017", "2018-10-10"],
    ["622926", "东乡族自治县", "622900", "临夏回族自治州", "是", "片区", "两州一县", "1000", "2020", "2020", "2020-11-21"],
]
VILLAGES = [
    ["village_code", "village_name", "township_name", "county_code", "village_category", "is_deep_poverty",
     "rural_population", "planned_exit_year", "actual_exit_year", "lon", "lat"],
    ["620103001001", "西果园村", "西果园镇", "620103", "建档立卡贫困村", "否", "1000", "2017", "2017", "", ""],
    ["622926001001", "布楞沟村", "高山乡", "622926", "建档立卡贫困村", "是", "500", "2019", "2019", "", ""],
    ["622926001002", "达板村", "达板镇", "622926", "深度贫困非建档村", "是", "400", "2020", "2020", "", ""],
]
TARGETS = [
    ["county_code", "year", "indicator", "target"],
    ["620103", "2018", "people_exit", "2"],
    ["620103", "2018", "households_exit", "1"],
    ["622926", "2019", "people_exit", "10"],
    ["622926", "2019", "households_exit", "2"],
    ["622926", "2019", "villages_exit", "1"],
    ["622926", "2020", "people_exit", "7"],
    ["622926", "2020", "households_exit", "2"],
    ["622926", "2020", "villages_exit", "1"],
    ["622926", "2019", "industry_people", "10"],
    ["622926", "2020", "industry_people", "3"],
]
HOUSEHOLD_HEADER = ["household_id", "village_code", "household_size", "head_name", "head_id_number",
                    "household_attribute", "main_cause", "pathways", "planned_exit_year", "status", "exit_date",
                    "as_of"]
# (id, village, size, name, id number, attribute, cause, pathways, planned year)
HOUSEHOLDS = [
    ("H1", "622926001001", 4, "马明", "622926198001011234", "一般贫困户", "缺技术", "产业", 2019),
    ("H2", "622926001001", 6, "马建国", "62292619750505123X", "低保贫困户", "因病", "产业、兜底", 2019),
    ("H3", "622926001002", 3, "妥文", "622926196612121235", "一般贫困户", "缺水", "产业、饮水", 2020),
    ("H4", "622926001002", 4, "马秀兰", "622926199002021231", "特困供养贫困户", "因残", "兜底", 2020),
    ("H5", "620103001001", 2, "张红", "620103197003031236", "一般贫困户", "缺资金", "就业", 2018),
]
# status and exit date per snapshot
SNAPSHOTS = {
    "2019-06-30": {"H1": ("已脱贫", "2019-05-10"), "H2": ("未脱贫", ""), "H3": ("未脱贫", ""),
                   "H4": ("未脱贫", ""), "H5": ("已脱贫", "2018-10-01")},
    "2019-12-31": {"H1": ("已脱贫", "2019-05-10"), "H2": ("已脱贫", "2019-11-20"), "H3": ("未脱贫", ""),
                   "H4": ("未脱贫", ""), "H5": ("返贫", "2018-10-01")},
}
BAD_HOUSEHOLD = ("H9", "622926009999", 3, "错村", "622926198001011234", "一般贫困户", "因病", "产业", 2019)


def _fix_check_digits() -> None:
    """ID numbers above are written by hand; give each the right check digit so only the bad row is bad."""
    from etl.validate import ID_WEIGHTS

    for i, row in enumerate(HOUSEHOLDS):
        body = row[4][:17]
        digit = "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]
        HOUSEHOLDS[i] = (*row[:4], body + digit, *row[5:])


_fix_check_digits()


def write_csv(path: Path, rows, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def household_rows(as_of: str, with_bad_row: bool = False) -> list[list]:
    rows = [HOUSEHOLD_HEADER]
    for hid, village, size, name, idn, attr, cause, pathways, planned in HOUSEHOLDS:
        status, exit_date = SNAPSHOTS[as_of][hid]
        rows.append([hid, village, size, name, idn, attr, cause, pathways, planned, status, exit_date, as_of])
    if with_bad_row:
        rows.append([*BAD_HOUSEHOLD, "未脱贫", "", as_of])
    return rows


def write_tiny_inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "counties.csv", COUNTIES)
    write_csv(folder / "villages.csv", VILLAGES)
    write_csv(folder / "county_targets.csv", TARGETS)
    write_csv(folder / "households_2019Q2.csv", household_rows("2019-06-30"))
    write_csv(folder / "households_2019Q4.csv", household_rows("2019-12-31", with_bad_row=True))
    return folder
