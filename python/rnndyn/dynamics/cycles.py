"""Cycles of maps: k-cycles of a discrete-time network h ← f(h) (an RNN, or a Python system
with `discrete_time`), as zeros of G_k(h) = f^k(h) - h of minimal period k, with their
multipliers (docs/mathematics.md, Cycles: maps).

Candidates come two ways: free runs from the starts that come back to where they were after k
steps (the stable cycles), and Newton's method on G_k from every start for each k (unstable
ones too). Newton's step solves (M - I) d = -G_k(h) with the monodromy M = Df(h_{k-1}) ⋯
Df(h_0) along the orbit, formed densely (k products of N x N matrices a step): meant for the
sizes of networks trained in PyTorch (N up to a few hundred). Periodic orbits of a
continuous-time system (an ESN's closed loop) are limit_cycles.py's; `find_cycles` takes both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray

from .._io import SavedResult
from .._validation import as_array, as_float, as_int, as_jobs
from ..fixedpoints.search import resolve_system
from ..fixedpoints.systems import VelocitySystem
from ..networks.esn import ESN
from ..networks.maps import MapNetwork
from .flow import Flow, close_pairs
from .limit_cycles import Orbit, flow_cycles

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
# the multipliers kept per cycle: the largest in modulus
_MULTIPLIERS = 10
# beyond this many units, Newton's step is solved by GMRES on the monodromy's products (at
# most _KRYLOV iterations, to _KRYLOV_TOL of the residual) instead of forming it
_DENSE, _KRYLOV, _KRYLOV_TOL = 200, 60, 1e-10
# halvings of Newton's step tried before a start is given up
_BACKTRACKS = 12
# rounds of Newton from midpoints of known cycles' states, at most this many pairs a period
_MIDPOINT_ROUNDS, _MIDPOINTS = 6, 4096
# midpoints of states at most this many times their nearest distance apart
_MIDPOINT_REACH = 2.05


@dataclass(frozen=True)
class Cycles(SavedResult):
    """Cycles, one row per distinct cycle (found from several starts or phases, it counts
    once): k-cycles of a map, or periodic orbits of a continuous-time system.

    - period: (M,) the minimal period: int steps of a map, or float time units of a flow.
    - states: (sum of lengths, N) the states along every orbit, one after the other (`points`
      splits them by cycle): a map's k states, or a flow's states at SAMPLES equal times
      over one period.
    - lengths: (M,) int, the states each cycle has in `states`.
    - multipliers: (M, m) complex, the leading eigenvalues of each cycle's monodromy matrix,
      largest modulus first (m = min(N, 10); NaN where fewer are known).
    - trivial: (M,) int, the column of a flow's trivial multiplier (≈ 1, along the orbit);
      -1 for a map, which has none.
    - unstable_dims: (M,) the multipliers outside the unit circle (the trivial one aside);
      is_stable: (M,) none outside.
    - residual: (M,) max ‖f^k(h) - h‖ (or ‖Φ_T(x) - x‖) over the orbit (max norm), at the end.
    """

    period: NDArray[np.intp] | FloatArray
    states: FloatArray
    lengths: NDArray[np.intp]
    multipliers: NDArray[np.complex128]
    trivial: NDArray[np.intp]
    unstable_dims: NDArray[np.intp]
    is_stable: NDArray[np.bool_]
    residual: FloatArray

    def __len__(self) -> int:
        return int(self.period.size)

    @property
    def discrete_time(self) -> bool:
        """Whether these are cycles of a map (periods in steps)."""
        return bool(np.issubdtype(self.period.dtype, np.integer))

    @property
    def points(self) -> list[FloatArray]:
        """Each cycle's states (lengths[i], N), in the order the orbit visits them."""
        return np.split(self.states, np.cumsum(self.lengths)[:-1]) if len(self) else []

    @property
    def first_states(self) -> FloatArray:
        """(M, N) each cycle's first state."""
        first: FloatArray = self.states[np.cumsum(self.lengths) - self.lengths]
        return first

    def summary(self) -> str:
        """A line per period (a map's), or per cycle (a flow's): stable or unstable dimensions."""
        lines = [f"{len(self)} cycles"]
        if not self.discrete_time:
            for i, period in enumerate(self.period.tolist()):
                kind = "stable" if self.is_stable[i] else f"{self.unstable_dims[i]} unstable"
                lines.append(f"  period {period:.6g}: {kind}")
            return "\n".join(lines)
        for k in np.unique(self.period):
            rows = self.period == k
            dims = np.unique(self.unstable_dims[rows]).tolist()
            lines.append(
                f"  period {k}: {int(rows.sum())} ({int(self.is_stable[rows].sum())} stable; "
                f"unstable dimensions {dims})"
            )
        return "\n".join(lines)

    def take(self, rows: ArrayLike) -> Cycles:
        """The cycles at `rows` (indices or a boolean mask)."""
        index = np.arange(len(self))[np.asarray(rows)]
        first = np.cumsum(self.lengths) - self.lengths
        states = [np.arange(first[i], first[i] + self.lengths[i]) for i in index]
        return Cycles(
            self.period[index],
            self.states[np.concatenate([np.zeros(0, np.intp), *states])],
            self.lengths[index],
            self.multipliers[index],
            self.trivial[index],
            self.unstable_dims[index],
            self.is_stable[index],
            self.residual[index],
        )

    @classmethod
    def empty(cls, size: int, discrete_time: bool = True) -> Cycles:
        """No cycles, for states of width `size`."""
        none = np.zeros(0, np.intp)
        return cls(
            none if discrete_time else np.zeros(0),
            np.zeros((0, size)),
            none,
            np.zeros((0, min(size, _MULTIPLIERS)), complex),
            none,
            none,
            np.zeros(0, bool),
            np.zeros(0),
        )


@dataclass(frozen=True)
class _Map:
    """f and Df of a discrete-time system: `velocity` G for a batch of states (K, N), its rows
    split over threads (a Flow's), `jacobian` J_G at one state (N,), and `products` J_G v
    for rows of states and vectors (K, N) (batched in the core for an RNN)."""

    velocity: Callable[[FloatArray], FloatArray]
    jacobian: Callable[[FloatArray], FloatArray]
    products: Callable[[FloatArray, FloatArray], FloatArray]

    @classmethod
    def of(cls, system: MapNetwork | VelocitySystem, inputs: ArrayLike | None, n_jobs: int) -> _Map:
        """The map of an RNN (through its C++ system) or of a Python system."""
        _, core, _ = resolve_system(system, inputs)
        velocity = Flow.of(system, core, n_jobs).velocity
        if core is not None:
            return cls(velocity, core.jacobian, core.jacobian_product)
        assert isinstance(system, VelocitySystem)  # resolve_system leaves only these
        python_system = system

        def jacobian(h: FloatArray) -> FloatArray:
            return np.asarray(python_system.jacobian(h), dtype=np.float64)

        def products(states: FloatArray, vectors: FloatArray) -> FloatArray:
            return np.array([jacobian(h) @ v for h, v in zip(states, vectors, strict=True)])

        return cls(velocity, jacobian, products)

    def step(self, states: FloatArray) -> FloatArray:
        """f(h) = h + G(h) for each row."""
        return states + self.velocity(states)

    def derivative(self, state: FloatArray) -> FloatArray:
        """Df(h) = I + J_G(h) (N, N) at one state."""
        return np.eye(state.size) + self.jacobian(state)

    def monodromy_products(self, orbit: FloatArray, vectors: FloatArray) -> FloatArray:
        """M v = Df(h_{k-1}) ⋯ Df(h_0) v for each row: orbits (k, K, N) (their states),
        vectors (K, N); k batched products."""
        for states in orbit:
            vectors = vectors + self.products(states, vectors)
        return vectors


def find_cycles(
    system: ESN | MapNetwork | VelocitySystem,
    initial_states: ArrayLike,
    inputs: ArrayLike | None = None,
    max_period: float | None = None,
    n_jobs: int | None = None,
    *,
    tol: float | None = None,
    tol_unique: float = 1e-6,
    max_iter: int = 50,
    settle_steps: int | None = None,
) -> Cycles:
    """The cycles that free runs and Newton's method reach from `initial_states` (K, N): the
    k-cycles (k = 2 .. max_period) of a map, or the periodic orbits of a continuous-time
    system (docs/mathematics.md, Cycles).

    - system: an RNN (its map at the constant `inputs` (I,)), an ESN (its closed loop
      τ dx/dt = F(x, u) in continuous time), or a Python system with `velocity` and
      `jacobian` (a map if `discrete_time = True`, else dx/dt = F(x)).
    - max_period: a map's longest period in steps (default 8); a flow's in time units
      (default 200 τ, the largest τ; 200 for a Python system).
    - n_jobs: threads for the batched free runs (None: the cores this process may use);
      results do not depend on it.
    - tol: a cycle's states satisfy ‖f^k(h) - h‖ <= tol·max(1, ‖h‖) (max norms) for a map
      (default 1e-10), ‖Φ_T(x) - x‖ <= tol·max(1, ‖x‖) for a flow (default 1e-8; the
      integrator runs at a hundredth of it).
    - tol_unique: a map's cycles whose states lie this close (max norm) are one; a flow's
      orbits are one when their periods agree to it (relative) and each passes through the
      other's samples.
    - max_iter: Newton iterations per start (and period, for a map).
    - settle_steps: free-run steps before the ends are checked for coming back (a map's:
      default 1000; a flow's Euler steps: default 2·max_period of time).
    """
    size, _, discrete = resolve_system(system, inputs)
    starts = as_array("initial_states", initial_states, (None, size))
    if starts.shape[0] == 0 or starts.shape[1] == 0:
        raise ValueError("initial_states must hold at least one state of width N >= 1")
    tol_unique = as_float("tol_unique", tol_unique, positive=True)
    max_iter = as_int("max_iter", max_iter, minimum=1)
    settle = None if settle_steps is None else as_int("settle_steps", settle_steps, minimum=1)
    jobs = as_jobs("n_jobs", n_jobs)
    if not discrete:
        assert not isinstance(system, MapNetwork)  # a map network is a map
        shot = flow_cycles(
            system, inputs, starts, max_period, jobs, tol, tol_unique, max_iter, settle
        )
        return _described_flows(shot, starts.shape[1])
    assert not isinstance(system, ESN)  # an ESN runs in continuous time
    longest = as_int("max_period", 8 if max_period is None else max_period, minimum=2)
    tolerance = as_float("tol", 1e-10 if tol is None else tol, positive=True)
    f = _Map.of(system, inputs, jobs)
    found = _periodic_ends(f, starts, longest, 1000 if settle is None else settle, tol_unique)
    for k in range(2, longest + 1):
        found += _newton(f, starts, k, tolerance, max_iter)
    orbits = _distinct(f, found, [], tol_unique)
    for _ in range(_MIDPOINT_ROUNDS):
        more = _distinct(f, _from_midpoints(f, orbits, tolerance, max_iter), orbits, tol_unique)
        if len(more) == len(orbits):
            break
        orbits = more
    return _described(f, orbits) if orbits else Cycles.empty(starts.shape[1])


def _from_midpoints(
    f: _Map, orbits: list[FloatArray], tol: float, max_iter: int
) -> list[tuple[int, FloatArray]]:
    """Newton on G_k from the midpoints of neighbouring states of the known k-cycles: between
    two cycles often lies one with more unstable directions (as between two memories lies the
    saddle that separates them)."""
    found = []
    for k in sorted({o.shape[0] for o in orbits}):
        states = np.vstack([o for o in orbits if o.shape[0] == k])
        pairs = close_pairs(states, _MIDPOINT_REACH, _MIDPOINTS)
        middles = 0.5 * (states[pairs[:, 0]] + states[pairs[:, 1]])
        found += _newton(f, middles, k, tol, max_iter)
    return found


def _periodic_ends(
    f: _Map, starts: FloatArray, max_period: int, steps: int, tol_unique: float
) -> list[tuple[int, FloatArray]]:
    """(k, state) for each free run that, after `steps` steps, comes back within tol_unique
    after k steps (the least k <= max_period; k = 1, a fixed point, left out)."""
    h = starts.copy()
    for _ in range(steps):
        h = f.step(h)
    orbit = [h]
    for _ in range(max_period):
        orbit.append(f.step(orbit[-1]))
    back = np.stack([np.max(np.abs(orbit[k] - h), axis=1) for k in range(1, max_period + 1)])
    close = back <= tol_unique
    period = np.where(close.any(axis=0), np.argmax(close, axis=0) + 1, 0)
    return [(int(k), h[i]) for i, k in enumerate(period.tolist()) if k >= 2]


def _newton(
    f: _Map, starts: FloatArray, k: int, tol: float, max_iter: int
) -> list[tuple[int, FloatArray]]:
    """(k, state) for each start from which damped Newton on G_k converges; all starts in
    step, one batched orbit an iteration."""
    h = starts.copy()
    active = np.arange(h.shape[0])
    found = []
    for _ in range(max_iter + 1):
        if active.size == 0:
            break
        orbit = _orbit(f, h[active], k)
        residual = orbit[-1] - orbit[0]
        scale = np.maximum(1.0, np.max(np.abs(orbit[0]), axis=1))
        done = np.max(np.abs(residual), axis=1) <= tol * scale
        found += [(k, h[i].copy()) for i in active[done]]
        active, orbit, residual = active[~done], orbit[:, ~done], residual[~done]
        moved, ok = _backtrack(f, h[active], _newton_steps(f, orbit, residual), k, residual)
        h[active[ok]] = moved[ok]
        active = active[ok]
    return found


def _newton_steps(f: _Map, orbit: FloatArray, residual: FloatArray) -> FloatArray:
    """(K, N) steps d with (M - I) d = -G_k(h), M the monodromy along each orbit (k + 1, K,
    N): formed densely up to _DENSE units (least squares where M - I is singular), else by
    GMRES on its products."""
    if residual.shape[0] == 0:
        return residual.copy()
    if residual.shape[1] > _DENSE:
        return _krylov_steps(f, orbit[:-1], residual)
    matrices = np.stack([_monodromy(f, orbit[:-1, i]) for i in range(residual.shape[0])])
    matrices -= np.eye(residual.shape[1])
    try:
        return np.asarray(np.linalg.solve(matrices, -residual[..., None])[..., 0], np.float64)
    except np.linalg.LinAlgError:
        rows = [
            np.linalg.lstsq(m, -r, rcond=None)[0] for m, r in zip(matrices, residual, strict=True)
        ]
        return np.asarray(rows, dtype=np.float64).reshape(residual.shape)


def _krylov_steps(f: _Map, orbit: FloatArray, residual: FloatArray) -> FloatArray:
    """GMRES for (M - I) d = -r, every row at once (Arnoldi with modified Gram-Schmidt, the
    monodromy products batched), _KRYLOV iterations at most or until every row's residual
    is below _KRYLOV_TOL of its start; orbit (k, K, N) the states along each."""
    count, size = residual.shape
    beta = np.linalg.norm(residual, axis=1)
    basis = [-residual / np.where(beta > 0, beta, 1.0)[:, None]]
    hessenberg = np.zeros((count, _KRYLOV + 1, _KRYLOV))
    for j in range(min(_KRYLOV, size)):
        w = f.monodromy_products(orbit, basis[j]) - basis[j]
        for i, v in enumerate(basis):
            hessenberg[:, i, j] = np.sum(w * v, axis=1)
            w -= hessenberg[:, i, j, None] * v
        norm = np.linalg.norm(w, axis=1)
        hessenberg[:, j + 1, j] = norm
        basis.append(w / np.where(norm > 0, norm, 1.0)[:, None])
        y, left = _least_squares(hessenberg[:, : j + 2, : j + 1], beta)
        if np.all(left <= _KRYLOV_TOL * np.maximum(beta, 1e-300)):
            break
    steps: FloatArray = np.einsum("kj,jkn->kn", y, np.stack(basis[: y.shape[1]]))
    return steps


def _least_squares(hessenberg: FloatArray, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """y minimising ‖β e_1 - H y‖ for each row's (j + 1, j) Hessenberg matrix, and that
    least residual (K,): one batched QR (rows by rows by lstsq only where R is singular, at
    a breakdown)."""
    rhs = np.zeros(hessenberg.shape[:2])
    rhs[:, 0] = beta
    q, r = np.linalg.qr(hessenberg)
    try:
        y = np.linalg.solve(r, np.einsum("kij,ki->kj", q, rhs)[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pairs = zip(hessenberg, rhs, strict=True)
        y = np.stack([np.linalg.lstsq(h, b, rcond=None)[0] for h, b in pairs])
    left = np.linalg.norm(rhs - np.einsum("kij,kj->ki", hessenberg, y), axis=1)
    return np.asarray(y, dtype=np.float64), left


def _backtrack(
    f: _Map, h: FloatArray, step: FloatArray, k: int, residual: FloatArray
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """h + t·step for each row's first t = 1, ½, ¼ ... that lowers |G_k|, and which rows
    found one (the others are given up)."""
    size = np.linalg.norm(residual, axis=1)
    moved, ok = h.copy(), np.zeros(h.shape[0], dtype=bool)
    pending = np.flatnonzero(np.all(np.isfinite(step), axis=1))
    t = 1.0
    for _ in range(_BACKTRACKS):
        if pending.size == 0:
            break
        trial = h[pending] + t * step[pending]
        lower = np.linalg.norm(_orbit(f, trial, k)[-1] - trial, axis=1) < size[pending]
        moved[pending[lower]], ok[pending[lower]] = trial[lower], True
        pending = pending[~lower]
        t /= 2
    return moved, ok


def _orbit(f: _Map, states: FloatArray, k: int) -> FloatArray:
    """(k + 1, K, N): states, f(states), ..., f^k(states)."""
    orbit = [states]
    for _ in range(k):
        orbit.append(f.step(orbit[-1]))
    return np.stack(orbit)


def _monodromy(f: _Map, orbit: FloatArray) -> FloatArray:
    """Df(h_{k-1}) ⋯ Df(h_0) for the orbit's states (k, N)."""
    product = np.eye(orbit.shape[1])
    for state in orbit:
        product = f.derivative(state) @ product
    return product


def _distinct(
    f: _Map, found: list[tuple[int, FloatArray]], orbits: list[FloatArray], tol_unique: float
) -> list[FloatArray]:
    """`orbits` and the distinct cycles of minimal period >= 2 among `found` (k, state)."""
    orbits = list(orbits)
    for k, h in found:
        orbit = _orbit(f, h[None], k)[:-1, 0]
        period = _minimal_period(orbit, tol_unique)
        if period >= 2 and not any(_same_cycle(orbit[:period], o, tol_unique) for o in orbits):
            orbits.append(orbit[:period])
    return orbits


def _minimal_period(orbit: FloatArray, tol_unique: float) -> int:
    """The least d with h_d = h_0 (within tol_unique) that divides the orbit's length."""
    k = int(orbit.shape[0])
    for d in range(1, k):
        if k % d == 0 and np.max(np.abs(orbit[d] - orbit[0])) <= tol_unique:
            return d
    return k


def _same_cycle(orbit: FloatArray, other: FloatArray, tol_unique: float) -> bool:
    """Whether two orbits are one cycle, at any phase."""
    if orbit.shape != other.shape:
        return False
    return bool(np.any(np.max(np.abs(other - orbit[0]), axis=1) <= tol_unique))


def _first_phase(orbit: FloatArray) -> int:
    """The row of the orbit's lexicographically largest state, rounded to 1e-6."""
    keys = [tuple((np.round(h, 6) + 0.0).tolist()) for h in orbit]  # + 0.0: -0.0 is 0.0
    return int(max(range(len(keys)), key=keys.__getitem__))


def _described(f: _Map, orbits: list[FloatArray]) -> Cycles:
    """Cycles from their orbits, by period, each from its lexicographically largest state
    (rounded to 1e-6: so that a cycle reads the same whichever phase found it), with its
    multipliers."""
    orbits = [np.roll(o, -_first_phase(o), axis=0) for o in orbits]
    orbits.sort(key=lambda o: (o.shape[0], tuple(-np.round(o[0], 6))))
    width = min(orbits[0].shape[1], _MULTIPLIERS)
    multipliers = np.full((len(orbits), width), np.nan + 0j)
    residual = np.zeros(len(orbits))
    unstable = np.zeros(len(orbits), dtype=np.intp)
    for i, orbit in enumerate(orbits):
        values = _leading(f, orbit, width)[0]
        multipliers[i, : min(width, values.size)] = values[:width]
        unstable[i] = int(np.sum(np.abs(values) > 1.0))
        returned = _orbit(f, orbit, orbit.shape[0])[-1]
        residual[i] = float(np.max(np.abs(returned - orbit)))
    period = np.array([o.shape[0] for o in orbits], dtype=np.intp)
    trivial = np.full(len(orbits), -1, dtype=np.intp)
    states = np.vstack(orbits)
    return Cycles(period, states, period, multipliers, trivial, unstable, unstable == 0, residual)


def _described_flows(orbits: list[Orbit], size: int) -> Cycles:
    """Cycles from a flow's orbits, by period, with their leading multipliers."""
    if not orbits:
        return Cycles.empty(size, discrete_time=False)
    orbits = sorted(orbits, key=lambda o: o.period)
    width = min(size, _MULTIPLIERS)
    multipliers = np.full((len(orbits), width), np.nan + 0j)
    trivial = np.array([o.trivial if o.trivial < width else -1 for o in orbits], np.intp)
    unstable = np.zeros(len(orbits), dtype=np.intp)
    for i, orbit in enumerate(orbits):
        count = min(width, orbit.multipliers.size)
        multipliers[i, :count] = orbit.multipliers[:count]
        outside = np.abs(orbit.multipliers) > 1.0
        outside[orbit.trivial] = False
        unstable[i] = int(np.sum(outside))
    return Cycles(
        np.array([o.period for o in orbits]),
        np.vstack([o.samples for o in orbits]),
        np.array([o.samples.shape[0] for o in orbits], dtype=np.intp),
        multipliers,
        trivial,
        unstable,
        unstable == 0,
        np.array([o.residual for o in orbits]),
    )


def leading_directions(
    system: MapNetwork | VelocitySystem, cycles: Cycles, inputs: ArrayLike | None = None
) -> FloatArray:
    """(M, N) for each cycle the eigenvector (real part, unit length) of its monodromy matrix
    at its first state for the multiplier of largest modulus: a saddle cycle's unstable
    direction there."""
    f = _Map.of(system, inputs, 1)
    vectors = np.zeros((len(cycles), cycles.states.shape[1]))
    for i, orbit in enumerate(cycles.points):
        vector = np.real(_leading(f, orbit, 1)[1][:, 0])
        vectors[i] = vector / np.linalg.norm(vector)
    return vectors


def _leading(f: _Map, orbit: FloatArray, count: int) -> tuple[ComplexArray, ComplexArray]:
    """The monodromy's eigenvalues along `orbit` (k, N), largest modulus first, and their
    eigenvectors (N, ·): all of them from the matrix up to _DENSE units, else the `count`
    leading ones by ARPACK on its products (a map's unstable dimensions are then counted
    among those)."""
    size = orbit.shape[1]
    if size <= _DENSE:
        values, vectors = np.linalg.eig(_monodromy(f, orbit))
    else:
        operator = scipy.sparse.linalg.LinearOperator(
            (size, size),
            matvec=lambda v: f.monodromy_products(orbit[:, None], np.real(v)[None])[0],
            dtype=np.float64,
        )
        rng = np.random.default_rng(0)
        values, vectors = scipy.sparse.linalg.eigs(operator, k=count, v0=rng.standard_normal(size))
    order = np.argsort(-np.abs(values), kind="stable")
    return values[order].astype(np.complex128), vectors[:, order].astype(np.complex128)
