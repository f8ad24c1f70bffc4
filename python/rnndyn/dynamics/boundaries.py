"""The boundary between two attractors' basins and the saddle on it (docs/mathematics.md, The
skeleton: boundaries and edge states).

On the straight segment from attractor a to attractor b, free runs tell which basin each point
lies in; where the segment passes directly from a's basin to b's, bisection brackets the
boundary within a small distance. A run that starts that close to the boundary follows it to
its edge state, a saddle with one unstable direction, lingers there and then leaves: the
slowest state it passes is where Newton's method finishes. Edge tracking (Skufca, Yorke &
Eckhardt 2006) repeats this from the bracketing pair when the first try does not land on a
1-saddle: both states run together until they part, and the pair is bisected again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from .flow import FloatArray, Flow, Settled, settle


@dataclass(frozen=True)
class Brackets:
    """Pairs of states on either side of a basin boundary: `low` (K, N) runs to attractor
    `a` (K,), `high` (K, N) to attractor `b` (K,)."""

    low: FloatArray
    high: FloatArray
    a: NDArray[np.intp]
    b: NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.a.size)

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_]) -> Brackets:
        """The brackets at `rows`."""
        return Brackets(self.low[rows], self.high[rows], self.a[rows], self.b[rows])

    def width(self) -> FloatArray:
        """|high - low| (K,)."""
        width: FloatArray = np.linalg.norm(self.high - self.low, axis=1)
        return width


@dataclass(frozen=True)
class Basins:
    """How runs are told apart: the flow, a state on each attractor (A, N), the states a run
    settles at (C, N: a fixed point, or every state of a cycle) with the attractor each
    belongs to (`owner` (C,)) and its radius (C,), and the most steps a run may take."""

    flow: Flow
    attractors: FloatArray
    centres: FloatArray
    owner: NDArray[np.intp]
    radius: FloatArray
    max_steps: int

    def settle(self, states: FloatArray, rest_speed: float = 0.0) -> Settled:
        """Free runs from `states` (see `settle`), labelled by attractor (-1: none)."""
        settled = settle(self.flow, states, self.centres, self.radius, self.max_steps, rest_speed)
        owner = np.append(self.owner, -1)  # label -1 picks the appended -1
        return replace(settled, label=owner[settled.label])

    def classify(self, states: FloatArray) -> tuple[NDArray[np.intp], FloatArray]:
        """The attractor each row of `states` runs to (-1: none), and the slowest state each
        run passed."""
        settled = self.settle(states)
        return settled.label, settled.slowest


def direct_crossings(basins: Basins, pairs: NDArray[np.intp], samples: int) -> Brackets:
    """Brackets for the pairs of attractors (P, 2) whose straight segment passes directly
    from the first's basin to the second's: of `samples` evenly spaced interior points, the
    runs from the first ones go to a and those from the rest to b, none elsewhere."""
    a_states, b_states = basins.attractors[pairs[:, 0]], basins.attractors[pairs[:, 1]]
    t = np.concatenate([[0.0], _interior(samples), [1.0]])
    points = a_states[:, None, :] + t[None, :, None] * (b_states - a_states)[:, None, :]
    labels = np.empty((len(pairs), samples + 2), dtype=np.intp)
    labels[:, 0], labels[:, -1] = pairs[:, 0], pairs[:, 1]
    inner = points[:, 1:-1].reshape(-1, points.shape[2])
    labels[:, 1:-1] = basins.classify(inner)[0].reshape(len(pairs), samples)
    to_a, to_b = labels == pairs[:, :1], labels == pairs[:, 1:]
    switch = np.argmin(to_a, axis=1)  # the first point not in a's basin
    direct = (to_a | to_b).all(axis=1) & (to_b.sum(axis=1) == samples + 2 - switch)
    rows = np.flatnonzero(direct)
    return Brackets(
        points[rows, switch[rows] - 1], points[rows, switch[rows]], pairs[rows, 0], pairs[rows, 1]
    )


def bisect(basins: Basins, brackets: Brackets, share: float) -> Brackets:
    """Each bracket narrowed until |high - low| <= share·|a - b|: a round classifies interior
    points of each bracket, one each or, with few brackets left, more (up to _FREE_ROWS runs
    in all: a step of so few runs costs about what one run's step costs, and a round with s
    points gains log2(s + 1) bits). A point counts by whether its run goes to a or not, so
    the bracket follows the boundary of a's basin wherever a third basin comes near it
    (docs/mathematics.md, The skeleton: boundaries and edge states)."""
    ends = basins.attractors
    tol = share * np.linalg.norm(ends[brackets.a] - ends[brackets.b], axis=1)
    while len(brackets) and np.any(brackets.width() > tol):
        open_ = np.flatnonzero(brackets.width() > tol)
        splits = max(1, _FREE_ROWS // open_.size)
        narrowed = _bisect_round(basins, brackets.take(open_), splits)
        low, high = brackets.low.copy(), brackets.high.copy()
        low[open_], high[open_] = narrowed.low, narrowed.high
        brackets = replace(brackets, low=low, high=high)
    return brackets


# a step of up to this many runs costs little more than one run's (measured at N = 1000:
# 0.20 ms for 1 row, 0.25 ms for 4, 0.45 ms for 8; the weights are read once a step)
_FREE_ROWS = 4


def _bisect_round(basins: Basins, brackets: Brackets, splits: int) -> Brackets:
    """One round: `splits` interior points of each bracket classified; the new bracket runs
    from the last point whose run goes to a to the next one."""
    t = _interior(splits)
    low, high = brackets.low, brackets.high
    points = low[:, None, :] + t[None, :, None] * (high - low)[:, None, :]
    labels = basins.classify(points.reshape(-1, points.shape[2]))[0].reshape(len(brackets), -1)
    to_a = labels == brackets.a[:, None]
    # the last interior point still in a's basin (-1: none), and the next one (or `high`)
    last_a = np.where(to_a.any(axis=1), splits - np.argmax(to_a[:, ::-1], axis=1) - 1, -1)
    full = np.concatenate([low[:, None], points, high[:, None]], axis=1)
    rows = np.arange(len(brackets))
    return Brackets(full[rows, last_a + 1], full[rows, last_a + 2], brackets.a, brackets.b)


def _interior(count: int) -> FloatArray:
    """`count` points in (0, 1), evenly spaced but shifted off the symmetric ones (the middle,
    the quarters): a symmetric system has its boundary exactly there, where a run would
    never leave the saddle."""
    t: FloatArray = (np.arange(count) + _OFFSET) / count
    return t


# the shift of _interior's points, an irrational share of their spacing
_OFFSET = (np.sqrt(5.0) - 1.0) / 2.0


def track(
    basins: Basins, brackets: Brackets, separation: float
) -> tuple[Brackets, FloatArray, FloatArray]:
    """Edge tracking: both states of each bracket run together (a free run each) until they
    are `separation` apart (or max_steps pass). Returns the pair where they parted, still on
    either side of the boundary (the new bracket), and the slowest state the a-side run
    passed (K, N) with its speed |F| (K,): near the edge state, where the runs linger."""
    low, high = brackets.low.copy(), brackets.high.copy()
    slowest, least = low.copy(), np.full(len(brackets), np.inf)
    active = np.arange(len(brackets))
    for _ in range(basins.max_steps):
        if active.size == 0:
            break
        both, velocity = basins.flow.step(np.vstack([low[active], high[active]]))
        speed = np.linalg.norm(velocity[: active.size], axis=1)
        slower = speed < least[active]
        least[active[slower]] = speed[slower]
        slowest[active[slower]] = low[active[slower]]
        moved_low, moved_high = both[: active.size], both[active.size :]
        apart = np.linalg.norm(moved_high - moved_low, axis=1) > separation
        staying = active[~apart]
        low[staying], high[staying] = moved_low[~apart], moved_high[~apart]
        active = staying
    return replace(brackets, low=low, high=high), slowest, least
