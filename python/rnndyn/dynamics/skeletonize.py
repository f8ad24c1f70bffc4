"""The skeleton of a network: its attractors, the saddles between them and which attractors
each saddle joins (docs/mathematics.md, The skeleton).

`skeleton` runs these stages in order, each a function below: the fixed-point search from the
given states; the mirror image of every point where F is odd; more zeros by deflation; the
attractors, and those the starts missed (from straight-line neighbours of known ones and
from the saddles' branches); the saddles on the boundaries between attractors (bisection by
free runs, then edge tracking, then Newton); and the graph (each 1-saddle's two branches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import scipy.spatial
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array, as_float, as_int, as_jobs
from ..fixedpoints.linearization import CoreSystem
from ..fixedpoints.result import FixedPoints, concatenate, near_any
from ..fixedpoints.search import find_fixed_points, resolve_system
from ..fixedpoints.systems import VelocitySystem
from ..networks.esn import ESN
from ..networks.maps import MapNetwork
from ..networks.rnn import RNN
from .boundaries import Basins, Brackets, bisect, direct_crossings, track
from .branches import branch_starts, either_side
from .cycles import Cycles, find_cycles, leading_directions
from .deflation import deflated_newton
from .flow import REST_SPEED, FloatArray, Flow, close_pairs, distances, settling_radii
from .graph import Skeleton
from .limit_cycles import SAMPLES

System = ESN | MapNetwork | VelocitySystem


@dataclass(frozen=True)
class _Options:
    """The skeleton's settings, checked."""

    n_jobs: int
    tol_q: float
    tol_unique: float
    radius: float
    max_steps: int
    samples: int
    neighbours: int | None
    rounds: int
    patience: int | None
    edge_tolerance: float
    deflation: int
    branch: float
    boundary_starts: int
    boundary_spread: float


@dataclass
class _Work:
    """What the stages share: the system, its C++ system, the flow of free runs, the points
    found so far, the known attractors."""

    system: System
    inputs: ArrayLike | None
    core: CoreSystem | None
    flow: Flow
    options: _Options
    found: FixedPoints
    attractors: FloatArray
    # each attractor's states (k, N): a fixed point's one, a cycle's k
    orbits: list[FloatArray] = field(default_factory=list)
    # the stable cycles among the attractors (in their order), and a map's cycles with one
    # unstable direction, found with them
    stable_cycles: Cycles | None = None
    saddle_cycles: Cycles | None = None
    # the last graph and the (points, attractors) counts it was made for: points and
    # attractors are only ever added, so equal counts mean the same graph
    edges: tuple[tuple[int, int], NDArray[np.intp]] | None = None
    # (B, 2) the pairs of attractors whose segment passes directly between their basins
    adjacent: NDArray[np.intp] = field(default_factory=lambda: np.zeros((0, 2), np.intp))
    # for adjacent pairs whose edge tracking came to rest at a known point: that point
    rests: dict[tuple[int, int], FloatArray] = field(default_factory=dict)

    def search(self, starts: FloatArray, max_iter: int | None = None) -> FixedPoints:
        """The new fixed points (q <= tol_q, none within tol_unique of one known) that Newton
        reaches from `starts` (K, N), linearised."""
        return find_fixed_points(
            self.system,
            starts,
            self.inputs,
            tol_q=self.options.tol_q,
            tol_unique=self.options.tol_unique,
            max_iter=max_iter,
            kinds="fixed",
            n_jobs=self.options.n_jobs,
            exclude=self.found.points,
        )

    def add(self, starts: FloatArray, max_iter: int | None = None) -> None:
        """Search from `starts` and merge what it finds into `found`."""
        if starts.shape[0]:
            self.merge(self.search(starts, max_iter))

    def merge(self, more: FixedPoints) -> None:
        """`more` points into `found`."""
        if len(more):
            self.found = concatenate([self.found, more], self.options.tol_unique)

    def basins(self, saddles: FloatArray | None = None) -> Basins:
        """Free runs told apart by the attractors known now: each at any of its states
        (`saddles`: settling radii kept short of them, for runs that start beside them)."""
        centres = np.vstack([self.attractors[:0], *self.orbits])
        owner = np.repeat(np.arange(len(self.orbits)), [o.shape[0] for o in self.orbits])
        return Basins(
            self.flow,
            self.attractors,
            centres,
            owner.astype(np.intp),
            settling_radii(centres, self.options.radius, owner.astype(np.intp), saddles),
            self.options.max_steps,
        )

    def add_attractors(self, orbits: list[FloatArray]) -> None:
        """New attractors, each given by its states (k, N) (k = 1: a fixed point)."""
        if orbits:
            self.attractors = np.vstack([self.attractors, *(o[:1] for o in orbits)])
            self.orbits += orbits


def skeleton(
    system: System,
    initial_states: ArrayLike,
    inputs: ArrayLike | None = None,
    n_jobs: int | None = None,
    *,
    tol_q: float = 1e-20,
    tol_unique: float = 1e-3,
    radius: float = 0.25,
    max_steps: int = 5_000,
    samples: int = 31,
    neighbours: int | None = None,
    rounds: int = 8,
    patience: int | None = 3,
    edge_tolerance: float = 1e-4,
    deflation: int | Literal["auto"] = "auto",
    branch: float = 1e-3,
    step: float | None = None,
    boundary_starts: int = 32,
    boundary_spread: float = 0.2,
) -> Skeleton:
    """The attractors of `system`, the saddles between them and which attractors each
    1-saddle joins.

    - system: an ESN (its closed loop at the constant `inputs` (I,)), an RNN, or a Python
      system (`velocity`, `jacobian`; `discrete_time` for a map).
    - initial_states: (K, N) starts for the fixed-point search (e.g. `flipflop_starts`).
    - n_jobs: threads (None: the cores this process may use); results do not depend on it.
    - tol_q, tol_unique: as in `find_fixed_points` (fixed points only: q <= tol_q).
    - radius: a free run has settled at an attractor once within `radius` times the
      distance from that attractor to the nearest other one (for the 1-saddles' branches,
      also within half its distance to the nearest of those saddles).
    - max_steps: the longest free run, in the system's own steps (an ESN's Euler steps).
    - samples: interior points of each segment between two attractors whose runs tell
      whether it passes directly from one basin to the other.
    - neighbours: pairs of attractors examined: each with its `neighbours` nearest others
      (None: ceil(log2 A) + 1, the neighbours of a hypercube's corner and one more).
    - rounds: edge-tracking rounds for a pair, while no saddle found joins it (fewer once
      its runs come back to a known point, or their least speed stops falling).
    - patience: rounds without the least speed of a pair's runs halving after which its
      tracking stops (None: never).
    - edge_tolerance: brackets are bisected to this share of the distance between the two
      attractors; a round tracks for about ln(1e-3 / edge_tolerance) / λ steps (λ the growth
      rate off the boundary). Some boundaries hold long transients before their edge state
      (a Table 1 network trained with seed 1: about 15,000 steps): rounds=80,
      patience=None, edge_tolerance=1e-10 reach it, in minutes.
    - deflation: starts for deflated Newton (0: none; "auto": 32 up to N = 400, else none).
    - branch: each 1-saddle's branches start at x ± branch·d·v, v its unstable vector and d
      its distance to the nearest attractor.
    - step: the step of free runs for a continuous-time Python system (default 0.1).
    - boundary_starts: Newton starts around the boundary point of each pair that tracking
      left unjoined, jittered by Gaussian noise of norm about `boundary_spread` times the
      distance between the two attractors (0: none).
    """
    size, core, discrete = resolve_system(system, inputs)
    options, starts = _check(
        size,
        initial_states,
        n_jobs,
        tol_q,
        tol_unique,
        radius,
        max_steps,
        samples,
        neighbours,
        rounds,
        patience,
        edge_tolerance,
        deflation,
        branch,
        boundary_starts,
        boundary_spread,
    )
    flow = Flow.of(system, core, options.n_jobs, step, inputs)
    empty = FixedPoints.empty(starts.shape[1])
    work = _Work(system, inputs, core, flow, options, empty, starts[:0])
    work.add(starts)
    _add_twins(work)
    _add_midpoints(work)
    if options.deflation:
        chosen = starts[:: max(1, starts.shape[0] // options.deflation)][: options.deflation]
        work.add(deflated_zeros(work, chosen))
        _add_twins(work)
    _find_attractors(work)
    _add_cycles(work, starts, discrete)
    _find_saddles(work)
    return _graph(work)


def _check(
    size: int | None,
    initial_states: ArrayLike,
    n_jobs: int | None,
    tol_q: float,
    tol_unique: float,
    radius: float,
    max_steps: int,
    samples: int,
    neighbours: int | None,
    rounds: int,
    patience: int | None,
    edge_tolerance: float,
    deflation: int | Literal["auto"],
    branch: float,
    boundary_starts: int,
    boundary_spread: float,
) -> tuple[_Options, FloatArray]:
    """The options checked, and the starts (K, N) as an array."""
    starts = as_array("initial_states", initial_states, (None, size))
    if starts.shape[0] == 0 or starts.shape[1] == 0:
        raise ValueError("initial_states must hold at least one state of width N >= 1")
    if isinstance(deflation, str) and deflation != "auto":
        raise TypeError(f"deflation must be 'auto' or an int >= 0, got {deflation!r}")
    if deflation == "auto":
        deflation = 32 if starts.shape[1] <= _DEFLATION_LIMIT else 0
    radius = as_float("radius", radius, positive=True)
    if radius >= 0.5:
        raise ValueError(f"radius must be < 0.5 (a share of the distance), got {radius}")
    options = _Options(
        as_jobs("n_jobs", n_jobs),
        as_float("tol_q", tol_q, minimum=0.0),
        as_float("tol_unique", tol_unique, minimum=0.0),
        radius,
        as_int("max_steps", max_steps, minimum=1),
        as_int("samples", samples, minimum=1),
        None if neighbours is None else as_int("neighbours", neighbours, minimum=1),
        as_int("rounds", rounds, minimum=0),
        None if patience is None else as_int("patience", patience, minimum=1),
        as_float("edge_tolerance", edge_tolerance, positive=True, below=_TRACK_SEPARATION),
        as_int("deflation", deflation, minimum=0),
        as_float("branch", branch, positive=True),
        as_int("boundary_starts", boundary_starts, minimum=0),
        as_float("boundary_spread", boundary_spread, positive=True),
    )
    return options, starts


# -- the stages ----------------------------------------------------------------------------------


def _add_twins(work: _Work) -> None:
    """Where F is odd (an odd φ, no bias, no input offset: F(-x) = -F(x)), -x of every point
    found is a zero too, with the same q and the same Jacobian (φ' is even), so the same
    linearisation; and so is 0, which Newton confirms."""
    if not (len(work.found) and _is_odd(work.system, work.inputs)):
        return
    fps = work.found
    new = np.flatnonzero(~near_any(-fps.points, fps.points, work.options.tol_unique))
    twins = fps[new]
    q = 0.5 * np.sum(work.flow.velocity(-twins.points) ** 2, axis=1)
    twins = replace(twins, points=-twins.points, q=q, count=np.zeros_like(twins.count))
    work.merge(twins[q <= work.options.tol_q])
    origin = np.zeros((1, fps.points.shape[1]))
    work.add(origin[~near_any(origin, work.found.points, work.options.tol_unique)])


def _add_midpoints(work: _Work) -> None:
    """Newton from the midpoints of neighbouring zeros (each with those at most twice as far
    as its nearest): between two memories lies the saddle that separates them, between two
    saddles often one of higher index; repeated (with the twins) while new zeros appear, from
    the midpoints not tried before."""
    tried = work.found.points[:0]
    for _ in range(_MAX_DISCOVERY_ROUNDS):
        before = len(work.found)
        points = work.found.points
        pairs = close_pairs(points, _MIDPOINT_REACH, _MIDPOINTS)
        middles = 0.5 * (points[pairs[:, 0]] + points[pairs[:, 1]])
        new = ~near_any(middles, np.vstack([points, tried]), work.options.tol_unique)
        work.add(middles[new], _NEAR_ITER)
        tried = np.vstack([tried, middles[new]])
        _add_twins(work)
        if len(work.found) == before:
            return


def _find_attractors(work: _Work) -> None:
    """The stable fixed points, and those the starts missed: free runs from the straight-line
    neighbours of known attractors (b + c - a for a and its nearest b, c) that come to rest
    somewhere new are finished by Newton; repeated while new ones appear."""
    work.add_attractors([p[None] for p in work.found.points[_stable(work.found)]])
    for _ in range(_MAX_DISCOVERY_ROUNDS):
        guesses = _parallelogram_corners(work.attractors, work.options)
        if not _discover(work, guesses):
            return


def _add_cycles(work: _Work, starts: FloatArray, discrete: bool) -> None:
    """Free runs from the starts that settle at no known attractor, nor come to rest, may end
    on cycles: the stable ones found from their ends join the attractors (docs/mathematics.md,
    Cycles)."""
    rest = REST_SPEED * np.sqrt(starts.shape[1])
    settled = work.basins().settle(starts, rest)
    moving = (settled.label < 0) & (settled.speed > rest)
    ends = settled.ends[moving & np.all(np.isfinite(settled.ends), 1)]
    if discrete:
        ends = _returning(work.flow, ends)
    if ends.shape[0] == 0:
        return
    ends = np.unique(np.round(ends, 6), axis=0)[: _CYCLE_STARTS if discrete else _ORBIT_STARTS]
    longest = _MAX_PERIOD if discrete else None
    cycles = find_cycles(
        work.system, ends, work.inputs, longest, work.options.n_jobs, tol_unique=_CYCLE_TOL
    )
    known = np.vstack([work.attractors[:0], *work.orbits])
    stable = cycles.take(cycles.is_stable)
    orbits = stable.points if discrete else [_euler_orbit(work, o) for o in stable.points]
    new = [not near_any(o[:1], known, work.options.tol_unique)[0] for o in orbits]
    work.add_attractors([o for o, keep in zip(orbits, new, strict=True) if keep])
    work.stable_cycles = stable.take(np.array(new, dtype=bool))
    if discrete:
        work.saddle_cycles = cycles.take(cycles.unstable_dims == 1)


def _euler_orbit(work: _Work, samples: FloatArray) -> FloatArray:
    """The states (at most SAMPLES) along the cycle of the free runs' own (Euler) steps that
    lies by a flow's periodic orbit (samples (S, N) over one period): free runs settle on
    that one, O(dt/τ) from the ODE's."""
    x = work.flow.advance(samples[:1], work.options.max_steps + 1)[0]
    path = [x]
    # once around, whatever the Euler cycle's period: back near the start (within a share
    # of the spread, and a step) after having gone halfway across
    spread = float(np.max(np.linalg.norm(samples - samples[0], axis=1)))
    across = False
    for _ in range(20 * work.options.max_steps):
        path.append(work.flow.step(path[-1])[0])
        gap = float(np.linalg.norm(path[-1] - path[0]))
        across = across or gap > 0.5 * spread
        if across and gap <= _CLOSED * spread + float(np.linalg.norm(path[-1] - path[-2])):
            break
    states = np.vstack(path)
    return states[:: max(1, len(path) // SAMPLES)]


def _returning(flow: Flow, states: FloatArray) -> FloatArray:
    """The rows of `states` (K, N) that a map brings back within _RETURN_TOL (relative) after
    k = 2 .. _MAX_PERIOD steps, not after 1: runs on a cycle, not on a chaotic set (from
    which Newton on every period would be slow and in vain)."""
    orbit = [states]
    for _ in range(_MAX_PERIOD):
        orbit.append(flow.step(orbit[-1])[0])
    scale = _RETURN_TOL * np.maximum(1.0, np.max(np.abs(states), axis=1))
    back = np.stack([np.max(np.abs(o - states), axis=1) <= scale for o in orbit[1:]])
    returned: FloatArray = states[back[1:].any(axis=0) & ~back[0]]
    return returned


def _find_saddles(work: _Work) -> None:
    """For each pair of neighbouring attractors whose segment passes directly from one basin
    to the other: bisection to the boundary, then edge tracking. Where F is odd, a pair's
    mirror image (-a, -b) has the mirror boundary and saddles (the twins), so one of the two
    is run. The pairs whose basins meet there are `adjacent`: all but those whose segment
    crosses where more basins meet (their tracking ends at a saddle of index >= 2)."""
    basins = work.basins()
    mirror = _mirror_of(work)
    pairs = _neighbour_pairs(work.attractors, work.options.neighbours)
    crossing = direct_crossings(basins, _one_of_each_mirror(pairs, mirror), work.options.samples)
    crossed = _with_mirrors(np.column_stack([crossing.a, crossing.b]), mirror)
    brackets = bisect(basins, crossing, work.options.edge_tolerance)
    rests = _track_edges(work, basins, brackets)
    _search_boundaries(work, brackets)
    for (a, b), state in list(rests.items()):
        if min(mirror[a], mirror[b]) >= 0:
            rests[min(mirror[a], mirror[b]), max(mirror[a], mirror[b])] = -state
    index = work.found.unstable_dims[_indices_of(np.array(list(rests.values())), work.found.points)]
    junction = {pair for pair, dims in zip(rests, index.tolist(), strict=True) if dims >= 2}
    work.adjacent = np.array(
        [p for p in crossed.tolist() if tuple(p) not in junction], dtype=np.intp
    ).reshape(-1, 2)
    work.rests = {pair: state for pair, state in rests.items() if pair not in junction}


def _track_edges(
    work: _Work, basins: Basins, brackets: Brackets
) -> dict[tuple[int, int], FloatArray]:
    """Edge tracking (the pair runs along the boundary until it parts, and is bisected
    again), Newton from the slowest state of each run; for `rounds` rounds, until a saddle
    joins the pair or the runs come back to the same known point: the edge state, which
    joins other attractors or has more unstable directions (more rounds would find it
    again), or until their least speed has not halved for `patience` rounds (an edge state
    that is not a fixed point: a saddle cycle, a chaotic saddle). Returns, for the pairs
    (a < b) whose runs came to rest at a known point, that point."""
    last = np.full(brackets.low.shape, np.nan)
    best, stalls = np.full(len(brackets), np.inf), np.zeros(len(brackets), dtype=np.intp)
    rests: dict[tuple[int, int], FloatArray] = {}
    for _ in range(work.options.rounds):
        if not len(brackets):
            break
        gap = _pair_distance(work.attractors, brackets)
        brackets, slowest, least = track(basins, brackets, _TRACK_SEPARATION * float(np.min(gap)))
        stalls = np.where(least < 0.5 * best, 0, stalls + 1)
        best = np.minimum(best, least)
        work.add(slowest, _NEAR_ITER)
        _add_twins(work)
        near = work.found.points[_indices_of(slowest, work.found.points)]
        close = np.linalg.norm(near - slowest, axis=1) <= _EDGE_STATE_SHARE * gap
        again = close & (np.linalg.norm(near - last, axis=1) <= work.options.tol_unique)
        ends = [
            (a, b) for a, b in np.sort(np.column_stack([brackets.a, brackets.b]), axis=1).tolist()
        ]
        rests.update((ends[k], near[k]) for k in np.flatnonzero(again))
        joined = _joined_pairs(work)
        patient = stalls < (work.options.patience or work.options.rounds + 1)
        open_ = ~again & patient & np.array([e not in joined for e in ends], bool)
        brackets, last = brackets.take(open_), near[open_]
        best, stalls = best[open_], stalls[open_]
        brackets = bisect(basins, brackets, work.options.edge_tolerance)
    return rests


def _search_boundaries(work: _Work, brackets: Brackets) -> None:
    """Newton from jittered copies of the boundary point of each pair that edge tracking
    left unjoined (Gaussian, of norm about boundary_spread times the pair's distance): a
    boundary's 1-saddle can lie well off the segment, where tracking does not lead when the
    boundary meets other basins on its way (a Table 1 network trained with seed 3: 17 off
    the segment of two memories 56 apart)."""
    joined = _joined_pairs(work)
    ends = np.sort(np.column_stack([brackets.a, brackets.b]), axis=1).tolist()
    rows = np.array([k for k, e in enumerate(ends) if tuple(e) not in joined], dtype=np.intp)
    count = work.options.boundary_starts
    if rows.size == 0 or count == 0:
        return
    width = work.options.boundary_spread * _pair_distance(work.attractors, brackets.take(rows))
    centres = np.repeat(brackets.low[rows], count, axis=0)
    noise = np.random.default_rng(0).standard_normal(centres.shape)
    jitter = noise * (np.repeat(width, count) / np.sqrt(centres.shape[1]))[:, None]
    work.add(centres + jitter, _NEAR_ITER)
    _add_twins(work)


def _graph(work: _Work) -> Skeleton:
    """Each 1-saddle's branches run to the attractors they join; an attractor they find that
    was not known joins the skeleton too."""
    edges = _branches(work)
    fixed_rows = _indices_of(work.attractors, work.found.points).tolist()
    saddle_cycles = work.saddle_cycles
    return Skeleton(
        fixed_points=work.found,
        attractor_states=work.attractors,
        attractor_kind=np.array(
            ["cycle" if o.shape[0] > 1 else "fixed" for o in work.orbits], dtype="<U5"
        ).reshape(-1),
        attractor_index=np.array(
            [
                row if o.shape[0] == 1 else -1
                for row, o in zip(fixed_rows, work.orbits, strict=True)
            ],
            dtype=np.intp,
        ).reshape(-1),
        edges=edges,
        adjacent=work.adjacent,
        boundary_saddle=_boundary_saddles(work, edges),
        stable_cycles=work.stable_cycles,
        saddle_cycles=saddle_cycles,
        cycle_edges=_cycle_edges(work, saddle_cycles),
    )


def _cycle_edges(work: _Work, cycles: Cycles | None) -> NDArray[np.intp]:
    """(E', 3): each saddle cycle's row and the attractors that free runs from its first state
    ± branch·d·v settle in (v its unstable direction, d the distance to the nearest
    attractor), ascending, -1 last for none."""
    if cycles is None or len(cycles) == 0 or work.attractors.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.intp)
    x = cycles.first_states
    assert not isinstance(work.system, ESN)  # only a map has cycles here
    v = leading_directions(work.system, cycles, work.inputs)
    starts = either_side(x, v, work.attractors, work.options.branch)
    settled = work.basins().settle(starts, REST_SPEED * np.sqrt(x.shape[1]))
    return np.column_stack([np.arange(len(cycles)), _edge_ends(settled.label)]).astype(np.intp)


def _edge_ends(label: NDArray[np.intp]) -> NDArray[np.intp]:
    """(S, 2) from the labels (2S,) of the runs from x + s v (first S) and x - s v: the two
    attractors each saddle joins, ascending, -1 last for a run that settled nowhere."""
    none = np.iinfo(np.intp).max
    ends = np.sort(np.where(label < 0, none, label).reshape(2, -1).T, axis=1)
    return np.where(ends == none, -1, ends).astype(np.intp)


def _boundary_saddles(work: _Work, edges: NDArray[np.intp]) -> NDArray[np.intp]:
    """(B,) for each adjacent pair the row of the 1-saddle that joins it, else of the point
    where tracking its boundary came to rest, else -1."""
    joining = {(int(a), int(b)): int(row) for row, a, b in edges[::-1]}
    rows = []
    for a, b in work.adjacent.tolist():
        rest = work.rests.get((a, b))
        at_rest = -1 if rest is None else int(_indices_of(rest[None], work.found.points)[0])
        rows.append(joining.get((a, b), at_rest))
    return np.array(rows, dtype=np.intp)


# -- the parts -----------------------------------------------------------------------------------

# deflation ("auto") up to this N: its Newton steps factorise the dense J
_DEFLATION_LIMIT = 400
# zeros sought from one start by deflation, each deflated in turn
_DEFLATED_PER_START = 2
# Newton's iterations from a state expected near a zero (a midpoint, an edge state's slowest
# state): those that do not converge soon are left, not chased by Levenberg-Marquardt
_NEAR_ITER = 40
# midpoints of neighbouring zeros: of pairs at most this many times their nearest distance
# (twice: the two saddles either side of one of higher index), at most this many a round
_MIDPOINT_REACH, _MIDPOINTS = 2.05, 1024
# rounds of looking for attractors the starts missed
_MAX_DISCOVERY_ROUNDS = 3
# a map's cycles as attractors: the longest period sought, from at most this many distinct
# ends of free runs, whose states are one within this distance
_MAX_PERIOD, _CYCLE_STARTS, _CYCLE_TOL = 8, 256, 1e-6
# a flow's free-run ends handed to shooting, at most (each costs seconds at N = 1000)
_ORBIT_STARTS = 16
# an Euler run has gone once around a cycle when back within this share of its spread
_CLOSED = 0.01
# a run's end counts as on a cycle when it comes back this close (relative) after k steps
_RETURN_TOL = 1e-4
# edge tracking re-bisects once the pair is this share of the attractors' distance apart
_TRACK_SEPARATION = 1e-3
# an edge-tracking run whose slowest state is within this share of the pair's distance of a
# known fixed point has reached it
_EDGE_STATE_SHARE = 0.05


def deflated_zeros(work: _Work, starts: FloatArray) -> FloatArray:
    """Zeros that deflated Newton reaches from `starts` (K, N) away from those known, each
    new zero deflated in turn (docs/mathematics.md, The skeleton: deflation)."""
    velocity, jacobian = _residual(work)
    known = work.found.points
    found = []
    for start in starts:
        for _ in range(_DEFLATED_PER_START):
            zero = deflated_newton(velocity, jacobian, start, known, work.options.tol_q)
            if zero is None or near_any(zero[None], known, work.options.tol_unique)[0]:
                break
            found.append(zero)
            known = np.vstack([known, zero])
    return np.array(found).reshape(-1, starts.shape[1])


def _residual(
    work: _Work,
) -> tuple[Callable[[FloatArray], FloatArray], Callable[[FloatArray], FloatArray]]:
    """x -> F(x) and x -> J(x) for one state (N,)."""
    core = work.core
    if core is not None:
        return (lambda x: core.velocity(x[None])[0]), core.jacobian
    assert isinstance(work.system, VelocitySystem)  # resolve_system leaves only these
    system = work.system
    return (lambda x: np.asarray(system.velocity(x), dtype=float)), (
        lambda x: np.asarray(system.jacobian(x), dtype=float)
    )


def _discover(work: _Work, guesses: FloatArray) -> bool:
    """Free runs from `guesses` (K, N): those that come to rest away from every known
    attractor are finished by Newton, and the stable points found join the attractors.
    Returns whether any did."""
    if guesses.shape[0] == 0:
        return False
    basins = work.basins()
    rest = REST_SPEED * np.sqrt(guesses.shape[1])
    settled = basins.settle(guesses, rest)
    resting = settled.ends[(settled.label < 0) & (settled.speed <= rest)]
    return _adopt(work, resting)


def _adopt(work: _Work, states: FloatArray) -> bool:
    """Newton from `states`; the stable points it finds that are new join the attractors."""
    if states.shape[0] == 0:
        return False
    more = work.search(states)
    stable = more.points[_stable(more)]
    new = stable[~near_any(stable, work.attractors, work.options.tol_unique)]
    if len(more):
        work.found = concatenate([work.found, more], work.options.tol_unique)
    work.add_attractors([p[None] for p in new])
    return bool(new.shape[0] > 0)


def _branches(work: _Work) -> NDArray[np.intp]:
    """(E, 3): each 1-saddle's row and the attractors its two branches x ± ε v settle in;
    branches that come to rest somewhere new are finished by Newton and settle again. Runs
    again only when points or attractors were added since the last time."""
    if work.edges is not None and work.edges[0] == (len(work.found), len(work.attractors)):
        return work.edges[1]
    edges = _run_branches(work)
    work.edges = (len(work.found), len(work.attractors)), edges
    return edges


def _run_branches(work: _Work) -> NDArray[np.intp]:
    """_branches' free runs."""
    fps = work.found
    one = np.flatnonzero((fps.kind == "fixed") & (fps.unstable_dims == 1))
    if one.size == 0 or work.attractors.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.intp)
    starts = branch_starts(fps, one, work.attractors, work.options.branch)
    for _ in range(_MAX_DISCOVERY_ROUNDS):
        # a branch starts beside its saddle: a memory's settling ball must not hold the
        # saddle, or a branch that leaves for another memory is counted at once
        basins = work.basins(fps.points[one])
        rest = REST_SPEED * np.sqrt(starts.shape[1])
        settled = basins.settle(starts, rest)
        resting = settled.ends[(settled.label < 0) & (settled.speed <= rest)]
        if not _adopt(work, resting):
            break
    ends = _edge_ends(settled.label)
    # points adopted on the way reorder `found` (by q): the saddles' rows there now
    rows = _indices_of(fps.points[one], work.found.points)
    return np.column_stack([rows, ends]).astype(np.intp)


def _joined_pairs(work: _Work) -> set[tuple[int, int]]:
    """The pairs of attractors that the 1-saddles found so far join."""
    return {(int(a), int(b)) for _, a, b in _branches(work) if a >= 0 and b >= 0 and a != b}


def _parallelogram_corners(attractors: FloatArray, options: _Options) -> FloatArray:
    """b + c - a for each attractor a and two of its nearest others b, c: where a missing
    corner of a cube (or any parallelogram) of attractors would be."""
    count = attractors.shape[0]
    if count < 3:
        return attractors[:0]
    k = min(_neighbour_count(count, options.neighbours), count - 1)
    nearest = np.argsort(distances(attractors), axis=1)[:, :k]
    guesses: FloatArray = np.array(
        [
            attractors[row[i]] + attractors[row[j]] - attractors[a]
            for a, row in enumerate(nearest)
            for i in range(k)
            for j in range(i + 1, k)
        ]
    )
    far = ~near_any(
        guesses, attractors, 0.5 * float(np.min(settling_radii(attractors, options.radius)))
    )
    corners: FloatArray = guesses[far]
    return corners


def _mirror_of(work: _Work) -> NDArray[np.intp]:
    """(A,) the row of -a among the attractors for each attractor a where F is odd (-1: none,
    or F not odd)."""
    attractors = work.attractors
    none = np.full(attractors.shape[0], -1, dtype=np.intp)
    if attractors.shape[0] == 0 or not _is_odd(work.system, work.inputs):
        return none
    rows = _indices_of(-attractors, attractors)
    found = np.linalg.norm(attractors[rows] + attractors, axis=1) <= work.options.tol_unique
    return np.where(found, rows, none)


def _mirror_pairs(pairs: NDArray[np.intp], mirror: NDArray[np.intp]) -> NDArray[np.intp]:
    """(P, 2) each pair's mirror image (ascending), or (-1, -1) where it has none."""
    images = np.sort(mirror[pairs], axis=1)
    return np.where(np.any(images < 0, axis=1, keepdims=True), -1, images)


def _one_of_each_mirror(pairs: NDArray[np.intp], mirror: NDArray[np.intp]) -> NDArray[np.intp]:
    """The pairs (P, 2) less those whose mirror image is among them and comes first."""
    images = _mirror_pairs(pairs, mirror)
    order = {tuple(p): k for k, p in enumerate(pairs.tolist())}
    keep = [order.get(tuple(image), k) >= k for k, image in enumerate(images.tolist())]
    kept: NDArray[np.intp] = pairs[np.array(keep, dtype=bool)].reshape(-1, 2)
    return kept


def _with_mirrors(pairs: NDArray[np.intp], mirror: NDArray[np.intp]) -> NDArray[np.intp]:
    """(B, 2) the pairs (ascending) and their mirror images, each once, sorted."""
    both = np.vstack([np.sort(pairs, axis=1), _mirror_pairs(pairs, mirror)])
    both = both[np.all(both >= 0, axis=1)]
    return np.unique(both, axis=0).reshape(-1, 2).astype(np.intp)


def _neighbour_pairs(attractors: FloatArray, neighbours: int | None) -> NDArray[np.intp]:
    """(P, 2) pairs of attractors: each with its nearest others, nearest pairs first."""
    count = attractors.shape[0]
    if count < 2:
        return np.zeros((0, 2), dtype=np.intp)
    k = min(_neighbour_count(count, neighbours), count - 1)
    distance = distances(attractors)
    nearest = np.argsort(distance, axis=1)[:, :k]
    pairs = {(min(a, int(b)), max(a, int(b))) for a, row in enumerate(nearest) for b in row}
    ordered = sorted(pairs, key=lambda p: (distance[p], p))
    return np.array(ordered, dtype=np.intp).reshape(-1, 2)


def _neighbour_count(count: int, neighbours: int | None) -> int:
    """`neighbours`, or ceil(log2 A) + 1: a hypercube corner's neighbours and one more."""
    return neighbours if neighbours is not None else int(np.ceil(np.log2(count))) + 1


def _pair_distance(attractors: FloatArray, brackets: Brackets) -> FloatArray:
    """|a - b| for each bracket's two attractors."""
    gaps: FloatArray = np.linalg.norm(attractors[brackets.a] - attractors[brackets.b], axis=1)
    return gaps


def _indices_of(states: FloatArray, points: FloatArray) -> NDArray[np.intp]:
    """The row of `points` nearest each of `states`."""
    if states.shape[0] == 0:
        return np.zeros(0, dtype=np.intp)
    _, rows = scipy.spatial.cKDTree(points).query(states)
    return np.asarray(rows, dtype=np.intp)


def _stable(found: FixedPoints) -> NDArray[np.bool_]:
    stable: NDArray[np.bool_] = found.is_stable & (found.kind == "fixed")
    return stable


def _is_odd(system: System, inputs: ArrayLike | None) -> bool:
    """Whether F(-x) = -F(x): an odd φ (tanh), no bias and no input offset."""
    if isinstance(system, ESN | RNN):
        return (
            system.activation == "tanh"
            and system.bias is None
            and not np.any(system.offset(inputs))
        )
    return False
