"""Tasks: input and target sequences, time-major (T, channels).

FlipFlop is the memory task of the study (Sussillo & Barak 2013; the paper's sections 6–7);
SumOfSines is Sussillo & Abbott's (2009) periodic pattern for an autonomous generator.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_array, as_float, as_int, as_rng


class Task(Protocol):
    """What the functions that take a `task` need: `sample(steps)` → (inputs (T, I),
    targets (T, O)). FlipFlop and SumOfSines are tasks."""

    def sample(self, steps: int) -> tuple[ArrayLike, ArrayLike]: ...


class FlipFlop:
    """The n-bit flip-flop: each output must hold the sign of its input channel's last pulse.

    Conventions (per channel, independently):

    - an input pulse is `pulse_width` steps of +1 or -1 (sign drawn with equal odds), 0 else;
    - pulse onsets are at least `min_interval` steps apart; beyond that the wait to the next
      onset is geometric with `pulse_rate` per step, so the mean onset interval is
      min_interval + 1/pulse_rate - 1 steps; the first onset comes after a geometric wait;
    - the target switches to the pulse's sign at its onset and holds it until the next onset
      (a pulse of the same sign leaves it unchanged); it is 0 before the channel's first pulse.

    The defaults (20-step pulses, onsets ≥ 100 steps apart, about one per 300 steps) let the
    paper's network (N = 1000, g = 1.5, τ = 10) learn 3 bits in 30,000 FORCE steps and 4 bits in
    60,000: a pulse lasts two time constants and a memory is held for at least ten. A channel's
    sign changes about once in 600 steps, so the training must grow with the 2^bits patterns
    for each pattern's flips to be seen as often (`rnndyn.app.recipes.flipflop_train_steps`).

    `sample(T)` draws a fresh sequence from the task's generator: the same seed gives the
    same sequence of samples.
    """

    def __init__(
        self,
        bits: int,
        pulse_rate: float = 0.005,
        pulse_width: int = 20,
        min_interval: int = 100,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.bits = as_int("bits", bits, minimum=1)
        self.pulse_rate = as_float("pulse_rate", pulse_rate, positive=True)
        if self.pulse_rate > 1:
            raise ValueError(f"pulse_rate must be in (0, 1] per step, got {pulse_rate}")
        self.pulse_width = as_int("pulse_width", pulse_width, minimum=1)
        self.min_interval = as_int("min_interval", min_interval, minimum=self.pulse_width)
        self.rng = as_rng(seed)

    def sample(self, steps: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Draw `steps` steps: inputs (T, bits) and targets (T, bits), values in {-1, 0, 1}."""
        steps = as_int("steps", steps, minimum=1)
        inputs = np.zeros((steps, self.bits))
        targets = np.zeros((steps, self.bits))
        for channel in range(self.bits):
            onsets = self._onsets(steps)
            signs = self.rng.choice([-1.0, 1.0], size=onsets.size)
            stops = np.append(onsets[1:], steps)[: onsets.size]
            for onset, stop, sign in zip(onsets, stops, signs, strict=True):
                inputs[onset : onset + self.pulse_width, channel] = sign
                targets[onset:stop, channel] = sign
        return inputs, targets

    def _onsets(self, steps: int) -> NDArray[np.int64]:
        """Onset steps in [0, steps) for one channel."""
        mean_gap = self.min_interval + 1.0 / self.pulse_rate
        count = int(2 * steps / mean_gap) + 8
        while True:
            gaps = self.min_interval + self.rng.geometric(self.pulse_rate, size=count) - 1
            gaps[0] -= self.min_interval  # the first onset needs no spacing before it
            onsets = np.cumsum(gaps)
            if onsets[-1] >= steps:
                return onsets[onsets < steps]
            count *= 2

    def sample_patterns(self, hold: int = 300) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """A sequence that visits every one of the 2^bits patterns once, in Gray-code order.

        The first pulse sets every channel to -1 at once; after that each pulse flips one bit
        (the next Gray code), and each pattern is held for `hold` steps (pulse included).
        Useful to sample states near every memory, e.g. for fixed-point searches.
        Returns inputs and targets, each (2^bits · hold, bits).
        """
        hold = as_int("hold", hold, minimum=self.pulse_width)
        count = 2**self.bits
        inputs = np.zeros((count * hold, self.bits))
        targets = np.zeros((count * hold, self.bits))
        previous = None
        for k in range(count):
            gray = k ^ (k >> 1)
            pattern = np.array([1.0 if gray >> b & 1 else -1.0 for b in range(self.bits)])
            changed = np.ones(self.bits, bool) if previous is None else pattern != previous
            start = k * hold
            inputs[start : start + self.pulse_width, changed] = pattern[changed]
            targets[start : start + hold] = pattern
            previous = pattern
        return inputs, targets

    @staticmethod
    def accuracy(outputs: ArrayLike, targets: ArrayLike, settle: int = 20) -> float:
        """Share of steps on which every bit is held: sign(z_i) = f_i for all channels.

        Counted over the steps at least `settle` steps after the last change of any target
        channel, and with every target non-zero (before a channel's first pulse there is no
        bit to hold). outputs, targets: (T, bits). Returns a number in [0, 1], NaN-free: a
        sequence without such steps raises ValueError.
        """
        outputs, targets, since = _checked_run(outputs, targets, settle)
        eligible = (since.min(axis=1) >= settle) & np.all(targets != 0, axis=1)
        if not np.any(eligible):
            raise ValueError("targets have no settled step with every bit set; sample longer")
        held = np.all(np.sign(outputs) == targets, axis=1)
        return float(np.mean(held[eligible]))

    @staticmethod
    def bits_held(outputs: ArrayLike, targets: ArrayLike, settle: int = 20) -> float:
        """Share of the bits held: per channel, the share of its settled steps on which
        sign(z_i) = f_i; then the mean over channels, so each bit weighs the same.

        A channel's settled steps are those at least `settle` steps after its own target last
        changed, with its target non-zero (before its first pulse there is no bit to hold);
        a channel without any is left out of the mean. Unlike `accuracy`, which asks every
        bit at once on the steps where all have settled, one lost bit of four counts as 3/4
        held, not 0, and a flip on one channel does not hide the others' steps.

        outputs, targets: (T, bits), targets in {-1, 0, +1}. Returns a number in [0, 1]
        (0.5 for outputs of random sign); ValueError if no channel has a settled step.
        """
        outputs, targets, since = _checked_run(outputs, targets, settle)
        if not np.all(np.isin(targets, (-1.0, 0.0, 1.0))):
            raise ValueError("targets must be flip-flop bits: -1, 0 or +1")
        eligible = (since >= settle) & (targets != 0)  # (T, bits)
        steps = eligible.sum(axis=0)
        if not np.any(steps):
            raise ValueError("targets have no settled step with a bit set; sample longer")
        held = ((np.sign(outputs) == targets) & eligible).sum(axis=0)
        return float(np.mean(held[steps > 0] / steps[steps > 0]))


def _checked_run(
    outputs: ArrayLike, targets: ArrayLike, settle: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """outputs and targets (T, bits), checked, and the steps (T, bits) since each channel's
    target last changed (step 0 counts as a change)."""
    targets = as_array("targets", targets, (None, None))
    outputs = as_array("outputs", outputs, targets.shape)
    as_int("settle", settle, minimum=0)
    steps = np.arange(targets.shape[0])[:, None]
    changed = np.ones(targets.shape, dtype=bool)
    changed[1:] = targets[1:] != targets[:-1]
    last_change = np.maximum.accumulate(np.where(changed, steps, 0), axis=0)
    return outputs, targets, steps - last_change


class SumOfSines:
    """Sussillo & Abbott's (2009) periodic target for an autonomous network (no inputs).

    f(t) = scale · Σ_k a_k sin(2π h_k t / period), t in steps. The defaults are theirs:
    harmonics 1–4 with amplitudes 1, 1/2, 1/6, 1/3, scale 1.3/1.5, and a period of 1200 steps
    (120 time units at dt = 0.1, for dt/τ = 0.1 with τ = 1).
    """

    def __init__(
        self,
        period: float = 1200.0,
        harmonics: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0),
        amplitudes: tuple[float, ...] = (1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 3.0),
        scale: float = 1.3 / 1.5,
    ) -> None:
        self.period = as_float("period", period, positive=True)
        self.harmonics = as_array("harmonics", harmonics, (None,))
        self.amplitudes = as_array("amplitudes", amplitudes, (self.harmonics.size,))
        self.scale = as_float("scale", scale)

    def sample(self, steps: int, start: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Steps start .. start+steps-1: inputs (T, 0) and targets (T, 1)."""
        steps = as_int("steps", steps, minimum=1)
        start = as_int("start", start, minimum=0)
        t = np.arange(start, start + steps, dtype=float)[:, None]
        phases = 2.0 * np.pi * t * self.harmonics / self.period
        target = self.scale * np.sin(phases) @ self.amplitudes
        return np.zeros((steps, 0)), target[:, None]
