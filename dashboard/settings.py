"""Business settings of the dashboard (one place): plan years, the on-track thresholds, the default seasonal
profile and the poverty-incidence marks. Read from the environment with defaults. The plan years and the 3 %
exit standard are also what the ETL builds its marts with, so they come from etl.paths."""

import os

from etl.paths import INCIDENCE_EXIT, PLAN_START_YEAR, PLAN_YEARS

BEFORE_PLAN = PLAN_START_YEAR - 1  # the schedule's "before 2018" row
SCHEDULE_YEARS = (BEFORE_PLAN, *PLAN_YEARS)
# Expected cumulative share of a year's people target by the end of Q1..Q4, used for a year whose
# previous year has no quarterly exit profile (2018). Override: GANSU_DEFAULT_PROFILE="0.05,0.15,0.30,1".
DEFAULT_QUARTER_PROFILE = tuple(
    float(x) for x in os.environ.get("GANSU_DEFAULT_PROFILE", "0.05,0.15,0.30,1.0").split(",")
)
# On-track status: green at >= RAG_GREEN of the expected-to-date, amber at >= RAG_AMBER, red below.
RAG_GREEN = float(os.environ.get("GANSU_RAG_GREEN", "1.0"))
RAG_AMBER = float(os.environ.get("GANSU_RAG_AMBER", "0.85"))
# Poverty-incidence marks: exit standard (INCIDENCE_EXIT) and the county / village deep-tracking thresholds.
INCIDENCE_WATCH_COUNTY = 0.20
INCIDENCE_WATCH_VILLAGE = 0.30

__all__ = ["MAP_REVIEW_NO", "BEFORE_PLAN", "DEFAULT_QUARTER_PROFILE", "INCIDENCE_EXIT", "INCIDENCE_WATCH_COUNTY",
           "INCIDENCE_WATCH_VILLAGE", "PLAN_START_YEAR", "PLAN_YEARS", "RAG_AMBER", "RAG_GREEN", "SCHEDULE_YEARS",
           "TARGET_NOW_ON_TRACK", "TARGET_PACE_LIMITED", "TARGET_PACE_ON_TRACK", "TARGET_RECENT_DAYS"]

# Plan targets (dashboard.targets): on track now at >= TARGET_NOW_ON_TRACK of the progress expected by the as-of
# date; at the deadline, recent pace / pace needed: on track >= TARGET_PACE_ON_TRACK, needs acceleration >=
# TARGET_PACE_LIMITED, limited >= 0, regressing below; the recent pace spans TARGET_RECENT_DAYS.
TARGET_NOW_ON_TRACK = float(os.environ.get("GANSU_TARGET_NOW_ON_TRACK", "0.95"))
TARGET_PACE_ON_TRACK = float(os.environ.get("GANSU_TARGET_PACE_ON_TRACK", "0.95"))
TARGET_PACE_LIMITED = float(os.environ.get("GANSU_TARGET_PACE_LIMITED", "0.60"))
TARGET_RECENT_DAYS = int(os.environ.get("GANSU_TARGET_RECENT_DAYS", "365"))

# The map review number (审图号) printed on every exported map; unset: the map says it is for internal use only.
MAP_REVIEW_NO = os.environ.get("GANSU_MAP_REVIEW_NO", "").strip()
