"""The probability charts are real PNGs of a sensible size, for any number of turns or calls."""

from __future__ import annotations

import struct

import pytest

from datetime import datetime

from salesrl.bot.chart import (
    call_labels, curve_figure, render_curve_png, render_deal_chart_png, render_one_call_deal_png,
)
from tests.conftest import make_score_result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


@pytest.mark.parametrize("turns", [1, 2, 40, 600])
def test_curve_png_for_any_length_of_call(turns):
    result = make_score_result([0.2 + 0.6 * i / max(turns, 1) for i in range(turns)])
    width, height = png_size(render_curve_png(result))
    assert (width, height) == (800, 360)


def test_curves_differ_when_the_calls_differ():
    rising = render_curve_png(make_score_result([0.2, 0.4, 0.6, 0.8]))
    falling = render_curve_png(make_score_result([0.8, 0.6, 0.4, 0.2]))
    assert rising != falling


@pytest.mark.parametrize("calls", [1, 5, 60])
def test_deal_chart_for_any_number_of_calls(calls):
    points = [(f"Mar {i + 1:02d}", i / max(calls, 1)) for i in range(calls)]
    assert png_size(render_deal_chart_png(points)) == (800, 360)


def test_nothing_to_draw_is_an_error():
    with pytest.raises(ValueError):
        render_deal_chart_png([])


@pytest.mark.parametrize("turns", [1, 30, 300])
def test_a_deal_of_one_call_is_drawn_turn_by_turn(turns):
    roles = [("rep", "prospect")[i % 2] for i in range(turns)]
    png = render_one_call_deal_png([i / turns for i in range(turns)], roles, "Dec 06")
    assert png_size(png) == (800, 360)


def test_calls_of_the_same_day_are_told_apart_by_their_time():
    times = [datetime(2026, 12, 4, 9, 30), datetime(2026, 12, 6, 9, 5), datetime(2026, 12, 6, 15, 40)]
    assert call_labels(times) == ["Dec 04", "Dec 06 09:05", "Dec 06 15:40"]


def test_swing_labels_stay_inside_the_plot_even_at_its_edges():
    """A fall to the bottom (or a rise to the top) of a 300-turn call is labelled inside the axes, not on
    the axis's tick labels; and no legend is drawn for dots too many to draw."""
    ps = [0.5] * 100 + [0.06] * 100 + [0.5] * 50 + [0.97] * 50  # falls to 6%, rises to 97%
    fig = curve_figure(make_score_result(ps))
    fig.canvas.draw()  # the labels get their places
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if "pts" in t.get_text()]
    assert labels
    for label in labels:
        box = label.get_window_extent(renderer)
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1, label.get_text()
    assert ax.get_legend() is None


def test_a_finished_calls_own_view_of_its_last_turn_is_drawn_and_named():
    from dataclasses import replace

    result = make_score_result([0.3, 0.5, 0.6])
    over = replace(result, ended=replace(result.points[-1], probability=0.8, uncertainty=0.1))
    fig = curve_figure(over)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rep turn", "prospect turn", "call over"]
    assert ax.get_title(loc="left").startswith("Final 80% (80% range 70-90%)")
    assert render_curve_png(over) != render_curve_png(result)
    assert "call over" not in [t.get_text() for t in curve_figure(result).axes[0].get_legend().get_texts()]
