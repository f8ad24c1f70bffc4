"""The tasks' conventions."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd


def _pulses(channel: np.ndarray) -> list[tuple[int, int, float]]:
    """(onset, length, sign) of each run of non-zero input."""
    runs, t = [], 0
    while t < channel.size:
        if channel[t] != 0:
            start, sign = t, channel[t]
            while t < channel.size and channel[t] == sign:
                t += 1
            runs.append((start, t - start, sign))
        else:
            t += 1
    return runs


def test_flipflop_conventions():
    task = rd.tasks.FlipFlop(3, pulse_rate=0.01, pulse_width=7, min_interval=40, seed=0)
    inputs, targets = task.sample(20_000)
    assert inputs.shape == targets.shape == (20_000, 3)
    assert set(np.unique(inputs)) == {-1.0, 0.0, 1.0}
    for c in range(3):
        pulses = _pulses(inputs[:, c])
        onsets = np.array([p[0] for p in pulses])
        # pulses are 7 steps long (the last may be cut by the end of the sequence)
        assert all(length == 7 for _, length, _ in pulses[:-1])
        assert np.all(np.diff(onsets) >= 40)
        # mean spacing: min_interval + 1/rate - 1 steps (geometric wait)
        assert np.mean(np.diff(onsets)) == pytest.approx(40 + 100 - 1, rel=0.1)
        # target: 0 before the first onset, then the sign of the latest onset
        assert np.all(targets[: onsets[0], c] == 0)
        for (onset, _, sign), stop in zip(pulses, [*onsets[1:], 20_000], strict=True):
            assert np.all(targets[onset:stop, c] == sign)
        signs = np.array([p[2] for p in pulses])
        assert abs(np.mean(signs == 1) - 0.5) < 0.1


def test_flipflop_seeds_reproduce_and_samples_differ():
    a, b = rd.tasks.FlipFlop(2, seed=4), rd.tasks.FlipFlop(2, seed=4)
    first_a, first_b = a.sample(3000), b.sample(3000)
    np.testing.assert_array_equal(first_a[0], first_b[0])
    second_a = a.sample(3000)
    assert not np.array_equal(first_a[0], second_a[0])


def _two_bits() -> tuple[np.ndarray, np.ndarray]:
    """Outputs and targets (100, 2): channel 0 set to +1 at step 10 and to -1 at 60, channel
    1 to -1 at 30; the outputs hold every bit."""
    targets = np.zeros((100, 2))
    targets[10:, 0] = 1
    targets[30:, 1] = -1
    targets[60:, 0] = -1
    return targets.copy(), targets


def test_flipflop_accuracy_counts_settled_steps():
    outputs, targets = _two_bits()
    # eligible: both set and >= 20 steps since a change: steps 50..59 and 80..99
    assert rd.tasks.FlipFlop.accuracy(outputs, targets) == 1.0
    outputs[55, 1] = 0.3  # a wrong sign on an eligible step: 1 of 30
    outputs[65, 0] = 0.9  # wrong, but 5 steps after a change: not counted
    assert rd.tasks.FlipFlop.accuracy(outputs, targets) == pytest.approx(29 / 30)
    assert rd.tasks.FlipFlop.accuracy(outputs, targets, settle=0) == pytest.approx(68 / 70)
    with pytest.raises(ValueError, match="no settled step"):
        rd.tasks.FlipFlop.accuracy(np.zeros((10, 1)), np.zeros((10, 1)))


def test_flipflop_bits_held_counts_each_channel_on_its_own_settled_steps():
    outputs, targets = _two_bits()
    # settled: channel 0 on steps 30..59 and 80..99 (50), channel 1 on steps 50..99 (50)
    assert rd.tasks.FlipFlop.bits_held(outputs, targets) == 1.0
    outputs[35, 0] = -0.2  # wrong on channel 0's settled step (accuracy skips it: 1 changed)
    outputs[90, 0] = 0.0  # no sign is no bit
    outputs[55, 1] = 0.3  # wrong on channel 1
    outputs[65, 0] = 0.9  # wrong, but 5 steps after channel 0 flipped: not counted
    assert rd.tasks.FlipFlop.bits_held(outputs, targets) == pytest.approx((48 / 50 + 49 / 50) / 2)
    # settle=0: channel 0 has 90 set steps (3 wrong), channel 1 has 70 (1 wrong)
    held = rd.tasks.FlipFlop.bits_held(outputs, targets, settle=0)
    assert held == pytest.approx((87 / 90 + 69 / 70) / 2)


def test_flipflop_bits_held_weighs_channels_alike_and_skips_a_channel_without_a_bit():
    targets = np.ones((100, 2))
    targets[:80, 1] = 0  # channel 1 is set at step 80, 20 steps before the end
    targets[80:, 1] = -1
    outputs = np.ones((100, 2))  # channel 1 always wrong
    # channel 0: 80 settled steps (20..99), all held; channel 1: none settled with settle=20
    assert rd.tasks.FlipFlop.bits_held(outputs, targets) == 1.0
    # settle=10: channel 1 has 10 settled steps, all lost; the mean over channels is 1/2
    # (pooled over steps it would be 90 / 100)
    assert rd.tasks.FlipFlop.bits_held(outputs, targets, settle=10) == 0.5
    rng = np.random.default_rng(0)
    random = rd.tasks.FlipFlop.bits_held(rng.normal(size=(4000, 1)), np.ones((4000, 1)))
    assert random == pytest.approx(0.5, abs=0.03)


def test_flipflop_bits_held_bad_input():
    with pytest.raises(ValueError, match="targets must be flip-flop bits"):
        rd.tasks.FlipFlop.bits_held(np.zeros((30, 1)), np.full((30, 1), 0.5))
    with pytest.raises(ValueError, match="no settled step with a bit set"):
        rd.tasks.FlipFlop.bits_held(np.zeros((30, 2)), np.zeros((30, 2)))
    with pytest.raises(ValueError, match="no settled step with a bit set"):
        rd.tasks.FlipFlop.bits_held(np.ones((10, 1)), np.ones((10, 1)))  # 10 < settle
    with pytest.raises(ValueError, match=r"outputs must have shape \(30, 1\)"):
        rd.tasks.FlipFlop.bits_held(np.zeros((30, 2)), np.ones((30, 1)))
    with pytest.raises(ValueError, match="settle"):
        rd.tasks.FlipFlop.bits_held(np.ones((30, 1)), np.ones((30, 1)), settle=-1)


def test_sum_of_sines_is_sussillo_abbott_target():
    task = rd.tasks.SumOfSines()
    inputs, targets = task.sample(2400)
    assert inputs.shape == (2400, 0) and targets.shape == (2400, 1)
    t = 300.0  # a quarter period: sin(pi/2)=1, sin(pi)=0, sin(3pi/2)=-1, sin(2pi)=0
    assert targets[300, 0] == pytest.approx(1.3 / 1.5 * (1 - 1 / 6), abs=1e-12)
    np.testing.assert_allclose(targets[:1200], targets[1200:], atol=1e-12)  # period 1200
    _, later = task.sample(100, start=int(t))
    np.testing.assert_array_equal(later[0], targets[300])


def test_flipflop_pattern_tour_visits_every_pattern_once():
    task = rd.tasks.FlipFlop(3, pulse_width=10)
    inputs, targets = task.sample_patterns(hold=50)
    assert inputs.shape == targets.shape == (400, 3)
    patterns = targets[::50]
    assert len({tuple(p) for p in patterns}) == 8
    # Gray order: after the first, consecutive patterns differ in exactly one bit, and only
    # that channel pulses, with the new bit's sign, for pulse_width steps
    assert np.all(np.sum(patterns[1:] != patterns[:-1], axis=1) == 1)
    for k in range(1, 8):
        block = inputs[k * 50 : (k + 1) * 50]
        flipped = np.flatnonzero(patterns[k] != patterns[k - 1])[0]
        np.testing.assert_array_equal(block[:10, flipped], patterns[k, flipped])
        assert np.count_nonzero(block) == 10
    np.testing.assert_array_equal(inputs[:10], np.full((10, 3), -1.0))
