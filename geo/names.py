"""Place names as real files write them → GB/T 2260 codes (geography is keyed by code, never by name).

    county_code("七里河区") == county_code("七里河") == "620103"
    county_code("华亭县") == "620881"           # 华亭县 became the county-level city 华亭市 in 2018
    county_code("城关区", prefecture="兰州") == "620102"
    prefecture_code("临夏州") == prefecture_code("临夏回族自治州") == prefecture_code("临夏") == "622900"

Accepted forms for a county: the full name; the short name without 县/区/市 or the ethnic-autonomy
suffix (积石山, 张家川; not for one-character stems like 岷县, 环县, which stay full-only); for
autonomous counties also the colloquial "short + 县" (张家川县, 东乡县); and former names of counties
renamed or upgraded since ~2000 (FORMER_COUNTY_NAMES). Names that fit two counties (临夏 → 临夏市 or
临夏县) are ambiguous and raise, listing both. Input is normalised with NFKC (full-width → half-width)
and all whitespace is removed.

The lookup table is built from data/geo/counties.geojson (the names of the 87 features), lazily.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from geo.boundaries import counties_geojson

# Former names → current code. Sources: State Council / Ministry of Civil Affairs approvals.
FORMER_COUNTY_NAMES: dict[str, str] = {
    "华亭县": "620881",  # 2018-08: 华亭县 → 县级华亭市 (old code 620824)
    "安西县": "620922",  # 2006-02: renamed 瓜州县
    "秦城区": "620502",  # 2005-01: renamed 秦州区
    "北道区": "620503",  # 2005-01: renamed 麦积区
    "武都县": "621202",  # 2004: 武都县 → 武都区 (陇南地区 → 陇南市)
    "定西县": "621102",  # 2003: 定西县 → 安定区 (定西地区 → 定西市)
    "西峰市": "621002",  # 2002: 县级西峰市 → 西峰区 (庆阳地区 → 庆阳市)
    # 县级 平凉市/张掖市/酒泉市/武威市 (now 崆峒区/甘州区/肃州区/凉州区) are not listed: their names are
    # today's prefecture names, so a file saying "平凉市" in a county column needs a human decision.
}

# Codes retired by those changes → current code (for files that carry codes rather than names).
FORMER_COUNTY_CODES: dict[str, str] = {
    "620824": "620881",  # 华亭县 → 华亭市 (2018)
}

# Former prefecture names (地区 → 地级市, 2001-2004) and common short forms handled by rules below.
FORMER_PREFECTURE_NAMES: dict[str, str] = {
    "武威地区": "620600",
    "张掖地区": "620700",
    "平凉地区": "620800",
    "酒泉地区": "620900",
    "庆阳地区": "621000",
    "定西地区": "621100",
    "陇南地区": "621200",
}

# Longest first, so 自治县 is stripped before 县 and the ethnic names before 自治.
_ETHNIC = r"(?:保安族|东乡族|撒拉族|回族|藏族|蒙古族|哈萨克族|裕固族|土族)*"
_COUNTY_SUFFIX = re.compile(rf"^(?P<stem>.+?){_ETHNIC}(?P<suffix>自治县|县|区|市)$")
_PREF_SUFFIX = re.compile(rf"^(?P<stem>.+?){_ETHNIC}(?P<suffix>自治州|市|州|地区)$")


class UnknownPlaceName(ValueError):
    """A name that maps to no code, or to more than one. `candidates` are (name, code) pairs, nearest first."""

    def __init__(
        self, name: str, candidates: list[tuple[str, str]], kind: str = "县名", ambiguous: bool = False
    ):
        self.name = name
        self.candidates = list(candidates)
        self.kind = kind
        self.ambiguous = ambiguous
        hint = "、".join(f"{n} ({c})" for n, c in self.candidates)
        if ambiguous:
            msg = f"有歧义的{kind} '{name}'：可能是 {hint}；请写全称或给出所属市州 (ambiguous place name)"
        elif hint:
            msg = f"未知的{kind} '{name}'；是否指：{hint}? (unknown place name)"
        else:
            msg = f"未知的{kind} '{name}' (unknown place name)"
        super().__init__(msg)


def normalise(name: str) -> str:
    """NFKC (full-width letters/digits/spaces → ASCII) and remove all whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


def county_short_name(full: str) -> str | None:
    """七里河区 → 七里河, 积石山保安族东乡族撒拉族自治县 → 积石山; None if the stem would be one character."""
    m = _COUNTY_SUFFIX.match(full)
    if not m:
        return None
    stem = m["stem"]
    if m["suffix"] == "自治县" and stem.endswith("族"):  # 东乡族自治县: the people's name is the place name
        stem = stem[:-1]
    return stem if len(stem) >= 2 else None


@lru_cache(maxsize=1)
def _index() -> dict:
    counties = [f["properties"] for f in counties_geojson()["features"]]
    full = {p["code"]: p["name"] for p in counties}
    county_pref = {p["code"]: p["prefecture_code"] for p in counties}
    pref_full = {p["prefecture_code"]: p["prefecture_name"] for p in counties}

    county_aliases: dict[str, set[str]] = defaultdict(set)
    for code, name in full.items():
        county_aliases[name].add(code)
        short = county_short_name(name)
        if short:
            county_aliases[short].add(code)
            if name.endswith("自治县"):
                county_aliases[short + "县"].add(code)
    for name, code in FORMER_COUNTY_NAMES.items():
        county_aliases[name].add(code)

    pref_aliases: dict[str, set[str]] = defaultdict(set)
    for code, name in pref_full.items():
        pref_aliases[name].add(code)
        m = _PREF_SUFFIX.match(name)
        if m:
            stem = m["stem"]
            pref_aliases[stem].add(code)
            pref_aliases[stem + ("州" if m["suffix"] == "自治州" else "市")].add(code)
    for name, code in FORMER_PREFECTURE_NAMES.items():
        pref_aliases[name].add(code)
    pref_aliases["甘肃省嘉峪关市"].add("620200")

    return {
        "full": full,
        "county_pref": county_pref,
        "pref_full": pref_full,
        "county": {k: sorted(v) for k, v in county_aliases.items()},
        "pref": {k: sorted(v) for k, v in pref_aliases.items()},
    }


def _nearest(
    name: str, aliases: dict[str, list[str]], label: dict[str, str], n: int = 3
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for alias in difflib.get_close_matches(name, list(aliases), n=n * 2, cutoff=0.5):
        for code in aliases[alias]:
            pair = (label[code], code)
            if pair not in out:
                out.append(pair)
    return out[:n]


def prefecture_code(name: str) -> str:
    """Code of a prefecture (市/州) from its full, short or former name, or from its code; raises UnknownPlaceName."""
    idx = _index()
    key = normalise(name)
    if key in idx["pref_full"]:
        return key
    codes = idx["pref"].get(key)
    if codes and len(codes) == 1:
        return codes[0]
    raise UnknownPlaceName(key, _nearest(key, idx["pref"], idx["pref_full"]), kind="市州名")


def _split_path(key: str, pref: str | None, idx: dict) -> tuple[str, str | None]:
    """'甘肃省兰州市七里河区' → ('七里河区', '620100'): strip a leading province and prefecture name."""
    if key in idx["full"] or key in idx["county"]:
        return key, pref
    rest = key.removeprefix("甘肃省").removeprefix("甘肃")
    for alias in sorted(idx["pref"], key=len, reverse=True):
        tail = rest[len(alias) :]
        if rest.startswith(alias) and tail in idx["county"] and len(idx["pref"][alias]) == 1:
            found = idx["pref"][alias][0]
            if pref is None or pref == found:
                return tail, found
    return (rest if rest in idx["county"] else key), pref


def county_code(name: str, prefecture: str | None = None) -> str:
    """Code of a county from its full, short or former name (or a current/former code).

    `prefecture` (a name or code, optional) narrows ambiguous names and is checked: a county that is
    not in that prefecture raises UnknownPlaceName, listing where that name does lie.
    """
    idx = _index()
    key = normalise(name)
    pref = prefecture_code(prefecture) if prefecture is not None and normalise(prefecture) else None
    key, pref = _split_path(key, pref, idx)

    if key in idx["full"]:
        codes = [key]
    elif key in FORMER_COUNTY_CODES:
        codes = [FORMER_COUNTY_CODES[key]]
    else:
        codes = idx["county"].get(key, [])
    label = idx["full"]

    if not codes:
        candidates = _nearest(key, idx["county"], label)
        if pref is not None:
            in_pref = [
                (n, c) for n, c in _nearest(key, idx["county"], label, n=10) if idx["county_pref"][c] == pref
            ]
            candidates = in_pref[:3] or candidates
        raise UnknownPlaceName(key, candidates)
    if pref is not None:
        matching = [c for c in codes if idx["county_pref"][c] == pref]
        if not matching:
            raise UnknownPlaceName(f"{key}（{idx['pref_full'][pref]}）", [(label[c], c) for c in codes])
        codes = matching
    if len(codes) > 1:
        raise UnknownPlaceName(key, [(label[c], c) for c in codes], ambiguous=True)
    return codes[0]


def canonical_county_code(code: str) -> str:
    """A county code as written in a file → current code (retired codes mapped; unknown codes raise)."""
    key = normalise(code)
    key = FORMER_COUNTY_CODES.get(key, key)
    idx = _index()
    if key not in idx["full"]:
        raise UnknownPlaceName(key, [], kind="县代码")
    return key
