"""A drift report as a standalone HTML page: a summary, a table, and a chart per feature.

The charts are inline SVG drawn from the counts stored with the report (reference and
current share of values per bin), so the page needs no script, no CDN and no network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2

from predledger.drift.schemas import DriftReportPublic, FeatureDriftPublic

COLORS = {"reference": "#7b93db", "current": "#f0883e"}
CHART_HEIGHT = 240
PLOT_TOP = 10
PLOT_HEIGHT = 150
LEFT = 40
MAX_WIDTH = 580


@dataclass(frozen=True)
class _Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class _Tick:
    y: float
    label: str


@dataclass(frozen=True)
class _Chart:
    feature: FeatureDriftPublic
    width: float
    height: float
    left: float
    bars: list[_Bar]
    labels: list[_Text]
    ticks: list[_Tick]


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.3e}"
    return f"{value:.4f}"


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    source = files("predledger.drift").joinpath("templates/drift_report.html").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(source)


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def _chart(feature: FeatureDriftPublic) -> _Chart:
    chart = feature.chart
    if chart is None or not chart.labels:
        return _Chart(feature, 0, 0, LEFT, [], [], [])
    reference, current = _shares(chart.reference), _shares(chart.current)
    top = max([*reference, *current, 0.01])
    scale = PLOT_HEIGHT / top
    slot = max(14.0, min(60.0, (MAX_WIDTH - LEFT) / len(chart.labels)))
    width = LEFT + slot * len(chart.labels) + 10
    bars, labels = [], []
    baseline = PLOT_TOP + PLOT_HEIGHT
    for i, label in enumerate(chart.labels):
        x = LEFT + i * slot + slot * 0.1
        bar_width = slot * 0.4
        for offset, side, shares, counts in (
            (0.0, "reference", reference, chart.reference),
            (bar_width, "current", current, chart.current),
        ):
            height = shares[i] * scale
            title = f"{label}: {side} {shares[i]:.1%} ({counts[i]} values)"
            bars.append(_Bar(x + offset, baseline - height, bar_width, height, COLORS[side], title))
        labels.append(_Text(x + bar_width, baseline + 12, label[:18]))
    steps = 4
    ticks = [
        _Tick(baseline - PLOT_HEIGHT * k / steps, f"{top * k / steps:.0%}")
        for k in range(steps + 1)
    ]
    return _Chart(feature, math.ceil(width), CHART_HEIGHT, LEFT, bars, labels, ticks)


def render_drift_report_html(report: DriftReportPublic) -> str:
    """Return the report as a complete HTML page (charts included; nothing to fetch).

    Args:
        report: a stored report, with its charts' counts (``get_drift_report`` keeps them).

    Returns:
        The page's HTML text.
    """
    return _template().render(
        report=report,
        charts=[_chart(f) for f in report.features],
        colors=COLORS,
        fmt=_format,
    )


def write_drift_report_html(report: DriftReportPublic, path: str | Path) -> Path:
    """Write the report's HTML page to ``path`` (folders are created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_drift_report_html(report), encoding="utf-8")
    return target
