"""Chart figures as plain data (plotly.js's JSON: ``{"data": [...], "layout": {...}}``).

Pages embed these in a ``<script type="application/json">`` and ``dashboard.js`` draws
them, so no chart needs server-side rendering or inline scripts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

Figure = dict[str, Any]
Trace = dict[str, Any]
# plotly's default colours, named so two traces of one version can share theirs.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def color(index: int) -> str:
    """The ``index``-th colour of the palette (it repeats)."""
    return PALETTE[index % len(PALETTE)]


def _time(moment: datetime) -> str:
    return moment.isoformat()


def line(
    name: str,
    xs: Sequence[datetime],
    ys: Sequence[float | None],
    *,
    dash: str | None = None,
    colour: str | None = None,
) -> Trace:
    """A line with markers over time; ``None`` values leave gaps."""
    trace: Trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": [_time(x) for x in xs],
        "y": list(ys),
        "marker": {"size": 4},
        "line": {"width": 2},
    }
    if dash is not None:
        trace["line"]["dash"] = dash
    if colour is not None:
        trace["line"]["color"] = trace["marker"]["color"] = colour
    return trace


def bars(
    name: str, categories: Sequence[str], values: Sequence[float], *, colour: str | None = None
) -> Trace:
    """One series of bars."""
    trace: Trace = {"type": "bar", "name": name, "x": list(categories), "y": list(values)}
    if colour is not None:
        trace["marker"] = {"color": colour}
    return trace


def figure(
    traces: Sequence[Trace],
    *,
    y_title: str | None = None,
    percent: bool = False,
    barmode: str | None = None,
    time_axis: bool = True,
    span: tuple[datetime, datetime] | None = None,
    extra_layout: Mapping[str, Any] | None = None,
) -> Figure:
    """A figure with the dashboard's look: tight margins, legend below, no toolbar clutter.

    ``span`` fixes a time axis to the range the page shows: with a single point (a new
    service's first hour), plotly would otherwise stretch a millisecond across the chart.
    """
    yaxis: dict[str, Any] = {"rangemode": "tozero", "automargin": True, "gridcolor": "#e5e7eb"}
    if y_title:
        yaxis["title"] = {"text": y_title}
    if percent:
        yaxis["tickformat"] = ".0%"
    layout: dict[str, Any] = {
        "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
        "height": 260,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.22},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "xaxis": {"automargin": True, "type": "date" if time_axis else "category"},
        "yaxis": yaxis,
    }
    if time_axis:
        # Level labels and few of them: on a phone, plotly would tilt them over the legend.
        layout["xaxis"].update(tickangle=0, nticks=6)
    if span is not None:
        layout["xaxis"]["range"] = [_time(span[0]), _time(span[1])]
    if barmode is not None:
        layout["barmode"] = barmode
    layout.update(extra_layout or {})
    return {"data": list(traces), "layout": layout}
