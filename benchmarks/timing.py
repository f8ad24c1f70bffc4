"""Repeated wall-clock measurements and how to print them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Wall times (seconds) of repeated runs of one workload, or times per step."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def maximum(self) -> float:
        return max(self.samples)

    @property
    def repeats(self) -> int:
        return len(self.samples)

    def scaled(self, factor: float) -> Timing:
        """Every sample times `factor` (e.g. 1/steps for a time per step)."""
        return Timing(tuple(s * factor for s in self.samples))

    def spread(self) -> str:
        """'min–max (n=k)' in the unit that suits the median."""
        if self.repeats == 1:
            return "one run"
        return (
            f"{seconds(self.minimum, like=self.median)}–"
            f"{seconds(self.maximum, like=self.median)} (n={self.repeats})"
        )


def measure(
    function: Callable[..., Any],
    repeats: int,
    warm_up: Callable[[], Any] | None = None,
    setup: Callable[[], Any] | None = None,
) -> tuple[Timing, Any]:
    """Time `repeats` calls of `function` after one call of `warm_up` (if given); returns the
    timing and the last call's result. With `setup`, each call is `function(setup())` and
    only `function` is timed (e.g. a fresh copy of a network for every repeat)."""
    if warm_up is not None:
        warm_up()
    samples, result = [], None
    for _ in range(repeats):
        arguments = () if setup is None else (setup(),)
        start = time.perf_counter()
        result = function(*arguments)
        samples.append(time.perf_counter() - start)
    return Timing(tuple(samples)), result


def per_step(function: Callable[[int], Any], steps: int, repeats: int) -> Timing:
    """Seconds per step of `function(steps)` over `repeats` runs (a 50-step warm-up first)."""
    timing, _ = measure(lambda: function(steps), repeats, warm_up=lambda: function(min(steps, 50)))
    return timing.scaled(1.0 / steps)


def seconds(value: float, like: float | None = None) -> str:
    """A duration with a unit chosen for `like` (default: the value itself): s, ms or µs."""
    scale = abs(value if like is None else like)
    if scale >= 1.0:
        return f"{value:.2f} s"
    if scale >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"
