"""Periodic orbits of a continuous-time system dx/dt = F(x)/τ: an ESN's closed loop at a
constant input, or a continuous-time Python system (τ = 1) (docs/mathematics.md, Cycles:
flows).

Candidates come from free runs (the system's own Euler steps, batched) that come back near
where they were. Each is refined by shooting: Newton's method on Φ_T(x_0) - x_0 = 0 with the
phase condition F(x_0)·Δx = 0, the flow Φ integrated by SciPy's DOP853 (error-controlled)
together with the variational equation dV/dt = J(x(t)) V/τ for a block V of directions. The
block follows the dominant subspace of the monodromy matrix D Φ_T (subspace iteration: the
multipliers of largest modulus, unstable ones and the trivial 1 among them); Newton's step
is solved exactly within it and by one Picard step (Δx = -r) in the rest, where the
multipliers are small (Newton–Picard: Lust, Roose, Spence & Champneys 1998). The Floquet
multipliers are the Ritz values of the monodromy in the block.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from .._blas import one_blas_thread
from .._validation import as_float
from ..fixedpoints.search import resolve_system
from ..fixedpoints.systems import VelocitySystem
from ..networks.activations import activation_functions
from ..networks.esn import ESN
from .flow import DEFAULT_STEP, Flow, thread_pool

FloatArray = NDArray[np.float64]
# an ESN's product W_c [φ(x), φ'(x) ⊙ V] is computed in this many parts of its rows
_PARTS = 2
# the directions followed by the block (at most N): the leading multipliers it resolves
BLOCK = 12
# states kept along each orbit
SAMPLES = 128
# the integrator's tolerance, relative to the cycle's
_INTEGRATOR_SHARE = 1e-2
# the loosest integrator tolerance (relative to the share), for steps far from the orbit
_LOOSEST = 1e-4
# a free run comes back when it passes this close to its end (relative to how far it went)
_RETURN, _LEFT = 0.02, 0.2
# the free runs' ends are checked for coming back over this many longest periods
_WINDOW = 1.1
# directions of the random projection that the free runs are recorded in
_PROJECTED = 16
# Newton iterations without the residual halving after which a candidate is given up
_STALLS = 4
# halvings of a Newton step tried before a candidate is given up
_BACKTRACKS = 3


@dataclass(frozen=True)
class VectorField:
    """dx/dt at one state (N,) → (N,); `joint(x, V)` (N, 1 + m): dx/dt beside the
    variational equation's dV/dt = J(x) V/τ for a block V (N, m); `time_scale` the slowest
    τ (max period and free runs count in it)."""

    rate: Callable[[FloatArray], FloatArray]
    joint: Callable[[FloatArray, FloatArray], FloatArray]
    time_scale: float

    @classmethod
    def of(
        cls, system: ESN | VelocitySystem, offset: FloatArray | None, n_jobs: int = 1
    ) -> VectorField:
        """An ESN's closed loop at offset B u + b (τ per unit; its products on n_jobs
        threads), or a Python system's F (τ = 1)."""
        if isinstance(system, ESN):
            return _esn_field(system, offset, n_jobs)
        python_system = system

        def rate(x: FloatArray) -> FloatArray:
            return np.asarray(python_system.velocity(x), dtype=np.float64)

        def joint(x: FloatArray, v: FloatArray) -> FloatArray:
            tangent = np.asarray(python_system.jacobian(x), dtype=np.float64) @ v
            return np.column_stack([rate(x), tangent])

        return cls(rate, joint, 1.0)


def _esn_field(net: ESN, offset: FloatArray | None, n_jobs: int) -> VectorField:
    """τ dx/dt = -x + W_c φ(x) + c, and τ dV/dt = -V + W_c diag(φ'(x)) V: one product of W_c
    with [φ(x), φ'(x) ⊙ V] an evaluation, its rows in _PARTS parts (on threads if n_jobs > 1:
    the same arithmetic either way)."""
    weights = net.closed_loop_matrix()
    bounds = np.linspace(0, net.size, _PARTS + 1).astype(int).tolist()
    parts = [weights[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    c = net.offset() if offset is None else offset
    tau = np.broadcast_to(np.asarray(net.tau, dtype=np.float64), (net.size,)).copy()
    phi, slope, _ = activation_functions(net.activation)

    def product(stacked: FloatArray) -> FloatArray:
        def rows(part: FloatArray) -> FloatArray:
            return np.asarray(part @ stacked, dtype=np.float64)

        pieces = thread_pool(n_jobs).map(rows, parts) if n_jobs > 1 else map(rows, parts)
        return np.vstack(list(pieces))

    def rate(x: FloatArray) -> FloatArray:
        return (product(phi(x)[:, None])[:, 0] - x + c) / tau

    def joint(x: FloatArray, v: FloatArray) -> FloatArray:
        both = product(np.column_stack([phi(x), slope(x)[:, None] * v]))
        both[:, 0] += c - x
        both[:, 1:] -= v
        return both / tau[:, None]

    return VectorField(rate, joint, float(np.max(tau)))


@dataclass(frozen=True)
class Orbit:
    """One periodic orbit: `samples` (SAMPLES, N) along one period from x_0, `period` T,
    `multipliers` (m,) the Ritz values of D Φ_T(x_0) by modulus, `trivial` the index of the
    one along the orbit (≈ 1), `residual` ‖Φ_T(x_0) - x_0‖ (max norm)."""

    samples: FloatArray
    period: float
    multipliers: NDArray[np.complex128]
    trivial: int
    residual: float


def flow_cycles(
    system: ESN | VelocitySystem,
    inputs: ArrayLike | None,
    starts: FloatArray,
    max_period: float | None,
    n_jobs: int,
    tol: float | None,
    tol_unique: float,
    max_iter: int,
    settle_steps: int | None,
) -> list[Orbit]:
    """The distinct periodic orbits that shooting reaches from the free runs of `starts`
    (K, N) that come back near where they were (the arguments as `find_cycles` takes them)."""
    _, core, _ = resolve_system(system, inputs)
    offset = system.offset(inputs) if isinstance(system, ESN) else None
    field = VectorField.of(system, offset, n_jobs)
    longest = 200.0 * field.time_scale if max_period is None else max_period
    longest = as_float("max_period", longest, positive=True)
    tolerance = as_float("tol", 1e-8 if tol is None else tol, positive=True)
    time_step = system.dt if isinstance(system, ESN) else DEFAULT_STEP
    settle = math.ceil(2 * longest / time_step) if settle_steps is None else settle_steps
    window = math.ceil(_WINDOW * longest / time_step)
    orbits: list[Orbit] = []
    flow = Flow.of(system, core, n_jobs, inputs=inputs)
    candidates = returning_ends(flow, starts, time_step, settle, window)
    # BLAS on one thread: the parts of each product are this module's threads
    with one_blas_thread():
        shot = [shoot(field, state, period, tolerance, max_iter) for state, period in candidates]
    for orbit in shot:
        if orbit is not None and not any(_same_orbit(orbit, o, tol_unique) for o in orbits):
            orbits.append(orbit)
    return orbits


def _same_orbit(orbit: Orbit, other: Orbit, tol_unique: float) -> bool:
    """Whether two orbits are one: periods equal to tol_unique (relative) and the first
    state of one among the samples of the other (within their spacing)."""
    if abs(orbit.period - other.period) > tol_unique * max(orbit.period, other.period):
        return False
    spacing = np.max(np.abs(np.diff(other.samples, axis=0, append=other.samples[:1])))
    gap = np.min(np.max(np.abs(other.samples - orbit.samples[0]), axis=1))
    return bool(gap <= spacing + tol_unique)


def returning_ends(
    flow: Flow, starts: FloatArray, time_step: float, steps: int, window: int, seed: int = 0
) -> list[tuple[FloatArray, float]]:
    """(state, period estimate) for each free run (Euler steps of `time_step` time units)
    that, after `steps` steps, comes back near its end within the next `window` steps; runs
    at rest are left out. Runs that come back to one another's paths count once."""
    x = flow.advance(starts, steps)[0] if steps else starts.copy()
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((x.shape[1], min(_PROJECTED, x.shape[1]))))[0]
    path = np.empty((window + 1, x.shape[0], basis.shape[1]))
    path[0] = x @ basis
    for t in range(1, window + 1):
        x = flow.step(x)[0]
        path[t] = x @ basis
    gone = np.linalg.norm(path[::-1] - path[-1], axis=2)  # (window + 1, K): lag L = row L
    found: list[tuple[FloatArray, float]] = []
    kept: list[int] = []
    for k in range(x.shape[0]):
        lag = _return_lag(gone[:, k])
        if lag and not any(_on_path(path[:, i], path[-1, k], gone[:, i]) for i in kept):
            kept.append(k)
            found.append((x[k].copy(), lag * time_step))
    return found


def _return_lag(gone: FloatArray) -> int:
    """The first lag at which a run, having gone far from its end, comes back to a closest
    approach near it (0: none; a run at rest or a run that never comes back)."""
    reach = float(np.max(gone))
    if not np.isfinite(reach) or reach <= 1e-9:
        return 0
    left = np.flatnonzero(gone >= _LEFT * reach)
    if left.size == 0:
        return 0
    # within a share of how far it went, and of one step (the period is not a whole step)
    near = np.flatnonzero(gone[left[0] :] <= _RETURN * reach + gone[1])
    if near.size == 0:
        return 0
    lag = int(left[0] + near[0])
    while lag + 1 < gone.size and gone[lag + 1] < gone[lag]:
        lag += 1
    return lag


def _on_path(path: FloatArray, point: FloatArray, gone: FloatArray) -> bool:
    """Whether `point` lies on a recorded run's projected path (T, d)."""
    close = _RETURN * np.max(gone) + gone[1]
    return bool(np.min(np.linalg.norm(path - point, axis=1)) <= close)


@dataclass(frozen=True)
class _Iterate:
    """One shooting iterate: x_0, T, the block V, Φ_T(x_0), D Φ_T V, the residual's max
    norm, the integrator's tolerance."""

    x: FloatArray
    period: float
    block: FloatArray
    end: FloatArray
    image: FloatArray
    size: float
    rtol: float

    @classmethod
    def at(
        cls, field: VectorField, x: FloatArray, period: float, block: FloatArray, rtol: float
    ) -> _Iterate | None:
        """The iterate at (x, T), integrated; None where it is not finite."""
        if not (np.all(np.isfinite(x)) and np.isfinite(period) and period > 0):
            return None
        end, image = _integrate(field, x, period, block, rtol)
        size = float(np.max(np.abs(end - x)))
        return cls(x, period, block, end, image, size, rtol) if np.isfinite(size) else None


def shoot(
    field: VectorField, state: FloatArray, period: float, tol: float, max_iter: int
) -> Orbit | None:
    """The periodic orbit that Newton–Picard shooting reaches from (state, period), or None.
    Converged when ‖Φ_T(x_0) - x_0‖ <= tol·max(1, ‖x_0‖) (max norms); each step halved (at
    most _BACKTRACKS times) until it lowers the residual, else the start is given up."""
    x = state.astype(np.float64, copy=True)
    now = _Iterate.at(field, x, float(period), _first_block(field, x), _rtol(tol, np.inf))
    best, stalls = np.inf, 0
    for _ in range(max_iter + 1):
        if now is None or stalls >= _STALLS:
            return None
        if now.size <= tol * max(1.0, float(np.max(np.abs(now.x)))):
            return _finished(field, now)
        stalls = 0 if now.size < 0.5 * best else stalls + 1
        best = min(best, now.size)
        now = _damped(field, now, _rtol(tol, best))
    return None


def _rtol(tol: float, size: float) -> float:
    """The integrator's tolerance: a share of the cycle's, looser far from the orbit (where
    a looser integration steers as well and costs less)."""
    return min(_LOOSEST, max(tol, _INTEGRATOR_SHARE * size)) * _INTEGRATOR_SHARE


def _damped(field: VectorField, now: _Iterate, rtol: float) -> _Iterate | None:
    """The iterate a Newton–Picard step from `now` leads to: the whole step, or the first of
    its halves that lowers the residual; None if none does."""
    step, dt = _newton_picard_step(field, now)
    block = _next_block(now.image)
    fraction = 1.0
    for _ in range(_BACKTRACKS + 1):
        trial = _Iterate.at(field, now.x + fraction * step, now.period + fraction * dt, block, rtol)
        if trial is not None and trial.size < now.size:
            return trial
        fraction /= 2
    return None


def _first_block(field: VectorField, x: FloatArray) -> FloatArray:
    """(N, m) orthonormal: the direction of the flow at x and seeded random ones."""
    size = x.size
    width = min(BLOCK, size)
    rng = np.random.default_rng(0)
    directions = np.column_stack([field.rate(x), rng.standard_normal((size, width - 1))])
    return np.linalg.qr(directions)[0]


def _next_block(image: FloatArray) -> FloatArray:
    """The block for the next iteration: an orthonormal basis of M V (subspace iteration
    towards the multipliers of largest modulus)."""
    return np.asarray(np.linalg.qr(image)[0], dtype=np.float64)


def _integrate(
    field: VectorField, x: FloatArray, period: float, block: FloatArray, rtol: float
) -> tuple[FloatArray, FloatArray]:
    """Φ_T(x) (N,) and D Φ_T(x) block (N, m), integrated together by DOP853."""
    size, width = block.shape

    def joint(_: float, y: FloatArray) -> FloatArray:
        both = field.joint(y[:size], y[size:].reshape(size, width))
        return np.concatenate([both[:, 0], both[:, 1:].ravel()])

    y0 = np.concatenate([x, block.ravel()])
    run = solve_ivp(joint, (0.0, period), y0, method="DOP853", rtol=rtol, atol=rtol)
    y = run.y[:, -1]
    return y[:size], y[size:].reshape(size, width)


def _newton_picard_step(field: VectorField, now: _Iterate) -> tuple[FloatArray, float]:
    """(Δx, ΔT) of Newton–Picard: within the block V, (M - I) V a + F(Φ_T) ΔT = -r
    (projected on V, with the phase condition F(x)·Δx = 0), solved exactly; outside it the
    Picard step (I - V Vᵀ) r (x ← Φ_T(x) there)."""
    block, residual = now.block, now.end - now.x
    outside = residual - block @ (block.T @ residual)
    width = block.shape[1]
    system = np.zeros((width + 1, width + 1))
    system[:width, :width] = block.T @ (now.image - block)  # Vᵀ (M - I) V
    system[:width, width] = block.T @ field.rate(now.end)
    velocity = field.rate(now.x)
    system[width, :width] = velocity @ block
    rhs = np.concatenate([-(block.T @ residual), [-(velocity @ outside)]])
    solution = np.linalg.lstsq(system, rhs, rcond=None)[0]
    return block @ solution[:width] + outside, float(solution[width])


def _finished(field: VectorField, now: _Iterate) -> Orbit:
    """The orbit through x: its samples and its Ritz multipliers, largest modulus first."""
    values = np.linalg.eigvals(now.block.T @ now.image)
    values = values[np.argsort(-np.abs(values), kind="stable")]
    trivial = int(np.argmin(np.abs(values - 1.0)))
    times = np.linspace(0.0, now.period, SAMPLES + 1)[:-1]
    run = solve_ivp(
        lambda _, y: field.rate(y),
        (0.0, now.period),
        now.x,
        "DOP853",
        times,
        rtol=now.rtol,
        atol=now.rtol,
    )
    return Orbit(run.y.T.copy(), now.period, values.astype(np.complex128), trivial, now.size)
