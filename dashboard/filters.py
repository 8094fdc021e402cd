"""The view state: URL query ⇄ Filters ⇄ SQL parameters, title and export file name (one object).

`Filters.parse(query)` never raises: an invalid parameter falls back to its default and is reported in
`notices` so the page can say what was reset. `to_search()` gives back a query string that parses to
the same Filters (the URL is the state).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, urlencode

from dashboard.i18n import LANGS, t
from dashboard.metrics import METRICS
from dashboard.quarter import QUARTER_PATTERN, Quarter
from etl import contract

PATHWAYS = tuple(key for _, key, _ in contract.PATHWAYS)
HOUSEHOLD_PATHWAYS = tuple(key for _, key, ind in contract.PATHWAYS if ind.endswith("_households"))  # in households
LEVELS = ("people", "villages", "counties")
CTYPES = contract.POVERTY_TYPES
DEEP = (*contract.DEEP_POVERTY_TYPES, "any")
VIEWS = ("annual", "cumulative")
_CODE6 = re.compile(r"^\d{6}$")


@dataclasses.dataclass(frozen=True)
class Filters:
    prefecture: str | None = None  # 6-digit prefecture code
    county: str | None = None  # 6-digit county code
    ctype: str | None = None  # 片区 | 插花
    deep: str | None = None  # 两州一县 | 省定 | any
    pathway: str = "all"
    as_of: Quarter | None = None  # the snapshot quarter (URL as_of=2019Q2; a label is accepted); None = latest
    level: str = "people"
    metric: str = "completion"
    view: str = "annual"
    lang: str = "zh"
    notices: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    def __post_init__(self):
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", Quarter.parse(self.as_of))

    # ---- URL ----
    @classmethod
    def parse(
        cls,
        query: Mapping[str, object] | str | None,
        *,
        prefectures: Iterable[str] | None = None,
        counties: Iterable[str] | None = None,
        quarters: Iterable[str] | None = None,
    ) -> Filters:
        """Query dict (values str or list) or query string → Filters. Known codes/quarters are checked
        when given; anything invalid becomes the default and is listed in `notices`."""
        if query is None:
            query = {}
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=True)
        q = {}
        for k, v in query.items():
            if isinstance(v, (list, tuple)):
                v = v[-1] if v else ""
            q[k] = str(v).strip() if v is not None else ""
        bad: list[str] = []

        def pick(name, allowed=None, pattern=None, known=None, default=None):
            v = q.get(name, "")
            if v == "" or v == "all" and name != "pathway":
                return default
            ok = (allowed is None or v in allowed) and (pattern is None or pattern.match(v))
            if ok and known is not None:
                ok = v in set(known)
            if not ok:
                bad.append(f"{name}={v}")
                return default
            return v

        lang = pick("lang", LANGS, default="zh")
        f = cls(
            prefecture=pick("prefecture", pattern=_CODE6, known=prefectures),
            county=pick("county", pattern=_CODE6, known=counties),
            ctype=pick("ctype", CTYPES),
            deep=pick("deep", DEEP),
            pathway=pick("pathway", ("all",) + PATHWAYS, default="all"),
            as_of=pick("as_of", pattern=QUARTER_PATTERN, known=quarters),
            level=pick("level", LEVELS, default="people"),
            metric=pick("metric", METRICS, default="completion"),
            view=pick("view", VIEWS, default="annual"),
            lang=lang,
        )
        if bad:
            f = dataclasses.replace(f, notices=(t("notice_invalid", lang) + ", ".join(bad),))
        return f

    def to_query(self) -> dict[str, str]:
        """Only the non-default parameters, in a stable order."""
        d = {}
        for name, attr, default in (
            ("prefecture", self.prefecture, None),
            ("county", self.county, None),
            ("ctype", self.ctype, None),
            ("deep", self.deep, None),
            ("pathway", self.pathway, "all"),
            ("as_of", self.as_of and self.as_of.label, None),
            ("level", self.level, "people"),
            ("metric", self.metric, "completion"),
            ("view", self.view, "annual"),
            ("lang", self.lang, "zh"),
        ):
            if attr is not None and attr != default:
                d[name] = attr
        return d

    def to_search(self, **override) -> str:
        f = self.replace(**override) if override else self
        qs = urlencode(f.to_query())
        return f"?{qs}" if qs else ""

    def data_only(self) -> Filters:
        """The same selection without what only changes how it is shown (language, map metric, view)."""
        return self.replace(lang="zh", metric="completion", view="annual")

    def replace(self, **kw) -> Filters:
        kw.setdefault("notices", ())
        return dataclasses.replace(self, **kw)

    # ---- SQL ----
    @property
    def year(self) -> int | None:
        return self.as_of.year if self.as_of else None

    @property
    def as_of_date(self) -> str | None:
        return self.as_of.end if self.as_of else None

    def sql_params(self, scope: Iterable[str]) -> dict:
        """Named parameters for the county-selection CTE in dashboard.queries (scope = county codes the
        viewer may see)."""
        return {
            "scope": sorted(scope),
            "prefecture": self.prefecture,
            "county": self.county,
            "ctype": self.ctype,
            "deep": self.deep,
        }

    # ---- words ----
    def place_parts(self, names: Mapping[str, str]) -> list[str]:
        parts = []
        if self.county:
            parts.append(names.get(self.county, self.county))
        elif self.prefecture:
            parts.append(names.get(self.prefecture, self.prefecture))
        else:
            parts.append(t("province", self.lang))
        if self.ctype:
            parts.append(t(f"ctype_{self.ctype}", self.lang))
        if self.deep:
            parts.append(t(f"deep_{self.deep}", self.lang))
        return parts

    def title(self, measure: str, names: Mapping[str, str] | None = None, *, year: int | None = None) -> str:
        """'临夏州 · 2019年 · 脱贫人口' – scope · period · measure (measure = a catalog key or text)."""
        names = names or {}
        y = year or self.year
        parts = self.place_parts(names)
        if y:
            parts.append(t("year_fmt", self.lang, year=y))
        parts.append(t(measure, self.lang))
        if self.pathway != "all":
            parts.append(t(f"pw_{self.pathway}", self.lang))
        return " · ".join(parts)

    def filename(self, measure: str, names: Mapping[str, str] | None = None, ext: str = "csv") -> str:
        names = names or {}
        parts = self.place_parts(names)
        parts.append(self.as_of.label if self.as_of else "latest")
        parts.append(t(measure, self.lang))
        if self.pathway != "all":
            parts.append(t(f"pw_{self.pathway}", self.lang))
        stem = "_".join(parts)
        stem = re.sub(r'[\\/:*?"<>|\s·]+', "_", stem).strip("_")
        return f"{stem}.{ext}"
