"""Masks for personal data: one definition of each, used by every query that returns a name or an ID number.

The masks are SQL expressions, so raw names and ID numbers never leave DuckDB. An 18-digit ID number
(6 area digits, 8 birth-date digits, 3 sequence digits, 1 check digit) keeps only its area code, which
the county gives away anyway: `622926************`. Given the county that leaves every birth date × 1,000
sequence numbers (the check digit follows from them), tens of millions of candidates; the old mask
(`6229**********123X`) left about 3,000. A mask never starts with a character a spreadsheet reads as a
formula.
"""

from __future__ import annotations

# First characters a spreadsheet may take for a formula (OWASP CSV injection), with their full-width forms.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

AREA_DIGITS = 6
_SQL_FORMULA_START = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)


def id_sql(col: str) -> str:
    """ID number → area code + '*' (15- and 18-character numbers whose first 6 are digits); anything
    else (a rejected value) → '*' only. At most 18 characters."""
    return f"""CASE WHEN {col} IS NULL THEN NULL
        WHEN length({col}) >= 15 AND regexp_full_match(left({col}, {AREA_DIGITS}), '[0-9]{{{AREA_DIGITS}}}')
            THEN left({col}, {AREA_DIGITS}) || repeat('*', least(length({col}), 18) - {AREA_DIGITS})
        ELSE repeat('*', least(length({col}), 18)) END"""


def name_sql(col: str) -> str:
    """Name → first character + '*' (+ last character from 3 characters on): 马*国, 马*. A first
    character that could start a formula becomes '*' too; a one-character name is '*'. At most 10."""
    first = f"CASE WHEN left({col}, 1) IN ({_SQL_FORMULA_START}) THEN '*' ELSE left({col}, 1) END"
    return f"""CASE WHEN {col} IS NULL THEN NULL
        WHEN length({col}) <= 1 THEN '*'
        WHEN length({col}) = 2 THEN {first} || '*'
        ELSE {first} || repeat('*', least(length({col}), 10) - 2) || right({col}, 1) END"""
