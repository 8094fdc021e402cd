"""The county map's metrics, one entry each: the county_metrics column it colours, how its classes are made,
their colours and the hover value. The URL's `metric`, the map dropdown, `figures.classify` and the bench
all read this table; a metric's label is `m_<name>` in the i18n catalog.

A new metric: its entry here, its column in `queries.county_metrics`, its `m_<name>` label.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from dashboard import settings, theme
from dashboard.i18n import t


@dataclasses.dataclass(frozen=True)
class MapMetric:
    column: str  # in queries.county_metrics (completion: added by the progress rule)
    kind: str  # "bands": fixed lower edges; "years": exit years; "counts": four equal steps up to the maximum
    colors: tuple[str, ...] = ()  # one per class (counts: the palette the classes are taken from)
    edges: tuple[float, ...] = ()  # bands: lower edge of each class
    labels: Callable[[str], list[str]] | None = None  # bands: legend labels, by language
    digits: int = 1  # bands: percent digits in the hover value
    not_exited: bool = False  # years: a poverty county without a year is "not yet exited", not "no data"


def _completion_labels(lang: str) -> list[str]:
    a, g = settings.RAG_AMBER, settings.RAG_GREEN
    return ["<70%", f"70–{a:.0%}", f"{a:.0%}–{g:.0%}", f"≥{g:.0%}"]


def _incidence_labels(lang: str) -> list[str]:
    return [t("may_exit", lang), "3–10%", "10–20%", t("watch", lang)]


MAP_METRICS: dict[str, MapMetric] = {
    # progress to date (actual / expected by now): the bands of the on-track rule, plus one below 70 %
    "completion": MapMetric("completion", "bands", edges=(0, 0.7, settings.RAG_AMBER, settings.RAG_GREEN),
                            labels=_completion_labels,
                            colors=tuple(theme.COMPLETION[i] for i in (0, 2, 3, 5))),
    "remaining": MapMetric("remaining_people", "counts", colors=tuple(theme.SEQ_BLUE)),
    "incidence": MapMetric("incidence", "bands",
                           edges=(0, settings.INCIDENCE_EXIT, 0.10, settings.INCIDENCE_WATCH_COUNTY),
                           labels=_incidence_labels, digits=2,
                           colors=tuple(theme.SEQ_ORANGE[i] for i in (0, 1, 3, 4))),
    "planned_year": MapMetric("planned_exit_year", "years"),
    "actual_year": MapMetric("actual_exit_year", "years", not_exited=True),
    "gap": MapMetric("gap_people", "counts", colors=tuple(theme.SEQ_ORANGE)),
    "returned": MapMetric("returned_people", "counts", colors=tuple(theme.SEQ_ORANGE)),
}
METRICS = tuple(MAP_METRICS)
