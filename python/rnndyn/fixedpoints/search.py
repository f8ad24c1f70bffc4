"""The fixed-point search: minimise q(x) = ½|F(x)|² from many starting states, classify and
merge what the searches reach, and linearise there (docs/mathematics.md: Finding the points,
Stability). `find_fixed_points` runs these stages in order; each is a function below."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Literal, cast

import numpy as np
import scipy.spatial
from numpy.typing import ArrayLike, NDArray

from .. import _core
from .._executor import ExecutorChoice, check_executor, map_jobs, pool_size
from .._validation import as_array, as_choice, as_float, as_int, as_jobs
from ..networks.esn import ESN
from ..networks.maps import MapNetwork
from .linearization import (
    CoreSystem,
    FloatArray,
    Jacobian,
    Linearization,
    Linearizer,
    TimeKind,
    linearize_points,
    time_kind,
)
from .python_minimizers import minimize_generic
from .result import KINDS, FixedPoints, Kind, merge_duplicates, near_any
from .systems import VelocitySystem

Method = Literal["newton", "trust-ncg", "lm", "cg", "adam"]
# the methods, their default iteration limits and the stop reasons are the core's
# (options.hpp), bound once
METHODS = cast(tuple[Method, ...], tuple(_core.method_names()))
DEFAULT_MAX_ITER = {method: _core.default_max_iter(method) for method in METHODS}
STOP_REASONS = tuple(_core.stop_reason_names())
# a search that stopped here without reaching tol_q ended at a local minimum of q
_AT_A_MINIMUM = (int(_core.StopReason.gradient_tolerance), int(_core.StopReason.step_tolerance))
# the core minimises this many states per call (_minimize_in_chunks); the batches of an
# executor hold whole chunks, so that each state meets the same neighbours as in one process
CHUNK_STATES = 256
Eigenvalues = Literal["auto", "full"] | int


def find_fixed_points(
    system: ESN | MapNetwork | VelocitySystem,
    initial_states: ArrayLike,
    inputs: ArrayLike | None = None,
    method: Method = "newton",
    tol_q: float = 1e-20,
    tol_grad: float = 1e-14,
    max_iter: int | None = None,
    tol_unique: float = 1e-3,
    exact_hessian: bool = True,
    eigenvalues: Literal["auto", "full"] | int = "auto",
    max_unstable_vectors: int = 8,
    n_jobs: int | None = None,
    progress: bool = False,
    kinds: Kind | Iterable[Kind] = KINDS,
    executor: Executor | Literal["processes"] | None = None,
    batch_size: int = CHUNK_STATES,
    exclude: ArrayLike | None = None,
) -> FixedPoints:
    """Minimise q(x) = ½|F(x)|² from each initial state and classify what it finds.

    - system: an ESN (its closed loop at the constant `inputs` (I,), zeros if None), a map
      network (an RNN, StackedRNN, GRU or LSTM: its fixed-point residual G(s) = f(s, u) - s),
      or any object with `velocity(x)` (N,) → (N,) and `jacobian(x)` → (N, N) (e.g. a
      FunctionSystem), minimised in Python.
    - initial_states: (K, N) starting states, e.g. from `sample_states` (a state given more
      than once is searched once, and counts once for each time it is given).
    - method: "newton" (the default: Newton on F with GMRES steps and a dogleg trust region;
      for N <= 8192 the steps down to q <= 1e-2 run in float32, and the states finish in
      float64 with GMRES preconditioned by the LU of J at a nearby state, one factorisation
      per group of states; what it leaves after 30 steps
      goes on by Levenberg-Marquardt (N <= 8192, one group of nearby states per thread:
      each state after the first takes a minimum its group has reached once q falls all
      along the straight path to it, at its start or after a step) or trust-ncg, which also
      find slow points),
      "trust-ncg" (trust-region Newton-CG on q with exact Hessian products),
      "lm" (Levenberg-Marquardt, dense JᵀJ: N up to a few thousand), "cg" (nonlinear CG with
      a strong-Wolfe line search: the paper's) or "adam" (FixedPointFinder's scheme).
    - tol_q: a point with q <= tol_q is a fixed point (minimisation stops there).
    - tol_grad: minimisation also stops at `|∇q| <= tol_grad` (a local minimum: a slow
      point).
    - max_iter: iterations per state (defaults: DEFAULT_MAX_ITER by method).
    - tol_unique: points closer than this (Euclidean) are merged, keeping the lowest q.
    - exact_hessian: trust-ncg with the exact Hessian (True) or Gauss-Newton JᵀJ.
    - eigenvalues: "full" (LAPACK, every eigenvalue), an int k (the k least stable, by
      Arnoldi), or "auto" (full up to N = 256, else k = 10, widened until a stable one is
      among them; LAPACK takes over where Arnoldi fails to converge).
    - n_jobs: threads for the C++ minimisers (None: the cores this process may use;
      RNNDYN_NUM_THREADS overrides); results do not depend on it.
    - progress: show a progress bar (the states are minimised in chunks).
    - kinds: which kinds of point to return, from KINDS; the others are not linearised, which
      saves most of the time where many searches end unconverged (e.g. early in training).
    - executor: None (this process), "processes" (a local process pool for this call), or any
      concurrent.futures.Executor, e.g. `distributed.Client(...).get_executor()`; results
      are the same. With an executor the initial states go out in batches of `batch_size`,
      one job each (minimised there with n_jobs threads); merging duplicates and the
      linearisation stay here. "processes" starts min(n_jobs, batches) processes of one
      thread each (≈ 0.5 s the first time in a session, ≈ 0.05 s after: on POSIX they fork
      from a server that has imported rnndyn). The core's n_jobs threads already keep
      n_jobs cores busy, so processes pay mainly for a Python system (its minimisers hold
      the GIL, so threads do not help it); a cluster pays where thousands of starts
      outgrow one machine. A process or cluster executor pickles the system (a
      FunctionSystem needs module-level functions).
    - batch_size: starting states per job, a multiple of CHUNK_STATES (256; ignored without
      an executor). The core minimises 256 states per call, and within a call a state's
      result depends on its neighbours (blocks of 32 share batched products; Newton's second
      pass shares an LU preconditioner among nearby states), so batches of whole chunks see
      the same chunks as the serial call and give its result bit for bit.
    - exclude: (M, N) points already known: what the searches reach within tol_unique of
      one of them is left out before the linearisation (e.g. a search from more starts).
    """
    settings = _Settings.check(
        method,
        tol_q,
        tol_grad,
        max_iter,
        tol_unique,
        exact_hessian,
        eigenvalues,
        max_unstable_vectors,
        n_jobs,
        kinds,
        batch_size,
    )
    executor = check_executor(executor)
    target = _Target.of(system, inputs)
    starts = target.check_starts(initial_states)
    # a start given more than once is searched once (a search is deterministic; a slow one can
    # take a second): its copies take its result
    distinct, copies = _distinct_rows(starts)
    job = _Batch.of(system, inputs, distinct, settings)
    searched = _search(job, executor, settings, progress, target.core)
    ends = _Ends(*(column[copies] for column in searched))
    found = _classify_and_merge(ends, settings)
    if exclude is not None:
        known = as_array("exclude", exclude, (None, starts.shape[1]))
        found = found.take(~near_any(found.points, known, settings.tol_unique))
    lin = linearize_points(
        found.points,
        target.linearizer(starts.shape[1]),
        settings.eigenvalues,
        settings.max_unstable_vectors,
        settings.n_jobs,
    )
    return _result(found, lin, distinct, target, settings)


# -- stage 1: the arguments --------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """The search's options, checked."""

    method: Method
    tol_q: float
    tol_grad: float
    max_iter: int
    tol_unique: float
    exact_hessian: bool
    eigenvalues: Eigenvalues
    max_unstable_vectors: int
    n_jobs: int
    kinds: tuple[Kind, ...]
    batch_size: int

    @classmethod
    def check(
        cls,
        method: object,
        tol_q: float,
        tol_grad: float,
        max_iter: int | None,
        tol_unique: float,
        exact_hessian: bool,
        eigenvalues: object,
        max_unstable_vectors: int,
        n_jobs: int | None,
        kinds: Kind | Iterable[Kind],
        batch_size: int,
    ) -> _Settings:
        """Each argument checked, with an error naming it."""
        method = as_choice("method", method, METHODS)
        tol_q = as_float("tol_q", tol_q, minimum=0.0)
        tol_grad = as_float("tol_grad", tol_grad, minimum=0.0)
        tol_unique = as_float("tol_unique", tol_unique, minimum=0.0)
        max_iter = (
            DEFAULT_MAX_ITER[method]
            if max_iter is None
            else as_int("max_iter", max_iter, minimum=0)
        )
        n_jobs = as_jobs("n_jobs", n_jobs)
        eigenvalues = _as_eigenvalues(eigenvalues)
        max_unstable_vectors = as_int("max_unstable_vectors", max_unstable_vectors, minimum=0)
        chosen = as_kinds(kinds)
        batch_size = as_int("batch_size", batch_size, minimum=CHUNK_STATES)
        if batch_size % CHUNK_STATES:
            raise ValueError(
                f"batch_size must be a multiple of {CHUNK_STATES} (the core's chunk), "
                f"got {batch_size}"
            )
        return cls(
            method,
            tol_q,
            tol_grad,
            max_iter,
            tol_unique,
            bool(exact_hessian),
            eigenvalues,
            max_unstable_vectors,
            n_jobs,
            chosen,
            batch_size,
        )


def _as_eigenvalues(eigenvalues: object) -> Eigenvalues:
    """ "auto", "full" or an int >= 1."""
    if isinstance(eigenvalues, str) and eigenvalues in ("auto", "full"):
        return "auto" if eigenvalues == "auto" else "full"
    if isinstance(eigenvalues, str | bool) or not isinstance(eigenvalues, numbers.Integral):
        raise TypeError(f"eigenvalues must be 'auto', 'full' or an int >= 1, got {eigenvalues!r}")
    return as_int("eigenvalues", eigenvalues, minimum=1)


def as_kinds(kinds: Kind | Iterable[Kind]) -> tuple[Kind, ...]:
    """A non-empty tuple of names from KINDS (one name may be given as a string)."""
    chosen = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not chosen or any(kind not in KINDS for kind in chosen):
        raise ValueError(f"kinds must be a non-empty selection of {list(KINDS)}, got {chosen}")
    return chosen


@dataclass(frozen=True)
class _Target:
    """The system searched: its N (None if it does not say), its C++ system (None for a
    Python system, minimised in Python) and its time kind (a flow or a map)."""

    system: ESN | MapNetwork | VelocitySystem
    size: int | None
    core: CoreSystem | None
    time: TimeKind

    @classmethod
    def of(cls, system: ESN | MapNetwork | VelocitySystem, inputs: ArrayLike | None) -> _Target:
        """The target for `system` at the constant `inputs`."""
        size, core, discrete_time = resolve_system(system, inputs)
        return cls(system, size, core, time_kind(discrete_time))

    def check_starts(self, initial_states: ArrayLike) -> FloatArray:
        """(K, N) starting states, K >= 1, N >= 1 (and the system's N where it has one)."""
        starts = as_array("initial_states", initial_states, (None, self.size))
        if starts.shape[0] == 0 or starts.shape[1] == 0:
            raise ValueError("initial_states must hold at least one state of width N >= 1")
        return starts

    def linearizer(self, size: int) -> Linearizer:
        """J, its products and the time scales of the linearisation at states of width N."""
        jacobian: Jacobian
        if self.core is not None:
            jacobian = self.core.jacobian
        else:
            assert isinstance(self.system, VelocitySystem)  # resolve_system leaves only these
            jacobian = self.system.jacobian
        tau = getattr(self.system, "tau", None) if isinstance(self.system, ESN) else None
        per_unit = tau if isinstance(tau, np.ndarray) else None
        return Linearizer.of(self.core, jacobian, size, self.time, per_unit)


def resolve_system(
    system: ESN | MapNetwork | VelocitySystem, inputs: ArrayLike | None
) -> tuple[int | None, CoreSystem | None, bool]:
    """(N or None if the system does not say, the C++ system or None for the Python path,
    discrete time?)."""
    if isinstance(system, ESN):
        return system.size, system.core_system(inputs), False
    if isinstance(system, MapNetwork):
        return system.size, system.core_system(inputs), True
    if isinstance(system, VelocitySystem):
        if inputs is not None:
            raise ValueError("inputs apply to an ESN or a map network; a generic system has none")
        probe = getattr(system, "size", None)
        discrete = bool(getattr(system, "discrete_time", False))
        return (int(probe) if isinstance(probe, int) else None), None, discrete
    raise TypeError(
        "system must be an ESN, an RNN, StackedRNN, GRU or LSTM, or an object with velocity(x) "
        f"and jacobian(x), got {type(system).__name__}"
    )


# -- stage 2: the searches, in batches ---------------------------------------------------------


def _search(
    job: _Batch,
    executor: ExecutorChoice,
    settings: _Settings,
    progress: bool,
    core: CoreSystem | None = None,
) -> tuple[np.ndarray, ...]:
    """(points, q, grad_norm, iterations, stop codes) from each of the job's states: here (on
    `core`, the job's C++ system if already built), or in batches of settings.batch_size
    states on the executor (which builds its own)."""
    if executor is None:
        return _minimize_batch(job, progress, core)
    firsts = range(0, job.starts.shape[0], settings.batch_size)
    # a local pool's processes share the cores, one thread each
    threads = 1 if pool_size(executor, settings.n_jobs, len(firsts)) else settings.n_jobs
    batches = [
        replace(job, starts=job.starts[first : first + settings.batch_size], n_jobs=threads)
        for first in firsts
    ]
    parts = map_jobs(
        _minimize_batch,
        batches,
        executor,
        workers=settings.n_jobs,
        progress=progress,
        desc="fixed points",
        unit="batch",
    )
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


@dataclass(frozen=True)
class _Batch:
    """Starting states to minimise and everything the minimiser needs: one job of
    `find_fixed_points`, picklable so that a process or cluster executor can run it (the C++
    system and options are rebuilt there)."""

    system: ESN | MapNetwork | VelocitySystem
    inputs: ArrayLike | None
    starts: FloatArray
    method: str
    tol_q: float
    tol_grad: float
    max_iter: int
    exact_hessian: bool
    n_jobs: int

    @classmethod
    def of(
        cls,
        system: ESN | MapNetwork | VelocitySystem,
        inputs: ArrayLike | None,
        starts: FloatArray,
        settings: _Settings,
    ) -> _Batch:
        """The whole search as one job."""
        s = settings
        return cls(
            system,
            inputs,
            starts,
            s.method,
            s.tol_q,
            s.tol_grad,
            s.max_iter,
            s.exact_hessian,
            s.n_jobs,
        )


def _minimize_batch(
    batch: _Batch, progress: bool = False, core: CoreSystem | None = None
) -> tuple[np.ndarray, ...]:
    """(points, q, grad_norm, iterations, stop codes) from each of the batch's states, on
    `core` if given (the batch's C++ system, built by the caller: ~20 ms at N = 1000), else on
    the one built here from the batch (in another process, as an executor's job)."""
    if core is None:
        _, core, _ = resolve_system(batch.system, batch.inputs)
    if core is None:  # each state on its own: batches do not matter
        assert isinstance(batch.system, VelocitySystem)  # resolve_system leaves only these
        return minimize_generic(
            batch.system,
            batch.starts,
            batch.method,
            batch.tol_q,
            batch.tol_grad,
            batch.max_iter,
            progress,
        )
    options = _core.MinimizeOptions()
    options.tol_q, options.tol_grad, options.max_iter = batch.tol_q, batch.tol_grad, batch.max_iter
    options.exact_hessian = batch.exact_hessian
    return _minimize_in_chunks(core, batch.starts, batch.method, options, batch.n_jobs, progress)


def _minimize_in_chunks(
    core: CoreSystem,
    starts: FloatArray,
    method: str,
    options: _core.MinimizeOptions,
    n_jobs: int,
    progress: bool,
) -> tuple[np.ndarray, ...]:
    """The core's minimiser over chunks of CHUNK_STATES states, with a progress bar if asked.
    The chunk size is fixed: Newton's second pass shares work among the states of one call, so
    results depend on the chunking, and must not on n_jobs, progress or an executor."""
    chunk = CHUNK_STATES
    parts = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=starts.shape[0], desc="fixed points", unit="state")
    try:
        for start in range(0, starts.shape[0], chunk):
            parts.append(core.minimize(starts[start : start + chunk], method, options, n_jobs))
            if bar is not None:
                bar.update(min(chunk, starts.shape[0] - start))
    finally:
        if bar is not None:
            bar.close()
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


# -- stage 3: classify and merge ---------------------------------------------------------------


@dataclass(frozen=True)
class _Ends:
    """Where each search ended: points (K, N), q, |∇q|, iterations and stop codes (K,)."""

    points: FloatArray
    q: FloatArray
    grad_norm: FloatArray
    iterations: np.ndarray
    reasons: np.ndarray


@dataclass(frozen=True)
class _Found:
    """The unique points of the wanted kinds, lowest q first, with how many searches ended at
    each, and the searches that met a non-finite value."""

    points: FloatArray
    q: FloatArray
    grad_norm: FloatArray
    iterations: np.ndarray
    reasons: np.ndarray
    kind: np.ndarray
    count: np.ndarray
    non_finite_starts: tuple[int, ...]

    def take(self, rows: NDArray[np.bool_]) -> _Found:
        """The points at `rows` (the non-finite starts kept)."""
        return replace(
            self,
            points=self.points[rows],
            q=self.q[rows],
            grad_norm=self.grad_norm[rows],
            iterations=self.iterations[rows],
            reasons=self.reasons[rows],
            kind=self.kind[rows],
            count=self.count[rows],
        )


def _classify_and_merge(ends: _Ends, settings: _Settings) -> _Found:
    """Each end a fixed point (q <= tol_q), a slow point (a local minimum of q) or
    unconverged; ends within tol_unique merged (the lowest q kept); the wanted kinds kept."""
    q, reasons = ends.q, ends.reasons
    slow = np.isin(reasons, _AT_A_MINIMUM)
    kind = np.where(q <= settings.tol_q, "fixed", np.where(slow, "slow", "unconverged"))
    kind = kind.astype("<U11")
    non_finite = np.flatnonzero(
        (reasons == int(_core.StopReason.non_finite))
        | ~np.isfinite(q)
        | ~np.all(np.isfinite(ends.points), axis=1)
    )
    keep, count = merge_duplicates(ends.points, q, settings.tol_unique)
    wanted = np.isin(kind[keep], settings.kinds)
    keep, count = keep[wanted], count[wanted]
    return _Found(
        ends.points[keep],
        q[keep],
        ends.grad_norm[keep],
        ends.iterations[keep],
        reasons[keep],
        kind[keep],
        count,
        tuple(int(i) for i in non_finite),
    )


def _distinct_rows(states: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """The distinct rows of `states` (K, N), in the order of their first appearance, and for
    each row of `states` the index of its copy among them."""
    _, first, inverse = np.unique(states, axis=0, return_index=True, return_inverse=True)
    rank = np.empty_like(first)
    rank[np.argsort(first)] = np.arange(first.size)
    return states[np.sort(first)], rank[inverse.ravel()]


# -- stage 5: the result (stage 4, the linearisation, is linearization.py) ----------------------


def _result(
    found: _Found, lin: Linearization, starts: FloatArray, target: _Target, settings: _Settings
) -> FixedPoints:
    """The points, how the searches ended there, and their linearisation, as one result."""
    return FixedPoints(
        points=found.points,
        q=found.q,
        grad_norm=found.grad_norm,
        iterations=found.iterations,
        stop_reason=np.array(STOP_REASONS)[found.reasons],
        kind=found.kind,
        count=found.count,
        is_outlier=_outliers(found.points, starts),
        eigenvalues=lin.eigenvalues,
        unstable_dims=lin.unstable_dims,
        is_stable=lin.unstable_dims == 0,
        label=lin.label,
        unstable_right=lin.unstable_right,
        unstable_left=lin.unstable_left,
        discrete_time=target.time.discrete_time,
        tol_q=settings.tol_q,
        non_finite_starts=found.non_finite_starts,
    )


def _outliers(points: FloatArray, starts: FloatArray) -> NDArray[np.bool_]:
    """Points further from every starting state than 10x the median such distance."""
    if points.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    distance: FloatArray
    distance, _ = scipy.spatial.cKDTree(starts).query(points)
    return distance > 10 * max(np.median(distance), np.finfo(float).tiny)
