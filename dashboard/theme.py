"""Colours (colour-blind safe: Okabe–Ito / ColorBrewer), RAG colours, fonts and figure defaults."""

import plotly.io as pio

from dashboard.settings import SCHEDULE_YEARS

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

# Okabe–Ito
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILION = "#D55E00"
GREEN = "#009E73"
YELLOW = "#F0E442"
PURPLE = "#CC79A7"
BLACK = "#000000"
GREY = "#BBBBBB"
LIGHT_GREY = "#E6E6E6"
NO_DATA = "#FFFFFF"  # drawn with a hatched-looking dark outline and named "no data" in the legend
INK = "#1F2933"

PLAN = "#A6C8E0"  # light blue: plan
ACTUAL = BLUE  # dark blue: actual
PROJECTION = ORANGE  # projection at current pace (dashed / hatched)

# Progress to date (completion = actual / expected): ONE scheme wherever it is shown (map, ranking, meeting, exports),
# classes <70 %, 70–85 %, 85–100 %, ≥100 % (dashboard.metrics): orange (behind) → yellow (nearly) → blue (on
# track), ColorBrewer PuOr / Set2 / RdBu, apart for deuteranopes, protanopes and tritanopes (never red against green).
PROGRESS = ("#B35806", "#F1A340", "#FFD92F", "#2166AC")
# The on-track status as fills: the same scheme (also carry a text label + symbol)
RAG = {"green": PROGRESS[3], "amber": PROGRESS[2], "red": PROGRESS[0], "year_end": "#8C8C8C", "none": "#BBBBBB"}
# the same statuses as text on white cards: each at least 4.5:1 (WCAG AA), the fills above are for shapes only
RAG_TEXT = {"green": "#137A3F", "amber": "#8A5300", "red": "#B2182B", "year_end": "#666666", "none": "#6E6E6E"}
RAG_SYMBOL = {"green": "●", "amber": "▲", "red": "■", "year_end": "◆", "none": "○"}

# sequential (light → dark) for counts/ratios; diverging end for "bad"
SEQ_BLUE = ["#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C"]
SEQ_ORANGE = ["#FEEDDE", "#FDBE85", "#FD8D3C", "#E6550D", "#A63603"]
YEARS = dict(zip(SCHEDULE_YEARS, ("#D8DAEB", "#9E9AC8", "#6A51A3", "#3F007D"), strict=True))  # before 2018, plan years
STATUS = {"exited": GREEN, "behind": VERMILION, "on_plan": SKY}

TRACE_TYPES = ("bar", "scatter", "choropleth", "scattergeo")  # all the app draws (see figures.py)


def _template() -> dict:
    """plotly's default look, cut to what these trace types and 2-D/geo axes use: the whole template was
    6.5 KB of every 8.4 KB figure sent to the browser."""
    full = pio.templates["plotly"].to_plotly_json()
    keep = ("annotationdefaults", "autotypenumbers", "colorway", "font", "geo", "hoverlabel", "hovermode",
            "paper_bgcolor", "plot_bgcolor", "shapedefaults", "title", "xaxis", "yaxis")
    return {"layout": {k: v for k, v in full["layout"].items() if k in keep},
            "data": {k: full["data"][k] for k in TRACE_TYPES}}


TEMPLATE = _template()

BASE_LAYOUT = dict(
    template=TEMPLATE,
    font=dict(family=FONT, size=15, color=INK),
    paper_bgcolor="white",
    plot_bgcolor="white",
    margin=dict(l=60, r=20, t=70, b=50),
    hoverlabel=dict(font=dict(family=FONT, size=14)),
    legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
)
