"""The digest's PNG: the open pipeline's probability distribution (left) and the period's biggest
movers (right). matplotlib's object API on the Agg canvas, like bot.chart: no pyplot, no global
state, safe from any thread."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from salesrl.bot.digest.content import DigestContent

_SIZE = (10.0, 4.0)  # inches
_DPI = 100
_BARS = "#1264a3"
_UP = "#2bac76"
_DOWN = "#e01e5a"
_BINS = 10
_NAME_CHARS = 22


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"


def render_digest_chart_png(content: DigestContent) -> bytes:
    fig = Figure(figsize=_SIZE, dpi=_DPI)
    FigureCanvasAgg(fig)
    dist, moves = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.2]})

    counts = [0] * _BINS
    for p in content.probabilities:
        counts[min(_BINS - 1, max(0, int(p * _BINS)))] += 1
    lefts = [i / _BINS for i in range(_BINS)]
    colors = [_DOWN if left + 1 / _BINS <= content.at_risk_below + 1e-9 else _BARS for left in lefts]
    dist.bar(lefts, counts, width=1 / _BINS, align="edge", color=colors, edgecolor="white", linewidth=0.8)
    dist.axvline(content.at_risk_below, color="#888888", linewidth=0.8, linestyle="--")
    dist.yaxis.set_major_locator(MaxNLocator(integer=True))
    dist.set_xlim(0.0, 1.0)
    dist.set_xticks([0.0, 0.25, 0.5, 0.75, 1.0])
    dist.set_xticklabels(["0%", "25%", "50%", "75%", "100%"])
    dist.set_xlabel("P(deal converts), latest")
    dist.set_ylabel("open deals")
    dist.set_title(f"Open pipeline: {len(content.probabilities)} scored deals, "
                   f"{content.at_risk_count} below {content.at_risk_below:.0%}", fontsize=10, loc="left")

    shown = list(content.movers_up) + list(content.movers_down)[::-1]
    if shown:
        ys = list(range(len(shown)))[::-1]
        changes = [100 * m.change for m in shown]
        moves.barh(ys, changes, color=[_UP if c > 0 else _DOWN for c in changes], height=0.6)
        moves.set_yticks(ys)
        moves.set_yticklabels([_short(m.deal_name) for m in shown], fontsize=8)
        moves.axvline(0.0, color="#888888", linewidth=0.8)
        for y, m in zip(ys, shown):
            moves.annotate(f"{m.before:.0%}→{m.after:.0%}", xy=(100 * m.change, y),
                           xytext=(4 if m.change > 0 else -4, 0), textcoords="offset points",
                           ha="left" if m.change > 0 else "right", va="center", fontsize=7)
        limit = max(abs(c) for c in changes) * 1.45
        moves.set_xlim(-limit, limit)
        moves.set_xlabel("change this period (percentage points)")
    else:
        moves.set_axis_off()
        moves.text(0.5, 0.5, "No deal moved this period", ha="center", va="center", fontsize=10, color="#666666")
    moves.set_title(f"Biggest movers: {content.moved_up} up, {content.moved_down} down", fontsize=10, loc="left")
    for ax in (dist, moves):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def chart_alt_text(content: DigestContent) -> str:
    """What the chart shows, for screen readers (Slack's alt_txt)."""
    top = content.movers_up[:1] + content.movers_down[:1]
    moved = "; ".join(f"{m.deal_name} {m.before:.0%} to {m.after:.0%}" for m in top)
    return (f"Histogram of the latest probability of {len(content.probabilities)} open deals, "
            f"{content.at_risk_count} below {content.at_risk_below:.0%}. "
            f"{content.moved_up} deals moved up and {content.moved_down} down" + (f"; biggest: {moved}." if moved else "."))
