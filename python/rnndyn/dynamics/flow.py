"""Free runs: a system's own dynamics from many states at once, until each comes to rest at a
known attractor (docs/mathematics.md, The skeleton).

An ESN runs its Euler step at a constant input, x ← x + (dt/τ) ⊙ F(x); a map (an RNN) its
step h ← h + G(h) = f(h); a continuous FunctionSystem x ← x + step F(x). The rows of a batch
run in lockstep: one batched product through the core a step, the rows split over threads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _core
from .._validation import as_float
from ..fixedpoints.linearization import CoreSystem
from ..fixedpoints.systems import VelocitySystem
from ..networks.esn import ESN
from ..networks.maps import MapNetwork

FloatArray = NDArray[np.float64]
# a batch with fewer rows, or less work (K N² multiply-adds), runs on one thread: handing
# it out would cost more than the thread saves
_ROWS_PER_THREAD, _WORK_PER_THREAD = 16, 2_000_000
# the default step of a continuous-time FunctionSystem, x ← x + step F(x)
DEFAULT_STEP = 0.1
# a free run that moves slower than this (|F| / sqrt(N)) has come to rest
REST_SPEED = 1e-5


# (states (K, N), steps) -> the states `steps` steps on, the states before the last step and
# F there (each (K, N))
Advance = Callable[[FloatArray, int], tuple[FloatArray, FloatArray, FloatArray]]


@dataclass(frozen=True)
class Flow:
    """Steps of a system's own dynamics for a batch of states (K, N): x ← x + step ⊙ F(x).
    An ESN's runs go through the core's free runs (`advance_rows`), many steps a call."""

    velocity_rows: Callable[[FloatArray], FloatArray]
    step_size: FloatArray | float
    n_jobs: int = 1
    advance_rows: Advance | None = None

    @classmethod
    def of(
        cls,
        system: ESN | MapNetwork | VelocitySystem,
        core: CoreSystem | None,
        n_jobs: int = 1,
        step: float | None = None,
        inputs: ArrayLike | None = None,
    ) -> Flow:
        """The flow of `system` (with its C++ system `core` where it has one, at the constant
        `inputs` of an ESN): an ESN's Euler step (dt/τ per unit), a map's own step (1), or
        `step` (default DEFAULT_STEP) for a continuous-time Python system."""
        velocity: Callable[[FloatArray], FloatArray]
        if core is not None:
            velocity = core.velocity
        else:
            assert isinstance(system, VelocitySystem)  # only Python systems have no core
            python_system = system

            def velocity(states: FloatArray) -> FloatArray:
                return np.array([python_system.velocity(x) for x in states], dtype=np.float64)

        if step is not None:
            size: FloatArray | float = as_float("step", step, positive=True)
        elif isinstance(system, ESN):
            size = system.leak
            return cls(velocity, size, n_jobs, _free_runs(system, inputs, n_jobs))
        elif isinstance(system, MapNetwork) or getattr(system, "discrete_time", False):
            size = 1.0
        else:
            size = DEFAULT_STEP
        return cls(velocity, size, n_jobs)

    def velocity(self, states: FloatArray) -> FloatArray:
        """F at each row of `states` (K, N), the rows split over n_jobs threads where there
        is enough work to share."""
        rows, size = states.shape
        parts = min(self.n_jobs, rows // _ROWS_PER_THREAD)
        if parts < 2 or rows * size * size < _WORK_PER_THREAD:
            return self.velocity_rows(states)
        pieces = thread_pool(parts).map(self.velocity_rows, np.array_split(states, parts))
        return np.vstack(list(pieces))

    def step(self, states: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The states one step on, and F where they were."""
        after, _, velocity = self.advance(states, 1)
        return after, velocity

    def advance(self, states: FloatArray, steps: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The states (K, N) `steps` >= 1 steps on, the states before the last step, and F
        there."""
        if self.advance_rows is not None:
            return self.advance_rows(states, steps)
        after = states
        for _ in range(steps):
            before, velocity = after, self.velocity(after)
            after = before + self.step_size * velocity
        return after, before, velocity


def _free_runs(system: ESN, inputs: ArrayLike | None, n_jobs: int) -> Advance:
    """An ESN's free runs at the constant `inputs` by the core (free_run.hpp): its Euler
    steps with the readout fed back, W_r read as the network's own runs read it, in float64
    whatever the network's dtype."""
    network = system.core_network(float64=True)
    assert isinstance(network, _core.Network)  # float64
    readout = np.ascontiguousarray(system.readout, dtype=np.float64)
    drive = system.offset(inputs)

    def advance(states: FloatArray, steps: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        after = np.array(states, dtype=np.float64, order="C")  # a copy, advanced in place
        previous, velocity = np.empty_like(after), np.empty_like(after)
        _core.free_run(
            network,
            readout=readout,
            drive=drive,
            states=after,
            previous=previous,
            velocity=velocity,
            steps=steps,
            n_jobs=n_jobs,
        )
        return after, previous, velocity

    return advance


@functools.cache
def thread_pool(workers: int) -> ThreadPoolExecutor:
    """One pool of `workers` threads for the process: free runs take thousands of steps, and
    starting threads for each would cost more than the step."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rnndyn-flow")


@dataclass(frozen=True)
class Settled:
    """Where free runs went: `label` (K,) the index of the attractor each came within its
    radius of (-1: none within max_steps), `ends` (K, N) the last states, `speed` (K,) |F|
    there, `steps` (K,) steps taken, and the slowest state each passed (`slowest` (K, N),
    checked every few steps; a run that starts near a basin boundary lingers by the saddle on
    it, so this is where Newton's method finds that saddle)."""

    label: NDArray[np.intp]
    ends: FloatArray
    speed: FloatArray
    steps: NDArray[np.intp]
    slowest: FloatArray
    paths: list[FloatArray] | None = None


def settle(
    flow: Flow,
    states: ArrayLike,
    attractors: FloatArray,
    radius: FloatArray,
    max_steps: int = 5_000,
    rest_speed: float = 0.0,
    check_every: int = 5,
    record: bool = False,
) -> Settled:
    """Run every row of `states` (K, N) until it comes within `radius[j]` of attractor j
    (attractors (A, N)), or moves slower than `rest_speed` (|F|: at rest somewhere not known:
    label -1), or `max_steps` pass (label -1). Rows leave the batch as they settle. With
    `record`, `paths` holds each run (T_i, N): its start and its state every `check_every`
    steps to its last."""
    x = np.array(states, dtype=float, copy=True)
    records = [(np.arange(x.shape[0]), x.copy())] if record else []
    count = x.shape[0]
    label = np.full(count, -1, dtype=np.intp)
    speed = np.full(count, np.inf)
    steps = np.zeros(count, dtype=np.intp)
    slowest, least = x.copy(), np.full(count, np.inf)
    active = np.arange(count)
    step = 0
    while active.size and step < max_steps:
        # check_every steps a call (the last call up to max_steps); checked after each
        chunk = min(check_every, max_steps - step)
        x[active], before, velocity = flow.advance(x[active], chunk)
        step += chunk
        steps[active] = step
        speed[active] = np.linalg.norm(velocity, axis=1)  # at `before`
        slower = speed[active] < least[active]
        least[active[slower]] = speed[active[slower]]
        slowest[active[slower]] = before[slower]
        if record:
            records.append((active, x[active]))
        found = nearest_within(x[active], attractors, radius)
        label[active] = found
        finite = np.all(np.isfinite(x[active]), axis=1)
        done = (found >= 0) | (speed[active] <= rest_speed) | ~finite
        active = active[~done]
    paths = _paths(records, count) if record else None
    return Settled(label, x, speed, steps, slowest, paths)


def _paths(records: list[tuple[NDArray[np.intp], FloatArray]], count: int) -> list[FloatArray]:
    """Each row's states (T_i, N) from the (rows, states) recorded step by step."""
    pieces: list[list[FloatArray]] = [[] for _ in range(count)]
    for rows, states in records:
        for row, state in zip(rows.tolist(), states, strict=True):
            pieces[row].append(state)
    return [np.array(piece) for piece in pieces]


def nearest_within(states: FloatArray, centres: FloatArray, radius: FloatArray) -> NDArray[np.intp]:
    """For each row of `states` (K, N) the index of the first centre (A, N) within its radius
    (A,), or -1."""
    if centres.shape[0] == 0:
        return np.full(states.shape[0], -1, dtype=np.intp)
    # |x - c|² = |x|² - 2 x·c + |c|²: one product, not K·A differences
    squared = (
        np.sum(states**2, axis=1)[:, None]
        - 2 * states @ centres.T
        + np.sum(centres**2, axis=1)[None, :]
    )
    inside = squared <= radius[None, :] ** 2
    first = np.argmax(inside, axis=1)
    return np.where(inside.any(axis=1), first, -1).astype(np.intp)


def distances(points: FloatArray) -> FloatArray:
    """(A, A) distances between points, the diagonal infinite."""
    distance: FloatArray = np.linalg.norm(points[:, None] - points[None], axis=2)
    distance[np.diag_indices_from(distance)] = np.inf
    return distance


def settling_radii(
    attractors: FloatArray,
    share: float,
    owner: NDArray[np.intp] | None = None,
    saddles: FloatArray | None = None,
) -> FloatArray:
    """Each attractor's settling radius: `share` of the distance to the nearest other one
    (of 1 + |a| for a lone attractor). With `owner` (A,), rows are states of attractors
    (a cycle's several) and only states of other attractors count. With `saddles` (S, N),
    unstable fixed points whose branches are run, a radius reaches at most half-way to the
    nearest of them: a saddle close to a memory (as a GRU's can be) must not sit inside the
    ball that counts as that memory's basin, or both its branches would settle there at
    once."""
    distance = distances(attractors)
    if owner is not None:
        distance[owner[:, None] == owner[None, :]] = np.inf
    nearest = np.min(distance, axis=1) if attractors.shape[0] else np.zeros(0)
    lone = 1.0 + np.linalg.norm(attractors, axis=1)
    radii: FloatArray = share * np.where(np.isfinite(nearest), nearest, lone)
    if saddles is not None and saddles.shape[0] and attractors.shape[0]:
        to_saddle = np.min(np.linalg.norm(attractors[:, None] - saddles[None], axis=2), axis=1)
        radii = np.minimum(radii, 0.5 * to_saddle)
    return radii


def close_pairs(points: FloatArray, reach: float, most: int) -> NDArray[np.intp]:
    """(P, 2) pairs of points at most `reach` times as far apart as the nearer one's nearest
    other point, the `most` closest."""
    if points.shape[0] < 2:
        return np.zeros((0, 2), dtype=np.intp)
    distance = distances(points)
    nearest = np.min(distance, axis=1)
    i, j = np.nonzero(np.triu(distance <= reach * np.minimum.outer(nearest, nearest), 1))
    order = np.argsort(distance[i, j], kind="stable")[:most]
    return np.column_stack([i[order], j[order]]).astype(np.intp)
