"""The linearisation at each point: the eigenvalues of J, least stable first, the number of
unstable dimensions, a label, and the right and left eigenvectors of the unstable directions
(docs/mathematics.md, Stability). Flows and maps differ only in how an eigenvalue's growth is
read, which one TimeKind object answers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from numpy.typing import NDArray

from .. import _core
from .._blas import one_blas_thread
from .._validation import as_int

# "auto" takes full spectra up to this N; above it the least stable few by Arnoldi (at N = 1000:
# ≈ 0.08 s from 400-700 products against 0.3 s for LAPACK's full eig; all points in step with
# batched products, the core's krylov_schur.hpp, less)
_DENSE_EIGEN_LIMIT = 256
# "auto" widens by the core's batched Krylov-Schur up to this many eigenvalues (at N = 1000,
# 10 points of Sussillo & Abbott's generator with 10-38 unstable took 1.8 s where LAPACK's
# whole spectrum and inverse iteration took 5.5 s; a trained network's origin has 100+)
_KRYLOV_WIDEN_LIMIT = 40
# beyond that, "auto" takes LAPACK's whole spectrum instead of widening by ARPACK up to this N
_DENSE_WIDEN_LIMIT = 2000
# ARPACK's products (widening, fallback) use the dense J (one GEMV each) up to this N, the
# core's products beyond
_DENSE_PRODUCT_LIMIT = 4000
# an eigenvalue counts as unstable (or on the edge) beyond this margin
_EDGE_TOL = 1e-9

FloatArray = NDArray[np.float64]
# the C++ system of an ESN or a map (RNN, GRU, LSTM, stacked RNN), which the core's minimisers take
CoreSystem = (
    _core.ClosedLoopSystem
    | _core.DiscreteSystem
    | _core.GRUSystem
    | _core.LSTMSystem
    | _core.RNNTanhSystem
    | _core.RNNReluSystem
)
# x -> J(x), (N,) -> (N, N)
Jacobian = Callable[[FloatArray], FloatArray]
# v -> J v or v -> Jᵀ v for one J (v may be complex; its real part is used)
Operator = Callable[[np.ndarray], FloatArray]
# x -> (v -> J(x) v, v -> J(x)ᵀ v)
Products = Callable[[FloatArray], tuple[Operator, Operator]]
# the least stable eigenvalues (k,) and their right eigenvectors (N, k), least stable first
Leading = tuple[np.ndarray, np.ndarray]
# one point's eigenvalues (least stable first), right and left unstable vectors (N, u)
Spectrum = tuple[np.ndarray, np.ndarray, np.ndarray]


class TimeKind:
    """How the eigenvalues λ of J read in continuous time (a flow τ dx/dt = F: growth Re λ,
    stable below 0) or in discrete time (a map h' = h + G(h): growth |λ + 1|, the modulus of
    the map's multiplier, stable below 1). Chosen once per search (`time_kind`)."""

    discrete_time: bool
    growth_name: str  # the core's name for `key` (least_stable's growth)
    shift: float  # what turns λ into the operator's eigenvalue whose size orders stability
    edge: float  # the growth at the edge of stability
    arpack_which: str  # ARPACK's order for the least stable of the shifted operator

    def key(self, shifted: np.ndarray) -> np.ndarray:
        """The growth of eigenvalues λ + shift of the shifted operator."""
        raise NotImplementedError

    def growth(self, values: np.ndarray) -> np.ndarray:
        """The growth of eigenvalues λ of J: larger is less stable."""
        raise NotImplementedError

    def order(self, values: np.ndarray) -> np.ndarray:
        """Indices ordering eigenvalues from the least stable."""
        return np.argsort(-self.growth(values), kind="stable")

    def count_unstable(self, values: np.ndarray) -> int:
        """How many eigenvalues grow beyond the edge of stability."""
        return int(np.sum(self.growth(values) > self.edge + _EDGE_TOL))

    def all_unstable(self, values: np.ndarray) -> bool:
        """Whether every one of `values` (leading eigenvalues) is unstable: "auto" widens."""
        return self.count_unstable(values) >= len(values)

    def label(self, values: np.ndarray, unstable: int, size: int) -> str:
        """A readable name for the linearisation with `values` least stable first."""
        if unstable == size:
            return "repeller"
        if unstable > 0:
            return f"{unstable}-saddle"
        leading = values[0]
        if abs(self.growth(leading) - self.edge) <= _EDGE_TOL:
            return "marginal"
        # a defective (Jordan) eigenvalue splits by ~sqrt(error) at an approximate point: only
        # an imaginary part well above that marks rotation
        rotates = abs(leading.imag) > 1e-5 * max(1.0, abs(leading))
        return "stable focus" if rotates else "stable node"


class _Flow(TimeKind):
    discrete_time, growth_name, shift, edge, arpack_which = False, "real", 0.0, 0.0, "LR"

    def key(self, shifted: np.ndarray) -> np.ndarray:
        return np.real(shifted)

    def growth(self, values: np.ndarray) -> np.ndarray:
        return np.real(values)


class _Map(TimeKind):
    discrete_time, growth_name, shift, edge, arpack_which = True, "modulus", 1.0, 1.0, "LM"

    def key(self, shifted: np.ndarray) -> np.ndarray:
        modulus: np.ndarray = np.abs(shifted)
        return modulus

    def growth(self, values: np.ndarray) -> np.ndarray:
        modulus: np.ndarray = np.abs(values + 1)
        return modulus


FLOW, MAP = _Flow(), _Map()


def time_kind(discrete_time: bool) -> TimeKind:
    """MAP for a discrete-time system, FLOW for a continuous-time one."""
    return MAP if discrete_time else FLOW


@dataclass(frozen=True)
class Linearization:
    """The linearisation of M points, one row each: eigenvalues (M, k) NaN-padded, unstable
    dimensions (M,), labels (M,), right and left unstable vectors (M, N, u) zero-padded."""

    eigenvalues: np.ndarray
    unstable_dims: np.ndarray
    label: np.ndarray
    unstable_right: np.ndarray
    unstable_left: np.ndarray


@dataclass(frozen=True)
class Linearizer:
    """What the linearisation of a system's points needs: J (and its products), the time kind,
    the C++ system where there is one (batched Krylov products), per-unit time scales."""

    jacobian: Jacobian
    products: Products | None
    time: TimeKind
    core: CoreSystem | None = None
    scale: FloatArray | None = None

    @classmethod
    def of(
        cls,
        core: CoreSystem | None,
        jacobian: Jacobian,
        size: int,
        time: TimeKind,
        tau: FloatArray | None = None,
    ) -> Linearizer:
        """J from the C++ system if given (else `jacobian`), dense products up to
        _DENSE_PRODUCT_LIMIT, scaled by τ̄/τ for per-unit time constants `tau` (N,)
        (docs/mathematics.md, Stability)."""
        jacobian = core.jacobian if core is not None else jacobian
        products = _core_products(core) if core is not None else None
        if size <= _DENSE_PRODUCT_LIMIT:
            products = _dense_products(jacobian)
        scale = None if tau is None else np.mean(tau) / tau.astype(float)
        if scale is not None:
            jacobian, products = _time_scaled(jacobian, products, scale)
        return cls(jacobian, products, time, core, scale)


def linearize_points(
    points: FloatArray,
    linearizer: Linearizer,
    eigenvalues: Literal["auto", "full"] | int,
    max_vectors: int,
    n_jobs: int,
) -> Linearization:
    """The linearisation at each of `points` (M, N). Points with one Jacobian (x and -x of an
    odd system) share one; the Krylov part runs for all points in step (_leading_together),
    the rest one point per thread (n_jobs)."""
    lin = linearizer
    if points.shape[0] == 0:
        return _stack([], points.shape[1], lin.time)

    def linearize(x: FloatArray, known: Leading | None, left: np.ndarray | None) -> Spectrum:
        return _linearize(
            x, lin.jacobian, lin.products, lin.time, eigenvalues, max_vectors, known, left
        )

    # LAPACK on one thread: NumPy's and SciPy's separate BLAS pools, two threads each, thrash
    # on two cores (docs/mathematics.md, Threads and BLAS), here 3x slower than one; instead
    # the points go to n_jobs threads (LAPACK releases the GIL). Python systems stay serial.
    spread = lin.core is not None and n_jobs > 1
    with one_blas_thread(), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        owner = _same_jacobian(points, lin.core, lin.jacobian)
        distinct = np.unique(owner)
        X = points[distinct]
        known: list[Leading | None] = [None] * len(distinct)
        left: list[np.ndarray | None] = [None] * len(distinct)
        early: dict[int, Future[Spectrum]] = {}
        if lin.core is not None and _uses_krylov(points.shape[1], eigenvalues):
            k = 10 if eigenvalues == "auto" else int(eigenvalues)
            wider = _KRYLOV_WIDEN_LIMIT if eigenvalues == "auto" else 0
            known = _leading_together(X, lin.core, lin.scale, lin.time, k, n_jobs, widen_to=wider)
            # a point "auto" takes to LAPACK needs nothing from the run on Jᵀ: its whole spectrum
            # (~0.6 s at N = 1000, one thread) is taken beside that run, not after it
            for i, leading in enumerate(known):
                if spread and _dense_widening(leading, eigenvalues, lin.time, X.shape[1]):
                    early[i] = pool.submit(linearize, X[i], leading, None)
            left = _left_together(X, known, lin, eigenvalues, max_vectors, n_jobs)
        rest = [i for i in range(len(X)) if i not in early]
        each = pool.map if spread else map
        found = dict(zip(rest, each(linearize, X[rest], *_pick(rest, known, left)), strict=True))
        found.update({i: spectrum.result() for i, spectrum in early.items()})
    return _stack(
        [found[int(i)] for i in np.searchsorted(distinct, owner)], points.shape[1], lin.time
    )


def _pick(
    rows: list[int], known: list[Leading | None], left: list[np.ndarray | None]
) -> tuple[list[Leading | None], list[np.ndarray | None]]:
    """known's and left's entries at `rows`."""
    return [known[i] for i in rows], [left[i] for i in rows]


def _stack(spectra: list[Spectrum], size: int, time: TimeKind) -> Linearization:
    """One row per point, padded to the widest spectrum and the most unstable vectors."""
    width = max((len(s[0]) for s in spectra), default=0)
    n_vectors = max((s[1].shape[1] for s in spectra), default=0)
    eig = np.full((len(spectra), width), np.nan + 0j)
    right = np.zeros((len(spectra), size, n_vectors), dtype=complex)
    left = np.zeros_like(right)
    for i, (values, r, lft) in enumerate(spectra):
        eig[i, : values.size] = values
        right[i, :, : r.shape[1]] = r
        left[i, :, : lft.shape[1]] = lft
    unstable = np.array([time.count_unstable(s[0]) for s in spectra], dtype=int)
    labels = np.array([time.label(s[0], k, size) for s, k in zip(spectra, unstable, strict=True)])
    return Linearization(eig, unstable, labels.astype("<U16"), right, left)


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
    scale = τ̄ / τ (docs/mathematics.md, Stability)."""

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
    time: TimeKind,
    k: int,
    n_jobs: int,
    transpose: bool = False,
    counts: NDArray[np.int_] | None = None,
    widen_to: int = 0,
) -> list[Leading | None]:
    """The k least stable eigenvalues and right vectors (with `transpose`: of Jᵀ) at every
    point, or counts[p] (<= k) of them at point p, by the core's Krylov-Schur (krylov_schur.hpp:
    one batched product per step for a group of points, the GIL released, the groups on n_jobs
    threads; docs/mathematics.md, Stability). Where every one is unstable, k doubles up to
    `widen_to`, each point's iteration going on from where it was ("auto" wants a stable one
    among them; a point still without one goes to _linearize's widening). None where it did
    not converge (_linearize then runs ARPACK, then LAPACK)."""
    size = points.shape[1]
    k = min(k, size - 2)
    wanted = np.full(len(points), k) if counts is None else np.minimum(counts, size - 2)
    values, vectors, converged, found = core.least_stable(
        points,
        k,
        transpose=transpose,
        growth=time.growth_name,
        scale=scale,
        shift=time.shift,
        n_jobs=n_jobs,
        counts=wanted,
        widen_to=min(widen_to, size - 2),
        widen_above=time.edge + _EDGE_TOL,
    )
    leading: list[Leading | None] = []
    for value, vector, done, count in zip(values, vectors, converged, found, strict=True):
        value = value[:count] - time.shift
        order = time.order(value)
        leading.append((value[order], vector[:, order]) if done else None)
    return leading


def _known_unstable(
    known: Leading | None,
    eigenvalues: Literal["auto", "full"] | int,
    time: TimeKind,
    max_vectors: int,
) -> int:
    """How many unstable vectors _linearize takes with the `known` leading eigenvalues: none
    where there are none, or where "auto" widens (every known one unstable)."""
    if known is None:
        return 0
    if eigenvalues == "auto" and time.all_unstable(known[0]):
        return 0
    return min(time.count_unstable(known[0]), max_vectors)


def _left_together(
    points: FloatArray,
    known: list[Leading | None],
    lin: Linearizer,
    eigenvalues: Literal["auto", "full"] | int,
    max_vectors: int,
    n_jobs: int,
) -> list[np.ndarray | None]:
    """Per point (M,) the left eigenvectors (N, u) of the u unstable `known` eigenvalues: the
    right eigenvectors of Jᵀ, conjugated, by one batched Krylov-Schur run over the points that
    have any (_match_left pairs them with J's eigenvalues). None for the other points, and
    where Jᵀ's run did not converge or match (_linearize then falls back to its own)."""
    counts = np.array([_known_unstable(f, eigenvalues, lin.time, max_vectors) for f in known])
    wanted = np.flatnonzero(counts)
    left: list[np.ndarray | None] = [None] * len(known)
    if lin.core is None or wanted.size == 0:
        return left
    # the unstable ones only: asking for 2 more, as a margin for the last of them, took 1.1-3.4x
    # as long on the suite's networks (3 and 4 bits, the generator), every run converged and
    # matched either way; a run that does not is caught by _match_left
    transposed = _leading_together(
        points[wanted],
        lin.core,
        lin.scale,
        lin.time,
        int(counts.max()),
        n_jobs,
        True,
        counts[wanted],
    )
    for i, found in zip(wanted, transposed, strict=True):
        right = known[i]
        if found is not None and right is not None:
            left[i] = _match_left(right[0][: counts[i]], *found)
    return left


def _match_left(
    values: np.ndarray, transposed_values: np.ndarray, transposed_vectors: np.ndarray
) -> np.ndarray | None:
    """Left eigenvectors (N, len(values)) of J at `values`: the conjugated right eigenvectors
    of Jᵀ (columns of transposed_vectors) at the nearest of transposed_values, the second of a
    conjugate pair the conjugate of the first's (as _null_vectors). None if a value has no
    unambiguous partner (none near it, or two: a cluster Arnoldi cannot tell apart)."""
    left = np.zeros((transposed_vectors.shape[0], len(values)), dtype=complex)
    for j, value in enumerate(values):
        pair = [i for i in range(j) if np.imag(value) != 0 and values[i] == np.conj(value)]
        if pair:
            left[:, j] = left[:, pair[0]].conj()
            continue
        gaps = np.abs(transposed_values - value)
        near = np.flatnonzero(gaps <= 1e-6 * max(1.0, abs(value)))
        if near.size != 1:
            return None
        left[:, j] = np.conj(transposed_vectors[:, near[0]])
    return left


def _linearize(
    x: FloatArray,
    jacobian: Jacobian,
    products: Products | None,
    time: TimeKind,
    eigenvalues: Literal["auto", "full"] | int,
    max_vectors: int,
    known: Leading | None = None,
    known_left: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues of J at x (least stable first) and the right and left eigenvectors of the
    unstable ones. `known`: the leading eigenvalues and right vectors, already found (by
    _leading_together); still widened by ARPACK when "auto" finds every one unstable.
    `known_left`: the left vectors (N, u) of known's u unstable ones (_left_together)."""
    size = x.size
    values = None
    if (
        _uses_krylov(size, eigenvalues)
        and products is not None
        and not _dense_widening(known, eigenvalues, time, size)
    ):
        k = 10 if eigenvalues == "auto" else as_int("eigenvalues", eigenvalues, minimum=1)
        try:
            if known is not None and not (eigenvalues == "auto" and time.all_unstable(known[0])):
                values, right = known  # no products needed here: with dense ones, no J
            else:
                values, right = _least_stable(products(x)[0], size, k, time, eigenvalues == "auto")
                known_left = None
            n_unstable = min(time.count_unstable(values), max_vectors)
            left = (
                known_left
                if known_left is not None
                else _left_vectors(x, values[:n_unstable], jacobian, products, k, time)
            )
        except scipy.sparse.linalg.ArpackNoConvergence:
            values = None  # clustered, non-normal spectra can defeat Arnoldi: go dense
    if values is None:
        J = jacobian(x)
        values = scipy.linalg.eigvals(J)
        values = values[time.order(values)]
        unstable = values[: min(time.count_unstable(values), max_vectors)]
        right, left = [np.zeros((size, 1))] * 2
        if unstable.size:
            right, transposed = _null_vectors(J, unstable, sides=(0, 1))
            left = np.conj(transposed)
    n_unstable = min(time.count_unstable(values), max_vectors)
    right, left = right[:, :n_unstable], left[:, :n_unstable]
    if n_unstable:
        right = right / np.linalg.norm(right, axis=0, keepdims=True)
        scale = np.einsum("ij,ij->j", left.conj(), right)
        left = left / np.where(scale == 0, 1, scale).conj()
    return values, right, left


def _left_vectors(
    x: FloatArray,
    values: np.ndarray,
    jacobian: Jacobian,
    products: Products,
    k: int,
    time: TimeKind,
) -> np.ndarray:
    """Left eigenvectors (N, len(values)) of J at x for its eigenvalues `values`, where the
    batched run on Jᵀ (_left_together) gave none: the conjugated right eigenvectors of Jᵀ, where
    J fits in memory by inverse iteration at the values (one LU each), else by ARPACK on Jᵀ."""
    size = x.size
    left = np.zeros((size, len(values)), dtype=complex)
    if len(values) and size <= _DENSE_PRODUCT_LIMIT:
        dense = np.asarray(jacobian(x), dtype=float)
        left = np.conj(_null_vectors(dense, values, sides=(1,))[0])
    elif len(values):
        t_values, t_right = _least_stable(
            products(x)[1], size, max(k, len(values) + 2), time, False
        )
        for j, value in enumerate(values):
            left[:, j] = np.conj(t_right[:, np.argmin(np.abs(t_values - value))])
    return left


def _dense_widening(
    known: Leading | None, eigenvalues: Literal["auto", "full"] | int, time: TimeKind, size: int
) -> bool:
    """Whether "auto" should take the whole spectrum from LAPACK: every leading eigenvalue
    Krylov found is unstable and J is small enough (a point with many unstable directions,
    such as 0 in a trained network, has over a hundred; ARPACK's doubling takes seconds)."""
    return (
        known is not None
        and eigenvalues == "auto"
        and size <= _DENSE_WIDEN_LIMIT
        and time.all_unstable(known[0])
    )


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


def _null_vectors(
    matrix: np.ndarray, values: np.ndarray, sides: tuple[int, ...] = (0,)
) -> list[np.ndarray]:
    """For each side, (N, len(values)) unit eigenvectors at `values` (_null_vector) of the real
    `matrix` (side 0) or of its transpose (side 1: left eigenvectors, conjugated); the second
    of a conjugate pair is the conjugate of the first's vector, not a complex LU more."""
    vectors = [np.zeros((matrix.shape[0], len(values)), dtype=complex) for _ in sides]
    for j, value in enumerate(values):
        pair = [i for i in range(j) if np.imag(value) != 0 and values[i] == np.conj(value)]
        found = (
            [v[:, pair[0]].conj() for v in vectors] if pair else _null_vector(matrix, value, sides)
        )
        for v, vector in zip(vectors, found, strict=True):
            v[:, j] = vector
    return vectors


def _null_vector(matrix: np.ndarray, value: complex, sides: tuple[int, ...]) -> list[np.ndarray]:
    """Unit vectors v with matrix v = value v (side 0) and matrixᵀ v = value v (side 1), by two
    steps of inverse iteration each, both from one LU of matrix - value I."""
    # a real eigenvalue (ARPACK and LAPACK give it a zero imaginary part) has a real vector:
    # its LU in real arithmetic takes a quarter of the complex one's time
    shift = value.real if np.imag(value) == 0 else value
    shifted = matrix.astype(np.result_type(matrix, shift))  # a copy
    # a tiny shift keeps the factorisation regular at an exact eigenvalue
    shifted[np.diag_indices_from(shifted)] -= shift - 1e-14 * max(1.0, abs(value))
    factors = scipy.linalg.lu_factor(shifted, overwrite_a=True, check_finite=False)
    found = []
    for side in sides:
        vector = np.ones(matrix.shape[0], dtype=shifted.dtype)
        for _ in range(2):
            # trans=1 solves with the transpose (not the conjugate transpose)
            vector = scipy.linalg.lu_solve(factors, vector, trans=side, check_finite=False)
            vector /= np.max(np.abs(vector))  # first, so that the norm cannot under- or overflow
            vector /= np.linalg.norm(vector)
        found.append(vector)
    return found


def _least_stable(
    apply: Operator, size: int, k: int, time: TimeKind, widen: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The k least stable eigenvalues of the operator `apply` by ARPACK, with right
    eigenvectors; with `widen`, k doubles while every one found is unstable."""
    shift = time.shift
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
            which=time.arpack_which,
            tol=1e-10,
            ncv=min(size, max(2 * k + 1, 60)),
            maxiter=50 * size,
            v0=start,
        )
        values = values - shift
        order = time.order(values)
        values, vectors = values[order], vectors[:, order]
        if not widen or time.count_unstable(values) < k or k >= size - 2:
            return values, vectors
        k *= 2
