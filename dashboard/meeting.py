"""Meeting mode, pure logic: URL parameters, the slide sequence, navigation, themes and contrast.

No Dash, no I/O. The page (dashboard/pages/meeting.py) shows `deck()` (the meeting's order: headline, who is
behind, map, the rest); the PPTX report (dashboard/pptx_report.py) builds its slides from `sequence()`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlencode

from dashboard import theme
from dashboard.filters import Filters
from dashboard.quarter import Quarter

PROVINCE = "620000"
INTERVAL_DEFAULT, INTERVAL_MIN, INTERVAL_MAX = 15, 5, 600
# Slide kinds of the meeting deck; each can have its own interval (URL interval_<kind>=seconds), a map needs
# longer than a number: by default the map and the lists behind stay this many times the base interval.
KINDS = ("overview", "behind", "villages", "map", "unit")
KIND_FACTOR = {"map": 2.0, "behind": 1.5, "villages": 1.5}
ROWS_PER_PAGE = 8  # rows of a "who is behind" slide (fits 1280×720)
_CODE6 = re.compile(r"^\d{6}$")

# Colours of the two themes. Text/background pairs are checked for contrast ≥ 7:1 (WCAG AAA) in the tests.
THEMES: dict[str, dict[str, str]] = {
    "dark": {"bg": "#0B1220", "panel": "#111B2E", "text": "#F5F7FA", "muted": "#C9D2DE", "accent": "#7CC4FF",
             "good": "#7FE0A8", "warn": "#FFD27A", "bad": "#FF9E9E", "demo_bg": "#FFD27A", "demo_text": "#0B1220"},
    "light": {"bg": "#FFFFFF", "panel": "#F3F5F8", "text": "#0B1220", "muted": "#2E3A4B", "accent": "#004F8C",
              "good": "#0B5E33", "warn": "#6B4500", "bad": "#8E0E1E", "demo_bg": "#8E0E1E", "demo_text": "#FFFFFF"},
}
# The map's completion classes (<70 %, 70–85 %, 85–100 %, ≥100 %): the dashboard's one scheme (theme.PROGRESS), then
# "no data" and "not a poverty county" per theme, the non-poverty grey recessive against the background.
# tests/test_meeting_layout.py checks the colour differences numerically.
MAP_CLASSES: dict[str, list[str]] = {
    "dark": [*theme.PROGRESS, "#FFFFFF", "#3B4454"],
    "light": [*theme.PROGRESS, "#6B6B6B", "#D4D4D4"],
}
# (foreground, background) pairs that carry text on screen
TEXT_PAIRS = [("text", "bg"), ("muted", "bg"), ("text", "panel"), ("muted", "panel"), ("accent", "bg"),
              ("accent", "panel"), ("good", "panel"), ("warn", "panel"), ("bad", "panel"), ("good", "bg"),
              ("warn", "bg"), ("bad", "bg"), ("demo_text", "demo_bg")]


@dataclasses.dataclass(frozen=True)
class Params:
    """The meeting's URL: the place shown (URL `scope`), slide interval, theme, and the dashboard's Filters for the
    frozen snapshot (`as_of`) and the language."""

    place: str = PROVINCE  # 620000, a prefecture code or a county code
    interval: int = INTERVAL_DEFAULT  # seconds per slide
    theme: str = "dark"
    filters: Filters = Filters()  # as_of: the frozen snapshot (None = latest at page open); lang
    intervals: tuple[tuple[str, int], ...] = ()  # per slide kind, when set in the URL (interval_map=40)

    @classmethod
    def parse(cls, query: Mapping[str, object] | str | None, *, quarters: Sequence[str] | None = None,
              codes: Sequence[str] | None = None) -> Params:
        """URL query (dict or string) → Params; anything invalid falls back to the default (never raises).
        Links from before the as_of name (`quarter=2019Q2`) still open their quarter."""
        if isinstance(query, str):
            query = parse_qs(query.lstrip("?"), keep_blank_values=True)
        q = {}
        for k, v in (query or {}).items():
            if isinstance(v, (list, tuple)):
                v = v[-1] if v else ""
            q[k] = "" if v is None else str(v).strip()
        place = q.get("scope", "")
        if not _CODE6.match(place) or (codes is not None and place != PROVINCE and place not in set(codes)):
            place = PROVINCE
        try:
            interval = int(float(q.get("interval", INTERVAL_DEFAULT)))
        except ValueError:
            interval = INTERVAL_DEFAULT
        interval = min(max(interval, INTERVAL_MIN), INTERVAL_MAX)
        per_kind = []
        for kind in KINDS:
            try:
                v = int(float(q.get(f"interval_{kind}", "")))
            except ValueError:
                continue
            per_kind.append((kind, min(max(v, INTERVAL_MIN), INTERVAL_MAX)))
        theme = q.get("theme") if q.get("theme") in THEMES else "dark"
        as_of = q.get("as_of") or q.get("quarter") or ""
        f = Filters.parse({"as_of": as_of, "lang": q.get("lang", "")}, quarters=quarters)
        if f.as_of is None and quarters:
            f = f.replace(as_of=list(quarters)[-1])
        return cls(place=place, interval=interval, theme=theme, filters=f.replace(notices=()),
                   intervals=tuple(per_kind))

    def seconds(self, kind: str) -> int:
        """How long a slide of `kind` stays: its URL interval, else the base interval times KIND_FACTOR."""
        own = dict(self.intervals).get(kind)
        if own is not None:
            return own
        return min(round(self.interval * KIND_FACTOR.get(kind, 1.0)), INTERVAL_MAX)

    @property
    def as_of(self) -> Quarter | None:
        return self.filters.as_of

    @property
    def lang(self) -> str:
        return self.filters.lang

    def to_search(self, **override) -> str:
        p = dataclasses.replace(self, **override) if override else self
        d = {"scope": p.place, "interval": p.interval, "theme": p.theme}
        d.update({f"interval_{k}": v for k, v in p.intervals})
        if p.as_of:
            d["as_of"] = p.as_of.label
        d["lang"] = p.lang
        return "?" + urlencode(d)


def place_level(code: str) -> str:
    if code == PROVINCE:
        return "province"
    return "prefecture" if code.endswith("00") else "county"


@dataclasses.dataclass(frozen=True)
class Slide:
    kind: str  # overview | behind (counties) | villages | map | unit
    code: str  # the scope of the slide (province, prefecture or county code)
    page: int = 0  # behind / villages: which page of the list
    pages: int = 1


def pages(n: int, per_page: int = ROWS_PER_PAGE) -> int:
    return max(1, -(-n // per_page))


def deck(place: str, children: Sequence[str], counties_behind: int, villages_behind: int,
         per_page: int = ROWS_PER_PAGE) -> list[Slide]:
    """The meeting's order: the headline, then who is behind (every county, then every village, paged), then
    the county map, then each sub-unit. A county: headline → its villages behind."""
    out = [Slide("overview", place)]
    if place_level(place) != "county":
        n = pages(counties_behind, per_page)
        out += [Slide("behind", place, i, n) for i in range(n)]
    n = pages(villages_behind, per_page) if villages_behind else (1 if place_level(place) == "county" else 0)
    out += [Slide("villages", place, i, n) for i in range(n)]
    if place_level(place) != "county":
        out.append(Slide("map", place))
        out += [Slide("unit", c) for c in children]
    return out


def page_label(sl: Slide) -> str:
    return f"{sl.page + 1}/{sl.pages}"


def sequence(place: str, children: Sequence[str]) -> list[Slide]:
    """Province: overview → county map → each prefecture in turn → behind schedule.
    Prefecture: overview → county map → each county in turn → behind schedule.
    County: overview → behind schedule (villages). `children` = sub-unit codes in display order."""
    lvl = place_level(place)
    if lvl == "county":
        return [Slide("overview", place), Slide("behind", place)]
    return ([Slide("overview", place), Slide("map", place)] + [Slide("unit", c) for c in children]
            + [Slide("behind", place)])


def step(index: int, n: int, action: str) -> int:
    """Next index for 'next' / 'prev' (wrapping), or the same index."""
    if n <= 0:
        return 0
    if action == "next":
        return (index + 1) % n
    if action == "prev":
        return (index - 1) % n
    return index % n


def counter(index: int, n: int) -> str:
    return f"{index + 1} / {n}"


# ---------------------------------------------------------------- contrast (WCAG 2.x)
def _lin(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * _lin(r) + 0.7152 * _lin(g) + 0.0722 * _lin(b)


def contrast_ratio(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)
