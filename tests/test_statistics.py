"""Statistics over networks: the median (or fraction) over K networks, its seeded bootstrap
interval and the verdict rule."""

from __future__ import annotations

import numpy as np
import pytest
from rnndyn.analysis.statistics import Bootstrap, Proportion, verdict
from scipy.stats import binom


def test_constant_networks_give_a_zero_width_interval():
    summary = Bootstrap().of([0.25] * 7)
    assert summary.estimate == 0.25 and summary.interval == (0.25, 0.25)
    assert summary.networks == 7 and summary.statistic == "median" and summary.level == 0.9


def test_three_networks_median_and_interval_are_known():
    # resampling 3 networks, the median is the smallest with probability 7/27 (two or three
    # draws of it), so the 5 % and 95 % quantiles are the smallest and the largest values
    summary = Bootstrap(seed=4).of([3.0, 1.0, 2.0])
    assert summary.estimate == 2.0 and summary.interval == (1.0, 3.0)


def test_fraction_of_networks_is_the_mean_of_indicators():
    summary = Bootstrap("mean", seed=0).of([1, 1, 1, 0])
    assert summary.estimate == 0.75
    lo, hi = summary.interval
    # P(all four draws hit the 1s) = (3/4)^4 = 0.32 > 5 %: hi is 1; lo is 0.25 or 0.5
    assert hi == 1.0 and lo in (0.25, 0.5)


def test_the_interval_covers_a_known_median():
    # 40 networks from a normal distribution of median 5: the 90 % interval holds it, and is
    # about 2 * 1.645 * 1.2533 / sqrt(40) = 0.65 wide (the median's standard error)
    values = np.random.default_rng(1).normal(5.0, 1.0, 40)
    summary = Bootstrap(seed=2).of(values)
    lo, hi = summary.interval
    assert lo < 5.0 < hi
    assert 0.35 < hi - lo < 1.0
    assert lo <= summary.estimate == np.median(values) <= hi


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 10])
def test_the_interval_holds_the_estimate(k):
    for seed in range(20):
        values = np.random.default_rng(seed).lognormal(size=k)
        for statistic in ("median", "mean"):
            summary = Bootstrap(statistic, seed=seed).of(values)
            lo, hi = summary.interval
            assert lo <= summary.estimate <= hi


def test_a_diverged_network_counts_as_the_largest_value():
    # one network of three diverged (infinite error): the median is the middle network's, the
    # interval runs from the smallest to infinity, without NaN from interpolation
    summary = Bootstrap(seed=0).of([1.0, np.inf, 2.0])
    assert summary.estimate == 2.0 and summary.interval == (1.0, np.inf)
    estimate, lo, hi = Bootstrap(seed=0).of_curves([[1.0, np.inf], [2.0, np.inf], [3.0, 4.0]])
    np.testing.assert_array_equal(estimate, [2.0, np.inf])
    np.testing.assert_array_equal(lo, [1.0, 4.0])
    np.testing.assert_array_equal(hi, [3.0, np.inf])


def test_the_bootstrap_is_deterministic_for_a_seed():
    values = np.random.default_rng(3).normal(size=9)
    assert Bootstrap(seed=5).of(values) == Bootstrap(seed=5).of(values)
    # the means of resamples take many values (the medians of 9 only the 9 data): another seed
    # moves the mean's quantiles
    first, other = (Bootstrap("mean", seed=s).of(values).interval for s in (5, 6))
    assert first != other and abs(first[0] - other[0]) < 0.05


def test_curves_are_summarised_point_by_point():
    curves = np.array([[1.0, 10.0, 5.0], [2.0, 20.0, 5.0], [3.0, 30.0, 5.0]])
    estimate, lo, hi = Bootstrap(seed=0).of_curves(curves)
    np.testing.assert_array_equal(estimate, [2.0, 20.0, 5.0])
    np.testing.assert_array_equal(lo, [1.0, 10.0, 5.0])
    np.testing.assert_array_equal(hi, [3.0, 30.0, 5.0])
    # each point's interval is the one its column would get alone
    alone = Bootstrap(seed=0).of(curves[:, 1])
    assert (lo[1], hi[1]) == alone.interval


@pytest.mark.parametrize(
    ("interval", "threshold", "side", "expected"),
    [
        ((0.6, 0.9), 0.5, "above", "supported"),
        ((0.1, 0.5), 0.5, "above", "not supported"),  # the threshold is not above itself
        ((0.4, 0.6), 0.5, "above", "inconclusive"),
        ((0.5, 0.6), 0.5, "above", "inconclusive"),
        ((-2.0, -1.0), 0.0, "below", "supported"),
        ((0.0, 1.0), 0.0, "below", "not supported"),
        ((-1.0, 0.0), 0.0, "below", "inconclusive"),
        ((1.0, 1.0), 1.0, "below", "not supported"),
    ],
)
def test_the_verdict_rule(interval, threshold, side, expected):
    assert verdict(interval, threshold, side) == expected


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="values must be 1-D with at least one network"):
        Bootstrap().of([])
    with pytest.raises(ValueError, match="values must be 1-D"):
        Bootstrap().of([[1.0, 2.0]])
    with pytest.raises(ValueError, match="values must be numbers or \\+inf, not NaN"):
        Bootstrap().of([1.0, np.nan])
    with pytest.raises(ValueError, match="curves must be numbers or \\+inf"):
        Bootstrap().of_curves([[1.0], [-np.inf]])
    with pytest.raises(TypeError, match="values must be numbers"):
        Bootstrap().of(["a", "b"])
    with pytest.raises(ValueError, match="curves must be 2-D"):
        Bootstrap().of_curves([1.0, 2.0])
    with pytest.raises(ValueError, match="statistic must be 'median' or 'mean', got 'mode'"):
        Bootstrap("mode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level must lie in"):
        Bootstrap(level=1.0)
    with pytest.raises(ValueError, match="resamples must be >= 1"):
        Bootstrap(resamples=0)
    with pytest.raises(TypeError, match="resamples must be an integer"):
        Bootstrap(resamples=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Bootstrap(seed=-1)
    with pytest.raises(ValueError, match="interval must be"):
        verdict((2.0, 1.0), 0.0, "above")
    with pytest.raises(ValueError, match="side must be 'above' or 'below'"):
        verdict((0.0, 1.0), 0.0, "over")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("yes", "networks", "interval"),
    [
        (3, 3, (0.05 ** (1 / 3), 1.0)),  # 3 of 3: a fair coin does it 1 time in 8
        (0, 3, (0.0, 1 - 0.05 ** (1 / 3))),
        (10, 10, (0.05**0.1, 1.0)),
        (9, 10, (0.6058367, 0.9948838)),
        (1, 10, (0.0051162, 0.3941633)),
    ],
)
def test_a_fraction_has_its_clopper_pearson_interval(yes, networks, interval):
    summary = Proportion().of([1] * yes + [0] * (networks - yes))
    assert summary.statistic == "fraction" and summary.networks == networks
    assert summary.estimate == pytest.approx(yes / networks)
    assert summary.interval == pytest.approx(interval, abs=1e-7)
    lo, hi = summary.interval  # each end leaves 5 % of the binomial beyond the count seen
    if yes > 0:
        assert binom.sf(yes - 1, networks, lo) == pytest.approx(0.05)
    if yes < networks:
        assert binom.cdf(yes, networks, hi) == pytest.approx(0.05)


def test_a_majority_of_networks_needs_ten_to_be_decided():
    def judged(yes: int, networks: int) -> str:
        summary = Proportion().of([True] * yes + [False] * (networks - yes))
        return verdict(summary.interval, 0.5, "above")

    assert [judged(yes, 3) for yes in range(4)] == ["inconclusive"] * 4
    assert [judged(yes, 10) for yes in range(11)] == [
        *["not supported"] * 2, *["inconclusive"] * 7, *["supported"] * 2,
    ]  # fmt: skip


def test_a_fraction_takes_yes_or_no_only():
    with pytest.raises(ValueError, match="values must be 0 or 1"):
        Proportion().of([0.5, 1.0])
    with pytest.raises(ValueError, match="level must lie in"):
        Proportion(level=0.0)
