"""Table exports: the rows behind a chart → a CSV or XLSX file that says what it is, with inert cells.

- `neutralise`: a text cell starting with = + - @, tab, CR or LF (or a full-width = + - @) gets a leading
  `'` (OWASP CSV injection), in CSV and XLSX alike, so a sheet re-saved as CSV stays inert; numbers stay
  numbers. XLSX strings are written with `write_string` and the workbook never turns strings into
  formulas, URLs or numbers.
- `present`: field names → the screen's column headers in the UI language, codes → the screen's labels
  (via dashboard.i18n), the screen's rounding (counts as integers, shares as percent with 1 or 2 decimals),
  codes as text.
- What a file is: a CSV stays one clean table (header row, then rows: Power Query, pandas and Excel read it
  as is) and carries scope, as-of quarter and date, source and the demo label as the last columns of every
  row, so rows appended from several downloads still say where they came from. An XLSX has the same
  table under two title rows and a notes sheet (scope, as-of, source, demo label, generated time, the
  on-track rule).

Everything but `chart_file` (the download callback's glue) is pure: DataFrame in, bytes out.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import re
from collections.abc import Iterable

import pandas as pd
import xlsxwriter

from dashboard.i18n import CATALOG, fmt_date, pathways_label, quarter_label, t
from dashboard.masking import FORMULA_START
from dashboard.settings import BEFORE_PLAN

BEIJING = dt.timezone(dt.timedelta(hours=8))


_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?%?")


def neutralise(value):
    """A cell a spreadsheet cannot run: text that could start a formula gets a leading `'`. Text that is
    just a number ("-2", "-1,234", "-5.0%", as the reports write them) runs nothing and stays as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _is_code(col: str) -> bool:
    c = str(col).lower()
    return c == "code" or c.endswith("_code") or c.endswith("_id") or "id_number" in c or c == "adcode"


# field → (header key in the catalog, kind). Kinds: code/text (text), int (rounded count or year), pct1/pct2
# (a share shown as percent, 1 or 2 decimals as the screen shows it), year17 (2017 = before 2018), bool,
# label:<catalog prefix> (a code shown by its label), date, float.
COLUMNS: dict[str, tuple[str, str]] = {
    "county_code": ("xc_county_code", "code"), "county_name": ("f_county", "text"),
    "prefecture_code": ("xc_prefecture_code", "code"), "prefecture_name": ("f_prefecture", "text"),
    "is_poverty_county": ("xc_is_poverty_county", "bool"), "poverty_type": ("f_ctype", "label:ctype_"),
    "deep_poverty": ("f_deep", "label:deep_"),
    "plan_people": ("xc_plan_people", "int"), "actual_people": ("xc_actual_people", "int"),
    "gap_people": ("m_gap", "int"), "plan_before_people": ("xc_plan_before_people", "int"),
    "cum_actual_people": ("xc_cum_actual_people", "int"), "plan_villages": ("xc_plan_villages", "int"),
    "actual_villages": ("xc_actual_villages", "int"), "plan_before_villages": ("xc_plan_before_villages", "int"),
    "cum_actual_villages": ("xc_cum_actual_villages", "int"), "remaining_people": ("col_people_left", "int"),
    "remaining_households": ("col_hh_left", "int"), "incidence": ("col_incidence", "pct2"),
    "returned_people": ("m_returned", "int"), "villages_total": ("xc_villages_total", "int"),
    "villages_behind": ("behind", "int"), "planned_exit_year": ("col_planned", "int"),
    "actual_exit_year": ("col_actual", "int"), "expected_people": ("xc_expected", "int"),
    "completion": ("xc_progress", "pct1"),
    "completion_villages": ("m_completion_villages", "pct1"), "gap_villages": ("m_gap_villages", "int"),
    "remaining_villages": ("m_remaining_villages", "int"),
    "code": ("xc_code", "code"), "name": ("xc_name", "text"), "plan": ("plan", "int"), "actual": ("actual", "int"),
    "gap": ("kpi_gap", "int"), "year": ("xc_year", "year17"), "level": ("f_level", "label:level_"),
    "pathway": ("f_pathway", "label:pw_"), "unit": ("xc_unit", "label:"),
    "plan_households": ("xc_plan_households", "int"), "actual_households": ("xc_actual_households", "int"),
    "village_code": ("xc_village_code", "code"), "village_name": ("col_village", "text"),
    "township_name": ("col_township", "text"), "village_category": ("xc_category", "label:hv_"),
    "is_deep_poverty": ("xc_is_deep_village", "bool"), "status": ("col_status", "label:st_"),
    "households_total": ("xc_households_total", "int"), "people_total": ("xc_people_total", "int"),
    "lon": ("xc_lon", "float"), "lat": ("xc_lat", "float"),
    "dimension": ("xc_dimension", "label:dim_"), "category": ("xc_group", "label:hv_"),
    "households": ("xc_households", "int"), "people": ("xc_people", "int"),
    "as_of": ("xc_quarter_end", "date"), "quarter_label": ("xc_quarter", "code"),
    "returned_households": ("h_returned", "int"), "newly_returned_households": ("xc_newly_returned", "int"),
    "new_households": ("h_new", "int"), "villages_exited": ("xc_villages_exited", "int"),
    "exited_people_this_year": ("xc_exited_people_year", "int"), "exited": ("xc_exited", "bool"),
    "behind_schedule": ("xc_behind", "bool"),
    "household_id": ("xc_household_id", "code"), "head_name": ("xc_head_name", "text"),
    "head_id_number": ("xc_head_id", "code"), "household_size": ("xc_household_size", "int"),
    "household_attribute": ("dim_attribute", "label:hv_"), "main_cause": ("dim_cause", "label:hv_"),
    "pathways": ("f_pathway", "pathways"), "exit_date": ("xc_exit_date", "date"),
}
# A chart whose columns mean something else there.
OVERRIDES: dict[str, dict[str, tuple[str, str]]] = {
    "ranking": {"plan": ("xc_expected", "int"), "status": ("col_status", "label:rag_")},
    "pathways": {"plan_people": ("xc_plan_people_all", "int"), "actual_people": ("xc_actual_people_all", "int")},
    "households": {"status": ("col_status", "label:hv_")},
    "villages": {"village_code": ("xc_code", "code")},
}
# plan targets (/targets: dashboard.charts target_*)
_TARGETS = {
    "target_id": ("tg_col_id", "code"), "sector": ("tg_f_sector", "label:hv_"), "section": ("tg_col_section", "text"),
    "level": ("tg_col_level", "text"), "kind": ("tg_col_kind", "text"), "target": ("tg_col_target", "float"),
    "unit": ("tg_col_unit", "label:hv_"), "deadline": ("tg_col_deadline", "date"), "latest": ("tg_col_latest", "float"),
    "latest_date": ("tg_col_latest_date", "date"), "expected": ("tg_col_expected", "float"),
    "ratio": ("tg_col_ratio", "pct1"), "status": ("tg_col_now", "label:tg_now_"),
    "ahead": ("tg_col_ahead", "label:tg_ahead_"), "pace_ratio": ("tg_col_pace", "pct1"),
    "projected": ("tg_col_projected", "float"), "units": ("tg_col_units", "int"),
    "units_behind": ("tg_col_units_behind", "int"), "in_force": ("tg_col_in_force", "label:tg_force_"),
    "revision": ("tg_col_revision", "text"), "is_demo": ("tg_demo", "bool"), "document": ("tg_col_document", "text"),
    "quote": ("tg_col_quote", "text"), "unit_code": ("tg_col_unit_code", "code"),
    "unit_name": ("tg_col_unit_name", "text"), "unit_level": ("tg_col_level", "text"),
    "since": ("tg_col_since", "code"), "quarters": ("tg_col_quarters", "int"),
    "trend": ("tg_col_trend", "label:tg_trend_"), "period_end": ("xc_quarter_end", "date"),
    "value": ("tg_col_latest", "float"), "source": ("tg_col_source", "text"),
}
OVERRIDES.update({"targets": _TARGETS, "target_units": _TARGETS, "target_series": _TARGETS})
# The /data tables: their fields as they are (no rounding, no labels), under their `dh_` headers.
RAW_TABLES = ("loads", "files", "rejects", "reject_samples", "recon", "refs")
_TEXT_KINDS = ("code", "text")


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _date(v):
    if _missing(v):
        return None
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    if isinstance(v, dt.datetime) or hasattr(v, "to_pydatetime"):
        v = pd.Timestamp(v).to_pydatetime()
        return v.date() if not (v.hour or v.minute or v.second) else v
    return v


def _convert(s: pd.Series, kind: str, lang: str) -> pd.Series:
    if kind in _TEXT_KINDS:
        return s.map(lambda v: None if _missing(v) else str(v)).astype(object)
    if kind == "int":
        return pd.to_numeric(s, errors="coerce").round().astype("Int64")
    if kind in ("pct1", "pct2"):
        return (pd.to_numeric(s, errors="coerce").astype("float64") * 100).round(int(kind[-1]))
    if kind == "float":
        return pd.to_numeric(s, errors="coerce").astype("float64").round(6)
    if kind == "year17":
        return s.map(lambda v: None if _missing(v) else t("before_2018", lang) if int(v) <= BEFORE_PLAN else int(v))
    if kind == "bool":
        return s.map(lambda v: None if _missing(v) else t("xc_yes" if bool(v) else "xc_no", lang)).astype(object)
    if kind == "date":
        return s.map(_date).astype(object)
    if kind == "pathways":  # as the screen shows them
        return s.map(lambda v: None if _missing(v) else pathways_label(v, lang)).astype(object)
    if kind.startswith("label:"):
        prefix = kind[len("label:"):]
        return s.map(lambda v: None if _missing(v) else t(f"{prefix}{v}", lang) if f"{prefix}{v}" in CATALOG
                     else str(v)).astype(object)
    raise ValueError(kind)


def present(df: pd.DataFrame, name: str = "", lang: str = "zh") -> pd.DataFrame:
    """The rows as the screen says them: headers and labels in `lang`, the screen's rounding, codes as text.
    The /data tables' fields are named by their `dh_` labels, as on screen; a field without one keeps its name."""
    out, codes = {}, []
    spec = {**COLUMNS, **OVERRIDES.get(name, {})} if name not in RAW_TABLES else {}
    for col in df.columns:
        key, kind = spec.get(col, (None, "code" if _is_code(col) else None))
        header = (t(f"dh_{col}", lang) if f"dh_{col}" in CATALOG else str(col)) if key is None else \
            t(key, lang) + (t("xc_pct", lang) if kind.startswith("pct") else "")
        values = df[col] if kind is None else _convert(df[col], kind, lang)
        if kind is None and pd.api.types.is_float_dtype(values):
            values = values.round(6)
        while header in out:
            header += "_"
        out[header] = values.reset_index(drop=True)
        if kind == "code":
            codes.append(header)
    table = pd.DataFrame(out)
    table.attrs["codes"] = codes
    return table


@dataclasses.dataclass(frozen=True)
class FileInfo:
    """What a file says about itself."""

    title: str
    scope: str
    quarter: str  # the as-of quarter in words, '2019年第2季度'
    as_of: str | None  # its last day, '2019-06-30'
    source: str
    demo: bool
    lang: str = "zh"
    rule: str | None = None
    generated: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(BEIJING))

    def columns(self) -> dict[str, str]:
        """The metadata columns every CSV/XLSX row ends with."""
        cols = {t("xc_scope", self.lang): self.scope, t("xc_as_of_quarter", self.lang): self.quarter,
                t("as_of", self.lang): self.as_of or "", t("source", self.lang): self.source}
        if self.demo:
            cols[t("xc_demo", self.lang)] = t("demo_label", self.lang)
        return cols

    def line(self) -> str:
        lang, sep = self.lang, t("colon", self.lang)
        as_of = t("date_quarter", lang, date=fmt_date(self.as_of, lang), quarter=self.quarter)
        parts = [f"{t('xc_scope', lang)}{sep}{self.scope}", f"{t('as_of', lang)}{sep}{as_of}",
                 f"{t('source', lang)}{sep}{self.source}"]
        return " · ".join(parts + ([t("demo_label", lang)] if self.demo else []))

    def notes(self) -> list[tuple[str, str]]:
        lang = self.lang
        rows = [(t("xc_title", lang), self.title), (t("xc_scope", lang), self.scope),
                (t("xc_as_of_quarter", lang), self.quarter),
                (t("as_of", lang), fmt_date(self.as_of, lang) if self.as_of else "—"),
                (t("source", lang), self.source)]
        if self.demo:
            rows.append((t("xc_demo", lang), t("demo_sentence", lang, label=t("demo_label", lang),
                                               notice=t("demo_notice", lang))))
        rows.append((t("xc_generated", lang), self.generated.isoformat(timespec="seconds")))
        if self.rule:
            rows.append((t("xc_rule", lang), self.rule))
        rows.append((t("xc_notes", lang), t("xc_formula_note", lang)))
        return rows


def _with_info(df: pd.DataFrame, info: FileInfo | None) -> pd.DataFrame:
    if info is None:
        return df
    extra = {k: [v] * len(df) for k, v in info.columns().items() if k not in df.columns}
    return pd.concat([df.reset_index(drop=True), pd.DataFrame(extra, index=range(len(df)), dtype=object)], axis=1)


def _inert(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map(neutralise).astype(object)
    return out


def _codes(df: pd.DataFrame) -> set:
    """Code columns: by field name, or as `present` marked them."""
    return {c for c in df.columns if _is_code(c)} | set(df.attrs.get("codes", ()))


def _textify_codes(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in _codes(df):
            out[c] = out[c].map(lambda v: None if _missing(v) else str(v)).astype(object)
    return out


def to_csv_bytes(df: pd.DataFrame, info: FileInfo | None = None) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese text), text quoted and numbers not (csv.QUOTE_NONNUMERIC),
    codes as text, every cell inert; with `info`, the metadata columns at the end of every row."""
    df = _inert(_with_info(_textify_codes(df), info))
    df = df.apply(lambda s: s.map(lambda v: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                  if s.dtype == object else s)
    return df.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n").encode("utf-8-sig")


def _width(values: Iterable) -> int:
    return max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values), default=0)


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data", title: str | None = None,
                  info: FileInfo | None = None) -> bytes:
    """XLSX via XlsxWriter, strings never read as formulas, URLs or numbers: every text cell by
    `write_string` (and inert), numbers by `write_number`, dates as dates, code columns as text. With
    `info`: two title rows (title; scope · as-of · source · demo label), the metadata columns, and a notes
    sheet. Bold header, frozen below it, widths from the contents."""
    if info is not None:
        title = title or info.title
        sheet_name = t("xc_data", info.lang)
    codes = _codes(df)
    df = _inert(_with_info(_textify_codes(df), info))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": False})
    ws = wb.add_worksheet(sheet_name[:31])
    bold = wb.add_format({"bold": True, "bg_color": "#E6EEF6", "border": 1, "text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    row0 = 0
    if title:
        ws.write_string(0, 0, neutralise(title), wb.add_format({"bold": True, "font_size": 13}))
        row0 = 1
    if info is not None:
        ws.write_string(row0, 0, neutralise(info.line()),
                        wb.add_format({"font_color": "#8E0E1E" if info.demo else "#3E4C59"}))
        row0 += 1
    for j, col in enumerate(df.columns):
        ws.write_string(row0, j, str(col), bold)
        series = df[col]
        is_code = col in codes
        ws.set_column(j, j, min(max(_width([col]) // 2 + 2, _width(series.head(200)) + 2, 8), 60),
                      text if is_code else None)
        for i, v in enumerate(series.tolist(), start=row0 + 1):
            if _missing(v):
                continue
            if isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float)) and not is_code:
                if math.isfinite(v):
                    ws.write_number(i, j, v)
            elif isinstance(v, dt.datetime):
                ws.write_datetime(i, j, v.replace(tzinfo=None), stamp)
            elif isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date)
            else:
                ws.write_string(i, j, neutralise(str(v)), text if is_code else None)
    ws.freeze_panes(row0 + 1, 0)
    if info is not None:
        notes = wb.add_worksheet(t("xc_notes", info.lang))
        key = wb.add_format({"bold": True, "valign": "top"})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        notes.set_column(0, 0, 16)
        notes.set_column(1, 1, 110)
        for i, (k, v) in enumerate(info.notes()):
            notes.write_string(i, 0, neutralise(k), key)
            notes.write_string(i, 1, neutralise(v), wrap)
    wb.close()
    return buf.getvalue()


# ---------------------------------------------------------------- glue for the download callback
def file_info(name: str, f, scope, ctx: dict | None = None) -> FileInfo:
    """Title, scope words, as-of, source, demo label and (for the progress views) the on-track rule."""
    from dashboard import charts, progress
    from dashboard import queries as Q

    ctx = ctx or {}
    lang, meta, names = f.lang, Q.meta(), Q.names(scope)
    if ctx.get("village"):
        v = Q.village_info(ctx["village"], scope) or {}
        where = [v.get("county_name") or "", v.get("village_name") or ctx["village"]]
    elif ctx.get("county"):
        where = [names.get(ctx["county"], ctx["county"])]
    else:
        where = f.place_parts(names)
    if f.pathway != "all" and name in ("schedule", "map", "ranking", "pathways"):
        where = [*where, t(f"pw_{f.pathway}", lang)]
    rule = None
    if name not in RAW_TABLES and f.as_of_date:
        share, basis, basis_year, _ = charts.seasonal(f)
        rule = progress.rule_sentence(lang, f.as_of_date, share, basis, basis_year)  # as on screen (#rag-rule)
    quarter = quarter_label(f.as_of, lang) if f.as_of else "—"
    title = charts.title(name, f, scope, ctx).split(" · ")
    year = t("year_fmt", lang, year=f.year) if f.year else None
    if year in title:  # the as-of quarter, not just its year
        title[title.index(year)] = quarter
    return FileInfo(title=" · ".join(title), scope=" · ".join(w for w in where if w), quarter=quarter,
                    as_of=f.as_of_date, source=t(charts.SOURCE_KEY, lang), demo=meta.get("demo") == "true",
                    lang=lang, rule=rule)


def chart_file(name: str, f, scope, ctx: dict | None, fmt: str, rows: pd.DataFrame | None = None) -> bytes:
    """The CSV or XLSX of the rows behind chart `name` (or of `rows`, already read for it), as the screen
    shows them, saying what it is."""
    from dashboard import charts

    df = present(charts.chart_data(name, f, scope, ctx or {}) if rows is None else rows, name, f.lang)
    info = file_info(name, f, scope, ctx)
    return to_xlsx_bytes(df, info=info) if fmt == "xlsx" else to_csv_bytes(df, info=info)
