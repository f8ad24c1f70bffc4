"""Fixed and slow points: minimise q(x) = ½|F(x)|² from many starting states, merge duplicates,
and linearise the dynamics at each point (DESIGN.md: fixed points and linearisation)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.sparse.csgraph
import scipy.sparse.linalg
import scipy.spatial
import threadpoolctl
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._executor import check_executor, map_jobs, pool_size
from ._io import SavedResult
from ._validation import as_array, as_choice, as_float, as_int
from .krylov import least_stable_batched
from .minimize_generic import minimize_generic
from .network import ESN
from .systems import RNN, VelocitySystem

Method = Literal["newton", "trust-ncg", "lm", "cg", "adam"]
Kind = Literal["fixed", "slow", "unconverged"]
METHODS: tuple[Method, ...] = ("newton", "trust-ncg", "lm", "cg", "adam")
STOP_REASONS = (
    "q_tolerance",
    "gradient_tolerance",
    "step_tolerance",
    "iteration_limit",
    "non_finite",
)
KINDS: tuple[Kind, ...] = ("fixed", "slow", "unconverged")
DEFAULT_MAX_ITER = {"newton": 500, "trust-ncg": 500, "lm": 300, "cg": 20_000, "adam": 5_000}
# "auto" takes full spectra up to this N; above it the least stable few by Arnoldi (at N = 1000:
# ≈ 0.08 s from 400-700 products against 0.3 s for LAPACK's full eig; all points in step with
# batched products, krylov.py, ≈ 0.03 s a point)
_DENSE_EIGEN_LIMIT = 256
# ARPACK's products (widening, fallback) use the dense J (one GEMV each) up to this N, the
# core's products beyond
_DENSE_PRODUCT_LIMIT = 4000
# the core minimises this many states per call (_minimize_in_chunks); the batches of an
# executor hold whole chunks, so that each state meets the same neighbours as in one process
CHUNK_STATES = 256

FloatArray = NDArray[np.float64]
# the C++ system of an ESN or RNN, which the core's minimisers take
CoreSystem = _core.ClosedLoopSystem | _core.DiscreteSystem
# x -> J(x), (N,) -> (N, N)
Jacobian = Callable[[FloatArray], FloatArray]
# v -> J v or v -> Jᵀ v for one J (v may be complex; its real part is used)
Operator = Callable[[np.ndarray], FloatArray]
# x -> (v -> J(x) v, v -> J(x)ᵀ v)
Products = Callable[[FloatArray], tuple[Operator, Operator]]
# the least stable eigenvalues (k,) and their right eigenvectors (N, k), least stable first
Leading = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class FixedPoints(SavedResult):
    """Fixed and slow points found by q-minimisation, one row per unique point.

    - points: (M, N) states; q: (M,) ½|F|² there; grad_norm: (M,) `|∇q|`; iterations: (M,);
    - stop_reason: (M,) why the minimiser stopped (see STOP_REASONS); kind: (M,) "fixed"
      (q <= tol_q), "slow" (a local minimum of q above tol_q) or "unconverged";
    - count: (M,) how many starting states ended at the point;
    - is_outlier: (M,) far from every starting state (over 10x the median distance);
    - eigenvalues: (M, k) eigenvalues of J = ∂F/∂x, ordered from the least stable (largest
      real part in continuous time, largest `|λ + 1|` in discrete time); k = N or the leading
      few. An ESN with per-unit time constants τ (N,) moves by dx/dt = F(x) / τ, which is
      linearised by diag(1/τ) J, whose eigenvalues (and stability) are not those of J scaled:
      there they are the eigenvalues of diag(τ̄/τ) J, τ̄ = mean(τ), so that Re λ / τ̄ is a rate
      in 1/time as Re λ / τ is for one τ (where the two coincide);
    - unstable_dims: (M,) eigenvalues with Re λ > 0 (continuous) or `|λ + 1| > 1` (discrete:
      the map's multipliers are λ + 1); is_stable: (M,); label: (M,) "stable node", "stable
      focus", "k-saddle", "repeller" or "marginal";
    - unstable_right, unstable_left: (M, N, u) right and left eigenvectors of the unstable
      eigenvalues (u the largest unstable_dims, capped at `max_unstable_vectors`;
      zero-padded), normalised to unit length, left ones scaled so that leftᴴ·right = 1.
    - non_finite_starts: indices of the starting states whose minimisation met a non-finite
      F, q or ∇q (stop reason "non_finite"); what they reached is not among the points.
    """

    points: np.ndarray
    q: np.ndarray
    grad_norm: np.ndarray
    iterations: np.ndarray
    stop_reason: np.ndarray
    kind: np.ndarray
    count: np.ndarray
    is_outlier: np.ndarray
    eigenvalues: np.ndarray
    unstable_dims: np.ndarray
    is_stable: np.ndarray
    label: np.ndarray
    unstable_right: np.ndarray
    unstable_left: np.ndarray
    discrete_time: bool = False
    tol_q: float = 1e-20
    non_finite_starts: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        # a loaded archive holds the indices as a JSON list
        object.__setattr__(self, "non_finite_starts", tuple(int(i) for i in self.non_finite_starts))

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def __getitem__(self, index: int | slice | ArrayLike) -> FixedPoints:
        """The points selected by a boolean mask, an index array or a slice."""
        selection = [index] if isinstance(index, int | np.integer) else index
        per_point = {
            f.name: getattr(self, f.name)[selection]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return FixedPoints(
            **per_point,
            discrete_time=self.discrete_time,
            tol_q=self.tol_q,
            non_finite_starts=self.non_finite_starts,
        )

    @property
    def stable(self) -> FixedPoints:
        """The stable fixed points (kind "fixed" and no unstable dimension)."""
        return self[self.is_stable & (self.kind == "fixed")]

    def summary(self) -> str:
        """A few lines: counts by kind and label, and the range of q."""
        lines = [f"{len(self)} unique points from {int(self.count.sum())} starting states"]
        for kind in ("fixed", "slow", "unconverged"):
            mask = self.kind == kind
            if not np.any(mask):
                continue
            labels, counts = np.unique(self.label[mask], return_counts=True)
            detail = ", ".join(f"{c} {name}" for name, c in zip(labels, counts, strict=True))
            lines.append(
                f"  {kind}: {int(mask.sum())} ({detail}); q from {self.q[mask].min():.2e} "
                f"to {self.q[mask].max():.2e}"
            )
        if np.any(self.is_outlier):
            lines.append(f"  outliers: {int(self.is_outlier.sum())}")
        if self.non_finite_starts:
            lines.append(
                f"  non-finite: {len(self.non_finite_starts)} starting states met a "
                "non-finite F (see non_finite_starts)"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"FixedPoints(\n{self.summary()}\n)"


def find_fixed_points(
    system: ESN | RNN | VelocitySystem,
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
    n_jobs: int = 1,
    progress: bool = False,
    kinds: Kind | Iterable[Kind] = KINDS,
    executor: Executor | Literal["processes"] | None = None,
    batch_size: int = CHUNK_STATES,
) -> FixedPoints:
    """Minimise q(x) = ½|F(x)|² from each initial state and classify what it finds.

    - system: an ESN (its closed loop at the constant `inputs` (I,), zeros if None), an RNN
      (its fixed-point residual G(h) = φ(Wh + Bu + b) - h), or any object with `velocity(x)`
      (N,) → (N,) and `jacobian(x)` → (N, N) (e.g. a FunctionSystem), minimised in Python.
    - initial_states: (K, N) starting states, e.g. from `sample_states` (a state given more
      than once is searched once, and counts once for each time it is given).
    - method: "newton" (the default: Newton on F with GMRES steps and a dogleg trust region;
      for N <= 2000 the steps down to q <= 1e-2 run in float32, and the states finish in
      float64 with GMRES preconditioned by the LU of J at a nearby state, one factorisation
      per group of states; what it leaves after 30 steps
      goes on by Levenberg-Marquardt (N <= 2000, one group of nearby states per thread:
      each state after the first takes a minimum its group has reached when q falls all
      along the straight path to it) or trust-ncg, which also find slow points),
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
    - n_jobs: threads for the C++ minimisers; results do not depend on it.
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
    """
    method = as_choice("method", method, METHODS)
    tol_q = as_float("tol_q", tol_q, minimum=0.0)
    tol_grad = as_float("tol_grad", tol_grad, minimum=0.0)
    tol_unique = as_float("tol_unique", tol_unique, minimum=0.0)
    max_iter = (
        DEFAULT_MAX_ITER[method] if max_iter is None else as_int("max_iter", max_iter, minimum=0)
    )
    n_jobs = as_int("n_jobs", n_jobs, minimum=1)
    if not (isinstance(eigenvalues, str) and eigenvalues in ("auto", "full")):
        if isinstance(eigenvalues, str | bool) or not isinstance(eigenvalues, numbers.Integral):
            raise TypeError(
                f"eigenvalues must be 'auto', 'full' or an int >= 1, got {eigenvalues!r}"
            )
        eigenvalues = as_int("eigenvalues", eigenvalues, minimum=1)
    max_unstable_vectors = as_int("max_unstable_vectors", max_unstable_vectors, minimum=0)
    kinds = as_kinds(kinds)
    executor = check_executor(executor)
    batch_size = as_int("batch_size", batch_size, minimum=CHUNK_STATES)
    if batch_size % CHUNK_STATES:
        raise ValueError(
            f"batch_size must be a multiple of {CHUNK_STATES} (the core's chunk), got {batch_size}"
        )
    size, core, discrete_time = _resolve(system, inputs)
    starts = as_array("initial_states", initial_states, (None, size))
    if starts.shape[0] == 0 or starts.shape[1] == 0:
        raise ValueError("initial_states must hold at least one state of width N >= 1")
    size = starts.shape[1]
    # a start given more than once is searched once (a search is deterministic; a slow one can
    # take a second): its copies take its result
    starts, copies = _distinct_rows(starts)
    search = _Batch(
        system, inputs, starts, method, tol_q, tol_grad, max_iter, bool(exact_hessian), n_jobs
    )
    if executor is None:
        raw = _minimize_batch(search, progress)
    else:
        firsts = range(0, starts.shape[0], batch_size)
        # a local pool's processes share the cores, one thread each
        threads = 1 if pool_size(executor, n_jobs, len(firsts)) else n_jobs
        batches = [
            replace(search, starts=starts[first : first + batch_size], n_jobs=threads)
            for first in firsts
        ]
        parts = map_jobs(
            _minimize_batch,
            batches,
            executor,
            workers=n_jobs,
            progress=progress,
            desc="fixed points",
            unit="batch",
        )
        raw = tuple(np.concatenate(column) for column in zip(*parts, strict=True))
    points, q, grad_norm, iterations, reasons = (column[copies] for column in raw)
    kind = np.where(
        q <= tol_q, "fixed", np.where(np.isin(reasons, (1, 2)), "slow", "unconverged")
    ).astype("<U11")
    non_finite = np.flatnonzero(
        (reasons == STOP_REASONS.index("non_finite"))
        | ~np.isfinite(q)
        | ~np.all(np.isfinite(points), axis=1)
    )
    keep, count = _merge_duplicates(points, q, tol_unique)
    wanted = np.isin(kind[keep], kinds)
    keep, count = keep[wanted], count[wanted]
    points = points[keep]
    jacobian: Jacobian
    if core is not None:
        jacobian = core.jacobian
    else:
        assert isinstance(system, VelocitySystem)  # _resolve leaves only these without a core
        jacobian = system.jacobian
    products = _core_products(core) if core is not None else None
    if size <= _DENSE_PRODUCT_LIMIT:
        products = _dense_products(jacobian)
    scale: FloatArray | None = None
    if isinstance(system, ESN) and isinstance(system.tau, np.ndarray):
        scale = np.mean(system.tau) / system.tau.astype(float)
        jacobian, products = _time_scaled(jacobian, products, scale)

    def linearize(
        x: FloatArray, known: Leading | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _linearize(
            x, jacobian, products, discrete_time, eigenvalues, max_unstable_vectors, known
        )

    # LAPACK on one thread: NumPy's and SciPy's separate BLAS pools, two threads each, thrash
    # on two cores (DESIGN.md: BLAS threads), here 3x slower than one; instead the points go
    # to n_jobs threads (LAPACK releases the GIL). Python systems stay serial.
    with threadpoolctl.threadpool_limits(limits=1):
        owner = _same_jacobian(points, core, jacobian)
        distinct = np.unique(owner)
        known: list[Leading | None] = [None] * len(distinct)
        if core is not None and _uses_krylov(size, eigenvalues):
            k = 10 if eigenvalues == "auto" else int(eigenvalues)
            known = _leading_together(points[distinct], core, scale, discrete_time, k, n_jobs)
        if core is None or n_jobs == 1 or len(distinct) < 2:
            found = [linearize(x, f) for x, f in zip(points[distinct], known, strict=True)]
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                found = list(pool.map(linearize, points[distinct], known))
    spectra = [found[i] for i in np.searchsorted(distinct, owner)]
    width = max((len(s[0]) for s in spectra), default=0)
    n_vectors = max((s[1].shape[1] for s in spectra), default=0)
    eig = np.full((len(spectra), width), np.nan + 0j)
    right = np.zeros((len(spectra), size, n_vectors), dtype=complex)
    left = np.zeros_like(right)
    for i, (values, r, lft) in enumerate(spectra):
        eig[i, : values.size] = values
        right[i, :, : r.shape[1]] = r
        left[i, :, : lft.shape[1]] = lft
    unstable = np.array([_count_unstable(s[0], discrete_time) for s in spectra], dtype=int)
    labels = np.array(
        [_label(s[0], k, size, discrete_time) for s, k in zip(spectra, unstable, strict=True)]
    )
    return FixedPoints(
        points=points,
        q=q[keep],
        grad_norm=grad_norm[keep],
        iterations=iterations[keep],
        stop_reason=np.array(STOP_REASONS)[reasons[keep]],
        kind=kind[keep],
        count=count,
        is_outlier=_outliers(points, starts),
        eigenvalues=eig,
        unstable_dims=unstable,
        is_stable=unstable == 0,
        label=labels.astype("<U16"),
        unstable_right=right,
        unstable_left=left,
        discrete_time=discrete_time,
        tol_q=tol_q,
        non_finite_starts=tuple(non_finite),
    )


# -- the parts ---------------------------------------------------------------------------------


def as_kinds(kinds: Kind | Iterable[Kind]) -> tuple[Kind, ...]:
    """A non-empty tuple of names from KINDS (one name may be given as a string)."""
    chosen = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if not chosen or any(kind not in KINDS for kind in chosen):
        raise ValueError(f"kinds must be a non-empty selection of {list(KINDS)}, got {chosen}")
    return chosen


def _resolve(
    system: ESN | RNN | VelocitySystem, inputs: ArrayLike | None
) -> tuple[int | None, CoreSystem | None, bool]:
    """(N or None if the system does not say, the C++ system or None for the Python path,
    discrete time?)."""
    if isinstance(system, ESN):
        return system.size, system.core_system(inputs), False
    if isinstance(system, RNN):
        return system.size, system.core_system(inputs), True
    if isinstance(system, VelocitySystem):
        if inputs is not None:
            raise ValueError("inputs apply to an ESN or RNN; a generic system has none")
        probe = getattr(system, "size", None)
        discrete = bool(getattr(system, "discrete_time", False))
        return (int(probe) if isinstance(probe, int) else None), None, discrete
    raise TypeError(
        "system must be an ESN, an RNN or an object with velocity(x) and jacobian(x), got "
        f"{type(system).__name__}"
    )


@dataclass(frozen=True)
class _Batch:
    """Starting states to minimise and everything the minimiser needs: one job of
    `find_fixed_points`, picklable so that a process or cluster executor can run it (the C++
    system and options are rebuilt there)."""

    system: ESN | RNN | VelocitySystem
    inputs: ArrayLike | None
    starts: FloatArray
    method: str
    tol_q: float
    tol_grad: float
    max_iter: int
    exact_hessian: bool
    n_jobs: int


def _minimize_batch(batch: _Batch, progress: bool = False) -> tuple[np.ndarray, ...]:
    """(points, q, grad_norm, iterations, stop codes) from each of the batch's states."""
    _, core, _ = _resolve(batch.system, batch.inputs)
    if core is None:  # each state on its own: batches do not matter
        assert isinstance(batch.system, VelocitySystem)  # _resolve leaves only these
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


def _distinct_rows(states: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """The distinct rows of `states` (K, N), in the order of their first appearance, and for
    each row of `states` the index of its copy among them."""
    _, first, inverse = np.unique(states, axis=0, return_index=True, return_inverse=True)
    rank = np.empty_like(first)
    rank[np.argsort(first)] = np.arange(first.size)
    return states[np.sort(first)], rank[inverse.ravel()]


def _merge_duplicates(
    points: np.ndarray, q: np.ndarray, tol_unique: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the lowest-q member of each cluster of points within tol_unique (KD-tree),
    and the cluster sizes; non-finite points are dropped."""
    finite = np.flatnonzero(np.all(np.isfinite(points), axis=1) & np.isfinite(q))
    if finite.size == 0:
        return finite, np.zeros(0, dtype=int)
    tree = scipy.spatial.cKDTree(points[finite])
    pairs = tree.query_pairs(tol_unique, output_type="ndarray")
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(finite.size, finite.size)
    )
    n_clusters, cluster = scipy.sparse.csgraph.connected_components(graph, directed=False)
    order = np.lexsort((q[finite], cluster))  # by cluster, then by q
    first = np.ones(order.size, dtype=bool)
    first[1:] = cluster[order[1:]] != cluster[order[:-1]]
    keep = finite[order[first]]
    count = np.bincount(cluster, minlength=n_clusters)[cluster[order[first]]]
    by_q = np.argsort(q[keep], kind="stable")
    return keep[by_q], count[by_q]


def _outliers(points: FloatArray, starts: FloatArray) -> NDArray[np.bool_]:
    """Points further from every starting state than 10x the median such distance."""
    if points.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    distance: FloatArray
    distance, _ = scipy.spatial.cKDTree(starts).query(points)
    return distance > 10 * max(np.median(distance), np.finfo(float).tiny)


def _stability_order(values: np.ndarray, discrete_time: bool) -> np.ndarray:
    """Indices ordering eigenvalues from the least stable."""
    key = np.abs(values + 1) if discrete_time else values.real
    return np.argsort(-key, kind="stable")


def _count_unstable(values: np.ndarray, discrete_time: bool, tol: float = 1e-9) -> int:
    if discrete_time:
        return int(np.sum(np.abs(values + 1) > 1 + tol))
    return int(np.sum(values.real > tol))


def _label(values: np.ndarray, unstable: int, size: int, discrete_time: bool) -> str:
    """A readable name for the linearisation."""
    tol = 1e-9
    if unstable == size:
        return "repeller"
    if unstable > 0:
        return f"{unstable}-saddle"
    leading = values[0]
    edge = abs(abs(leading + 1) - 1) if discrete_time else abs(leading.real)
    if edge <= tol:
        return "marginal"
    # a defective (Jordan) eigenvalue splits by ~sqrt(error) at an approximate point: only an
    # imaginary part well above that marks rotation
    return "stable focus" if abs(leading.imag) > 1e-5 * max(1.0, abs(leading)) else "stable node"


def _dense_products(jacobian: Jacobian) -> Products:
    """x -> (v -> J v, v -> Jᵀ v) from the dense J (N², one GEMV per product)."""

    def at(x: FloatArray) -> tuple[Operator, Operator]:
        J = np.asarray(jacobian(x), dtype=float)
        return (lambda v: J @ np.real(v)), (lambda v: J.T @ np.real(v))

    return at


def _core_products(core: CoreSystem) -> Products:
    """x -> (v -> J v, v -> Jᵀ v) through the C++ system, for Krylov methods."""

    def at(x: FloatArray) -> tuple[Operator, Operator]:
        X = x[None]

        def forward(v: np.ndarray) -> FloatArray:
            product: FloatArray = core.jacobian_product(X, np.real(v)[None])[0]
            return product

        def backward(v: np.ndarray) -> FloatArray:
            product: FloatArray = core.jacobian_transpose_product(X, np.real(v)[None])[0]
            return product

        return forward, backward

    return at


def _time_scaled(
    jacobian: Jacobian, products: Products | None, scale: FloatArray
) -> tuple[Jacobian, Products | None]:
    """J and its products for diag(scale) J: the linearisation of τ ⊙ dx/dt = F(x) with
    scale = τ̄ / τ (DESIGN.md: per-unit time constants)."""

    def scaled_jacobian(x: FloatArray) -> FloatArray:
        scaled: FloatArray = scale[:, None] * jacobian(x)
        return scaled

    if products is None:
        return scaled_jacobian, None
    inner = products

    def scaled_products(x: FloatArray) -> tuple[Operator, Operator]:
        forward, backward = inner(x)
        return (lambda v: scale * forward(v)), (lambda v: backward(scale * np.real(v)))

    return scaled_jacobian, scaled_products


def _uses_krylov(size: int, eigenvalues: Literal["auto", "full"] | int) -> bool:
    """Whether the leading eigenvalues come from a Krylov method (else LAPACK, all of them)."""
    full = eigenvalues == "full" or (eigenvalues == "auto" and size <= _DENSE_EIGEN_LIMIT)
    return not full and size >= 4


def _leading_together(
    points: FloatArray,
    core: CoreSystem,
    scale: FloatArray | None,
    discrete_time: bool,
    k: int,
    n_jobs: int,
) -> list[Leading | None]:
    """The k least stable eigenvalues (and right vectors) at every point, by Krylov-Schur with
    one batched product through the core per step for a group of points (krylov.py); the
    points split into n_jobs groups, one per thread (the products release the GIL, and a
    point's result does not depend on its group). None where it did not converge (_linearize
    then runs ARPACK, and LAPACK after that)."""
    shift = 1.0 if discrete_time else 0.0  # discrete time: the multipliers λ + 1
    key = np.abs if discrete_time else np.real
    k = min(k, points.shape[1] - 2)

    def group(members: FloatArray) -> list[Leading | None]:
        def apply(rows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
            product = np.asarray(core.jacobian_product(members[rows], vectors))
            if scale is not None:
                product = scale * product
            return product + shift * vectors

        leading: list[Leading | None] = []
        for result in least_stable_batched(apply, len(members), members.shape[1], k, key):
            if result is None:
                leading.append(None)
                continue
            values = result[0] - shift
            order = _stability_order(values, discrete_time)
            leading.append((values[order], result[1][:, order]))
        return leading

    groups = np.array_split(points, min(n_jobs, len(points)))
    if len(groups) == 1:
        return group(points)
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        return [found for part in pool.map(group, groups) for found in part]


def _linearize(
    x: FloatArray,
    jacobian: Jacobian,
    products: Products | None,
    discrete_time: bool,
    eigenvalues: Literal["auto", "full"] | int,
    max_vectors: int,
    known: Leading | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues of J at x (least stable first) and the right and left eigenvectors of the
    unstable ones. `known`: the leading eigenvalues and right vectors, already found (by
    _leading_together); still widened by ARPACK when "auto" finds every one unstable."""
    size = x.size
    values = None
    if _uses_krylov(size, eigenvalues) and products is not None:
        k = 10 if eigenvalues == "auto" else as_int("eigenvalues", eigenvalues, minimum=1)
        try:
            if known is not None and not (
                eigenvalues == "auto" and _count_unstable(known[0], discrete_time) >= len(known[0])
            ):
                values, right = known  # no products needed here: with dense ones, no J
            else:
                values, right = _least_stable(
                    products(x)[0], size, k, discrete_time, eigenvalues == "auto"
                )
            n_unstable = min(_count_unstable(values, discrete_time), max_vectors)
            left = np.zeros((size, n_unstable), dtype=complex)
            # left eigenvectors of J are the conjugated right eigenvectors of Jᵀ: where J fits
            # in memory by inverse iteration at the known eigenvalues (one LU each, a fraction
            # of a second Arnoldi run), else by Arnoldi on Jᵀ
            if n_unstable and size <= _DENSE_PRODUCT_LIMIT:
                transposed = np.asarray(jacobian(x), dtype=float).T
                left = np.conj(_null_vectors(transposed, values[:n_unstable]))
            elif n_unstable:
                t_values, t_right = _least_stable(
                    products(x)[1], size, max(k, n_unstable + 2), discrete_time, False
                )
                for j, value in enumerate(values[:n_unstable]):
                    left[:, j] = np.conj(t_right[:, np.argmin(np.abs(t_values - value))])
        except scipy.sparse.linalg.ArpackNoConvergence:
            values = None  # clustered, non-normal spectra can defeat Arnoldi: go dense
    if values is None:
        J = jacobian(x)
        values = scipy.linalg.eigvals(J)
        values = values[_stability_order(values, discrete_time)]
        unstable = values[: min(_count_unstable(values, discrete_time), max_vectors)]
        right = _null_vectors(J, unstable) if unstable.size else np.zeros((size, 1))
        left = np.conj(_null_vectors(J.T, unstable)) if unstable.size else np.zeros((size, 1))
    n_unstable = min(_count_unstable(values, discrete_time), max_vectors)
    right, left = right[:, :n_unstable], left[:, :n_unstable]
    if n_unstable:
        right = right / np.linalg.norm(right, axis=0, keepdims=True)
        scale = np.einsum("ij,ij->j", left.conj(), right)
        left = left / np.where(scale == 0, 1, scale).conj()
    return values, right, left


def _same_jacobian(
    points: FloatArray, core: CoreSystem | None, jacobian: Jacobian, rtol: float = 1e-10
) -> NDArray[np.int_]:
    """(M,) for each point the first point with the same Jacobian (itself if none), which then
    shares its linearisation. J depends on x only through the slopes φ'(x), so symmetric pairs
    (x and -x, with tanh and no offset) have one J; they are told by J r for a fixed random r
    (one batched product through the core, else one dense J per point)."""
    if len(points) < 2:
        return np.arange(len(points))
    probe = np.random.default_rng(0).standard_normal(points.shape[1])
    if core is not None:
        prints = core.jacobian_product(points, np.tile(probe, (len(points), 1)))
    else:
        prints = np.array([np.asarray(jacobian(x), dtype=float) @ probe for x in points])
    scale = np.linalg.norm(prints, axis=1)
    owner = np.arange(len(points))
    for i in range(1, len(points)):
        gaps = np.linalg.norm(prints[:i] - prints[i], axis=1)
        match = np.flatnonzero((owner[:i] == np.arange(i)) & (gaps <= rtol * scale[i]))
        if match.size:
            owner[i] = match[0]
    return owner


def _null_vectors(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(N, len(values)) unit eigenvectors of the real `matrix` at `values` (_null_vector); the
    second of a conjugate pair is the conjugate of the first's vector, not a complex LU more."""
    vectors = np.zeros((matrix.shape[0], len(values)), dtype=complex)
    for j, value in enumerate(values):
        pair = [i for i in range(j) if np.imag(value) != 0 and values[i] == np.conj(value)]
        vectors[:, j] = np.conj(vectors[:, pair[0]]) if pair else _null_vector(matrix, value)
    return vectors


def _null_vector(matrix: np.ndarray, value: complex) -> np.ndarray:
    """A unit vector v with matrix v = value v, by two steps of inverse iteration."""
    # a real eigenvalue (ARPACK and LAPACK give it a zero imaginary part) has a real vector:
    # its LU in real arithmetic takes a quarter of the complex one's time
    shift = value.real if np.imag(value) == 0 else value
    shifted = matrix.astype(np.result_type(matrix, shift))  # a copy
    # a tiny shift keeps the factorisation regular at an exact eigenvalue
    shifted[np.diag_indices_from(shifted)] -= shift - 1e-14 * max(1.0, abs(value))
    factors = scipy.linalg.lu_factor(shifted, overwrite_a=True, check_finite=False)
    vector = np.ones(matrix.shape[0], dtype=shifted.dtype)
    for _ in range(2):
        vector = scipy.linalg.lu_solve(factors, vector, check_finite=False)
        vector /= np.max(np.abs(vector))  # first, so that the norm cannot under- or overflow
        vector /= np.linalg.norm(vector)
    return vector


def _least_stable(
    apply: Operator, size: int, k: int, discrete_time: bool, widen: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The k least stable eigenvalues of the operator `apply` by ARPACK, with right
    eigenvectors; with `widen`, k doubles while every one found is unstable."""
    # discrete time: the map's multipliers are λ + 1, the least stable have the largest |λ + 1|
    shift = 1.0 if discrete_time else 0.0
    operator = scipy.sparse.linalg.LinearOperator(
        (size, size), matvec=lambda v: apply(v) + shift * v, dtype=float
    )
    # ARPACK's own start vector comes from a generator whose state persists between calls, so
    # the same point would get its eigenvalues in another order, or its vectors with another sign
    start = np.random.default_rng(0).standard_normal(size)
    while True:
        k = min(k, size - 2)
        values, vectors = scipy.sparse.linalg.eigs(
            operator,
            k=k,
            which="LM" if discrete_time else "LR",
            tol=1e-10,
            ncv=min(size, max(2 * k + 1, 60)),
            maxiter=50 * size,
            v0=start,
        )
        values = values - shift
        order = _stability_order(values, discrete_time)
        values, vectors = values[order], vectors[:, order]
        if not widen or _count_unstable(values, discrete_time) < k or k >= size - 2:
            return values, vectors
        k *= 2
