"""The county map's metrics, one entry each: the county_metrics column it colours, how its classes are made,
their colours and the hover value. The URL's `metric`, the map dropdown, `figures.classify` and the bench
all read this table; a metric's label is `m_<name>` in the i18n catalog.

A new metric: its entry here, its column in `queries.county_metrics`, its `m_<name>` label.

The map follows the dashboard's level (`for_level`): a metric with a village measure shows it on
`level=villages` (label `m_<name>_villages`); on `level=counties` the progress metrics show the counties' exits.
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
    unit: str = "people"  # counts: the unit of the hover value


def _completion_labels(lang: str) -> list[str]:
    a, g = settings.RAG_AMBER, settings.RAG_GREEN
    return ["<70%", f"70–{a:.0%}", f"{a:.0%}–{g:.0%}", f"≥{g:.0%}"]


def _incidence_labels(lang: str) -> list[str]:
    return [t("may_exit", lang), "3–10%", "10–20%", t("watch", lang)]


MAP_METRICS: dict[str, MapMetric] = {
    # progress to date (actual / expected by now): the bands of the on-track rule, plus one below 70 %
    "completion": MapMetric("completion", "bands", edges=(0, 0.7, settings.RAG_AMBER, settings.RAG_GREEN),
                            labels=_completion_labels,
                            colors=theme.PROGRESS),
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

# the village measure of a metric (column added by charts for completion, queried for the others)
_VILLAGE_COLUMNS = {"completion": "completion_villages", "remaining": "remaining_villages", "gap": "gap_villages"}
_COUNTY_LEVEL = "actual_year"  # the counties' level: which counties have exited (or not yet)


def for_level(metric: str, level: str) -> tuple[str, MapMetric]:
    """(label key, metric) the map shows for `metric` at the dashboard's `level`."""
    if level == "villages" and metric in _VILLAGE_COLUMNS:
        m = MAP_METRICS[metric]
        return f"m_{metric}_villages", dataclasses.replace(m, column=_VILLAGE_COLUMNS[metric], unit="villages")
    if level == "counties" and metric in _VILLAGE_COLUMNS:
        return f"m_{_COUNTY_LEVEL}", MAP_METRICS[_COUNTY_LEVEL]
    return f"m_{metric}", MAP_METRICS[metric]


def progress_class(completion) -> int | None:
    """Class of a completion value in the completion metric's bands (None without a value): what the map, the
    ranking and the meeting colour it with (theme.PROGRESS)."""
    if completion is None or completion != completion:
        return None
    edges = MAP_METRICS["completion"].edges
    return max(i for i, e in enumerate(edges) if completion >= e or i == 0)


def progress_colour(completion) -> str:
    i = progress_class(completion)
    return theme.RAG["none"] if i is None else theme.PROGRESS[i]
