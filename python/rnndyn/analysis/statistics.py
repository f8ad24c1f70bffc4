"""Statistics over networks (README, "Claims over networks"): a claim about a kind of
network is measured on K seeded networks, summarised by a statistic over them with a 90 %
interval, and judged by one rule. A number per network (an error, a difference) is summarised
by its median with a percentile bootstrap over networks (`Bootstrap`); a yes/no per network
by the fraction of networks with an exact binomial interval (`Proportion`).

The bootstrap: draw `resamples` samples of K networks with replacement (from a generator
seeded by `seed`, so the interval is the same on every run), take the statistic of each, and
return the (1 - level)/2 and (1 + level)/2 quantiles of those statistics, each rounded outwards
to one of them (no interpolation: the interval's ends are statistics of resamples, and an
infinite value, a test error where the noisy network diverged, stays usable). The networks are
the unit resampled: trials within a network are summarised first, by the caller.

With K = 3 the median's bootstrap interval is the range of the three networks (a resample's
median is the smallest network's with probability 7/27 > 5 %), so a median claim is supported
only when all three networks are on its side; that interval covers the median of the kind of
network with probability 1 - 2/2^3 = 75 %, not 90 %: at K = 3 read it as a rough check.

The fraction: the bootstrap suits a yes/no per network badly (with K networks a resampled
fraction takes only K + 1 values, and with every network agreeing every resample agrees, so
3 yes out of 3 gave the interval [1, 1], as if the fraction were known exactly). `Proportion`
gives the Clopper-Pearson interval instead: the fractions p that the count of yes would not
reject at (1 - level)/2 on either side, from the binomial distribution itself, so it covers
the true fraction with probability at least `level` for every K and every p. It is wide at
small K, and that is the honest answer: with 3 networks, 3 yes out of 3 gives [0.37, 1] (a
fair coin gives 3 out of 3 one time in 8), so a "most networks" claim (a fraction above 1/2)
cannot be decided at 90 % from 3 networks; from 10 it is supported at 9 or 10 yes, not
supported at 0 or 1.

The verdict: a claim says that a statistic lies on one side ("above" or "below") of a
threshold. It is "supported" when the whole interval lies strictly on that side, "not
supported" when the whole interval lies on the other side (the threshold included), and
"inconclusive" when the interval holds the threshold or straddles it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaincinv

from .._validation import as_int

LEVEL = 0.90
RESAMPLES = 10_000
Statistic = Literal["median", "mean"]
Summary = Literal["median", "mean", "fraction"]
Side = Literal["above", "below"]
Verdict = Literal["supported", "not supported", "inconclusive"]
_STATISTICS: dict[str, Callable[..., np.ndarray]] = {"median": np.median, "mean": np.mean}


@dataclass(frozen=True)
class OverNetworks:
    """A statistic over K networks: its `estimate` on the networks measured and its bootstrap
    interval (lo, hi) at `level`."""

    statistic: Summary
    estimate: float
    interval: tuple[float, float]
    networks: int
    level: float = LEVEL


@dataclass(frozen=True)
class Bootstrap:
    """How a measurement is summarised over networks: its `statistic` ("median", or "mean":
    for 0/1 values, the fraction of networks) with a percentile-bootstrap interval at `level`
    from `resamples` resamples of the networks, drawn from a generator seeded by `seed` (see
    the module docstring)."""

    statistic: Statistic = "median"
    level: float = LEVEL
    resamples: int = RESAMPLES
    seed: int = 0

    def __post_init__(self) -> None:
        if self.statistic not in _STATISTICS:
            raise ValueError(f"statistic must be 'median' or 'mean', got {self.statistic!r}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must lie in (0, 1), got {self.level!r}")
        as_int("resamples", self.resamples, minimum=1)
        as_int("seed", self.seed, minimum=0)

    def of(self, values: ArrayLike) -> OverNetworks:
        """The statistic of `values` (K,), one per network, and its interval."""
        column = np.reshape(_values(values, "values", 1), (-1, 1))
        estimate, lo, hi = self.of_curves(column)
        interval = (float(lo[0]), float(hi[0]))
        return OverNetworks(self.statistic, float(estimate[0]), interval, len(column), self.level)

    def of_curves(self, curves: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(estimate, lo, hi), each (L,): the statistic over networks of `curves` (K, L), one
        curve per network, and its pointwise interval. The same resamples of networks serve
        every point, so a curve's points keep their networks together."""
        values = _values(curves, "curves", 2)
        reduce = _STATISTICS[self.statistic]
        rng = np.random.default_rng(self.seed)
        picks = rng.integers(0, len(values), size=(self.resamples, len(values)))
        resampled = reduce(values[picks], axis=1)  # (resamples, L)
        lo = np.quantile(resampled, (1 - self.level) / 2, axis=0, method="lower")
        hi = np.quantile(resampled, (1 + self.level) / 2, axis=0, method="higher")
        return reduce(values, axis=0), lo, hi


@dataclass(frozen=True)
class Proportion:
    """The fraction of networks for which a yes/no measurement holds, with its Clopper-Pearson
    interval at `level` (see the module docstring)."""

    level: float = LEVEL

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must lie in (0, 1), got {self.level!r}")

    def of(self, values: ArrayLike) -> OverNetworks:
        """The fraction of `values` (K,), each 0 or 1 (or a bool), that are 1, and its
        interval."""
        column = _values(values, "values", 1)
        if not np.all((column == 0) | (column == 1)):
            raise ValueError(f"values must be 0 or 1 (no or yes per network), got {column!r}")
        yes, networks = int(column.sum()), len(column)
        tail = (1 - self.level) / 2
        # the exact binomial bounds, as quantiles of the beta distribution (Clopper & Pearson,
        # Biometrika 1934): no lower bound below 0 yes, no upper bound above K yes
        lo = 0.0 if yes == 0 else float(betaincinv(yes, networks - yes + 1, tail))
        hi = 1.0 if yes == networks else float(betaincinv(yes + 1, networks - yes, 1 - tail))
        return OverNetworks("fraction", yes / networks, (lo, hi), networks, self.level)


def verdict(interval: tuple[float, float], threshold: float, side: Side) -> Verdict:
    """The verdict on the claim "the statistic lies `side` of `threshold`", given its
    interval (lo, hi) (see the module docstring)."""
    lo, hi = (float(v) for v in interval)
    if not lo <= hi:
        raise ValueError(f"interval must be (lo, hi) with lo <= hi, got {interval!r}")
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', got {side!r}")
    if side == "below":  # mirror the claim onto "above"
        lo, hi, threshold = -hi, -lo, -threshold
    if lo > threshold:
        return "supported"
    if hi <= threshold:
        return "not supported"
    return "inconclusive"


def _values(values: ArrayLike, name: str, ndim: int) -> np.ndarray:
    """`values` as a float array of `ndim` dimensions with at least one network (row), none
    NaN (+inf is a measurement: a diverged run's error); ValueError naming `name` otherwise."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numbers, got {values!r}") from error
    if array.ndim != ndim or len(array) == 0 or array.size == 0:
        raise ValueError(f"{name} must be {ndim}-D with at least one network, got {array.shape}")
    if np.any(np.isnan(array)) or np.any(array == -np.inf):
        raise ValueError(f"{name} must be numbers or +inf, not NaN or -inf, got {array!r}")
    return array
