"""PNG charts of the probability of a deal converting: over one call's turns, and over a deal's calls.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state), so
charts can be drawn from several threads at once.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime
from typing import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from salesrl.agent.coach import swing_moments
from salesrl.agent.head import range_text
from salesrl.agent.types import ScoreResult

_SIZE = (8.0, 3.6)  # inches
_DPI = 100
_LINE = "#1264a3"  # Slack blue
_BAND = "#1264a3"
_REP = "#2bac76"
_PROSPECT = "#e8912d"
_OTHER = "#868686"
_UP = "#2bac76"
_DOWN = "#e01e5a"


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0%", "25%", "50%", "75%", "100%"])
    ax.axhline(0.5, color="#bbbbbb", linewidth=0.8, linestyle="--", zorder=1)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.6, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _png(fig: Figure, bottom: float = 0.14) -> bytes:
    buf = io.BytesIO()
    # fixed margins: tight_layout would draw the figure twice
    fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=bottom)
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def render_curve_png(result: ScoreResult) -> bytes:
    """The probability after each turn, its uncertainty band, and the swing moments marked."""
    return _png(curve_figure(result))


def curve_figure(result: ScoreResult) -> Figure:
    """The figure render_curve_png draws."""
    points = result.points
    if not points:
        raise ValueError("a result without turns has no curve")
    fig, ax = _figure()
    xs = [p.index + 1 for p in points]
    ps = [p.probability for p in points]
    lows = [max(0.0, p.probability - p.uncertainty) for p in points]
    highs = [min(1.0, p.probability + p.uncertainty) for p in points]
    ax.fill_between(xs, lows, highs, color=_BAND, alpha=0.15, linewidth=0, zorder=2, label="80% range")
    ax.plot(xs, ps, color=_LINE, linewidth=2.0, zorder=3, label="P(deal converts)")
    colors = [_REP if p.role == "rep" else _PROSPECT if p.role == "prospect" else _OTHER for p in points]
    if len(points) <= 200:
        ax.scatter(xs, ps, c=colors, s=14, zorder=4, linewidths=0)
    for point, delta in swing_moments(points):
        x = point.index + 1
        ax.annotate(
            f"{delta:+.0%}".replace("%", " pts"),
            xy=(x, point.probability),
            # above a rise, below a fall, unless that would put the label outside the axes
            xytext=(0, 14 if (delta > 0 and point.probability < 0.9) or point.probability < 0.12 else -18),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=_UP if delta > 0 else _DOWN,
            arrowprops={"arrowstyle": "-", "color": _UP if delta > 0 else _DOWN, "linewidth": 0.8},
            zorder=5,
        )
    if result.ended is not None:  # the finished call's own view of its last turn (ScoreResult.ended), drawn apart
        end = result.ended
        ax.errorbar([xs[-1]], [end.probability], fmt="D", markersize=6, markerfacecolor="white", color=_LINE,
                    yerr=[[end.probability - max(0.0, end.probability - end.uncertainty)],
                          [min(1.0, end.probability + end.uncertainty) - end.probability]],
                    capsize=3, linewidth=1.0, zorder=6)
    ax.set_xlim(0.5, max(len(points), 2) + 0.5)
    ax.set_xlabel("turn")
    ax.set_ylabel("P(deal converts)")
    final = result.final
    likely = range_text(final.probability, final.uncertainty)
    ax.set_title(f"Final {final.probability:.0%} (80% range {likely}) — {result.status}",
                 fontsize=10, loc="left")
    if len(points) <= 200:  # the legend explains the dots, drawn only while they can be told apart
        handles = [
            ax.scatter([], [], c=_REP, s=14, label="rep turn"),
            ax.scatter([], [], c=_PROSPECT, s=14, label="prospect turn"),
        ]
        if result.ended is not None:
            handles.append(ax.scatter([], [], marker="D", s=30, facecolors="white", edgecolors=_LINE,
                                      label="call over"))
        ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=7, frameon=False)
    return fig


def render_deal_chart_png(points: Sequence[tuple[str, float]]) -> bytes:
    """A deal over time: the final probability of each call, labelled (e.g. with the call's date)."""
    if not points:
        raise ValueError("a deal without calls has no chart")
    fig, ax = _figure()
    xs = list(range(1, len(points) + 1))
    ps = [float(p) for _, p in points]
    ax.plot(xs, ps, color=_LINE, linewidth=2.0, marker="o", markersize=5, zorder=3)
    for x, p in zip(xs, ps):
        ax.annotate(f"{p:.0%}", xy=(x, p), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=8)
    step = max(1, len(points) // 12)
    ax.set_xticks(xs[::step])
    ax.set_xticklabels([label for label, _ in points][::step], fontsize=8, rotation=30, ha="right")
    ax.set_xlim(0.5, len(points) + 0.5)
    ax.set_ylabel("P(deal converts)")
    ax.set_title(f"{len(points)} call{'s' if len(points) != 1 else ''} — latest {ps[-1]:.0%}", fontsize=10, loc="left")
    return _png(fig, bottom=0.2)


def render_one_call_deal_png(probabilities: Sequence[float], roles: Sequence[str], when: str) -> bytes:
    """A deal with one call: a single dot says nothing, so the chart is that call's turn by turn curve."""
    if not probabilities:
        raise ValueError("a call without turns has no curve")
    fig, ax = _figure()
    xs = list(range(1, len(probabilities) + 1))
    ax.plot(xs, probabilities, color=_LINE, linewidth=2.0, zorder=3)
    if len(xs) <= 200:
        colors = [_REP if r == "rep" else _PROSPECT if r == "prospect" else _OTHER for r in roles]
        ax.scatter(xs, probabilities, c=colors, s=14, zorder=4, linewidths=0)
    ax.set_xlim(0.5, max(len(xs), 2) + 0.5)
    ax.set_xlabel("turn")
    ax.set_ylabel("P(deal converts)")
    ax.set_title(f"1 call ({when}), turn by turn — latest {probabilities[-1]:.0%}", fontsize=10, loc="left")
    return _png(fig)


def call_labels(times: Sequence[datetime]) -> list[str]:
    """The x labels of a deal's calls: the date ("Dec 06"), with the time where a day has several calls."""
    days = Counter(t.date() for t in times)
    return [t.strftime("%b %d %H:%M") if days[t.date()] > 1 else t.strftime("%b %d") for t in times]
