"""The bar chart of a check's recent run durations: bars laid out oldest first and
scaled to the longest run, each titled, with the median and longest in words."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.web.run_chart import GAP, HEIGHT, WIDTH, Bar, Run, run_chart, spelled

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def run(minutes: int, seconds: float, *, failed: bool = False) -> Run:
    return Run(T0 + timedelta(minutes=minutes), seconds, failed)


def test_no_runs_no_chart() -> None:
    assert run_chart([]) is None


def test_bars_are_laid_out_oldest_first_whatever_the_order_given() -> None:
    chart = run_chart([run(2, 30), run(0, 60, failed=True), run(1, 15)])
    assert chart is not None
    assert [bar.title for bar in chart.bars] == [
        "2026-03-01 02:00:00 UTC: 1m, failed",
        "2026-03-01 02:01:00 UTC: 15s, succeeded",
        "2026-03-01 02:02:00 UTC: 30s, succeeded",
    ]
    assert [bar.failed for bar in chart.bars] == [True, False, False]


def test_bars_share_the_width_and_are_scaled_to_the_longest_run() -> None:
    chart = run_chart([run(0, 60), run(1, 15), run(2, 30), run(3, 0)])
    assert chart is not None
    slot = WIDTH / 4
    assert chart.bars == [
        Bar(0, 0, slot - GAP, HEIGHT, False, chart.bars[0].title),
        Bar(slot, HEIGHT * 3 / 4, slot - GAP, HEIGHT / 4, False, chart.bars[1].title),
        Bar(2 * slot, HEIGHT / 2, slot - GAP, HEIGHT / 2, False, chart.bars[2].title),
        # A run of no time still shows: one pixel.
        Bar(3 * slot, HEIGHT - 1, slot - GAP, 1, False, chart.bars[3].title),
    ]


def test_positions_are_rounded_to_hundredths() -> None:
    chart = run_chart([run(n, 1) for n in range(7)])
    assert chart is not None
    assert chart.bars[1].x == 85.71
    assert chart.bars[1].width == 83.71


def test_many_runs_still_get_bars_at_least_a_pixel_wide() -> None:
    chart = run_chart([run(n, 1) for n in range(1000)])
    assert chart is not None
    assert {bar.width for bar in chart.bars} == {1.0}
    assert chart.bars[-1].x == round(999 * WIDTH / 1000, 2)


def test_only_runs_of_no_time_give_flat_bars_not_a_division_by_zero() -> None:
    chart = run_chart([run(0, 0), run(1, 0)])
    assert chart is not None
    assert [bar.height for bar in chart.bars] == [1, 1]
    assert chart.summary == "2 runs, median 0s, longest 0s"


def test_the_summary_says_how_many_runs_the_median_and_the_longest() -> None:
    chart = run_chart([run(0, 12.5), run(1, 3600), run(2, 95.4)])
    assert chart is not None
    assert (chart.median, chart.longest) == ("1m35s", "1h")
    assert chart.summary == "3 runs, median 1m35s, longest 1h"
    assert (chart.width, chart.height) == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.0, "0s"),
        (0.25, "250ms"),
        (12.3456, "12s346ms"),
        (59.9994, "59s999ms"),
        (60.4, "1m"),
        (95.5, "1m36s"),
        (7322.2, "2h2m2s"),
    ],
)
def test_durations_are_to_the_millisecond_under_a_minute_and_the_second_above(
    seconds: float, words: str
) -> None:
    assert spelled(seconds) == words


@given(st.lists(st.floats(0, 86_400), min_size=1, max_size=50))
def test_every_bar_fits_inside_the_chart(durations: list[float]) -> None:
    chart = run_chart([run(n, seconds) for n, seconds in enumerate(durations)])
    assert chart is not None
    assert len(chart.bars) == len(durations)
    for bar in chart.bars:
        assert 0 <= bar.x < WIDTH
        assert 1 <= bar.height <= HEIGHT
        assert bar.y + bar.height == pytest.approx(HEIGHT, abs=0.01)
    if max(durations) > 0:
        assert max(bar.height for bar in chart.bars) == HEIGHT
