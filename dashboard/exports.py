"""Table exports: DataFrame → bytes. Pure (no Dash, no I/O besides in-memory buffers)."""

from __future__ import annotations

import io

import pandas as pd

CODE_COLUMNS_HINT = ("code", "_id", "id_number")


def _is_code(col: str) -> bool:
    c = str(col).lower()
    return c == "code" or c.endswith("_code") or c.endswith("_id") or "id_number" in c or c == "adcode"


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if _is_code(c):
            out[c] = out[c].astype("string")
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel opens Chinese text correctly; codes written as text."""
    return _clean(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data", title: str | None = None) -> bytes:
    """XLSX via XlsxWriter: bold header, frozen header row, code columns stored as text, auto widths.
    An optional title row (scope · period · measure) goes above the header."""
    df = _clean(df)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xw:
        wb = xw.book
        ws = wb.add_worksheet(sheet_name[:31])
        xw.sheets[sheet_name[:31]] = ws
        bold = wb.add_format({"bold": True, "bg_color": "#E6EEF6", "border": 1})
        text = wb.add_format({"num_format": "@"})
        row0 = 0
        if title:
            ws.write(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
            row0 = 1
        for j, col in enumerate(df.columns):
            ws.write(row0, j, str(col), bold)
            series = df[col]
            is_code = _is_code(col)
            width = max([len(str(col))] + [len(str(v)) for v in series.head(200)]) + 2
            ws.set_column(j, j, min(max(width, 8), 60), text if is_code else None)
            for i, v in enumerate(series.tolist(), start=row0 + 1):
                if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or v is pd.NaT:
                    continue
                if is_code:
                    ws.write_string(i, j, str(v), text)
                elif hasattr(v, "isoformat"):
                    ws.write_string(i, j, v.isoformat()[:10] if hasattr(v, "hour") and not (v.hour or v.minute)
                                    else v.isoformat())
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                else:
                    ws.write(i, j, v)
        ws.freeze_panes(row0 + 1, 0)
    return buf.getvalue()
