"""The bar chart of a check's recent run durations, laid out on the server so the page
draws it as inline SVG with no script. Pure: the template only places the bars."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.describe import stamp
from tocsin.domain.durations import format_duration

WIDTH = 600
HEIGHT = 120
GAP = 2


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    failed: bool
    title: str


@dataclass(frozen=True, slots=True)
class RunChart:
    bars: list[Bar]
    longest: str
    median: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def summary(self) -> str:
        return f"{len(self.bars)} runs, median {self.median}, longest {self.longest}"


@dataclass(frozen=True, slots=True)
class Run:
    finished: datetime
    seconds: float
    failed: bool


def spelled(seconds: float) -> str:
    """Durations to the millisecond under a minute, to the second above."""
    exact = timedelta(seconds=seconds if seconds < 60 else round(seconds))
    return format_duration(exact)


def run_chart(runs: list[Run]) -> RunChart | None:
    """Oldest run on the left; bars scaled to the longest run. None without runs."""
    if not runs:
        return None
    ordered = sorted(runs, key=lambda run: run.finished)
    longest = max(run.seconds for run in ordered) or 1.0
    slot = WIDTH / len(ordered)
    bars = [bar(i * slot, slot, run, longest) for i, run in enumerate(ordered)]
    middle = sorted(run.seconds for run in ordered)[len(ordered) // 2]
    return RunChart(bars, spelled(max(run.seconds for run in ordered)), spelled(middle))


def bar(x: float, slot: float, run: Run, longest: float) -> Bar:
    height = max(1.0, HEIGHT * run.seconds / longest)
    outcome = "failed" if run.failed else "succeeded"
    title = f"{stamp(run.finished)}: {spelled(run.seconds)}, {outcome}"
    width = max(1.0, slot - GAP)
    return Bar(
        round(x, 2), round(HEIGHT - height, 2), round(width, 2), round(height, 2), run.failed, title
    )
