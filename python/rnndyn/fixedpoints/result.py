"""FixedPoints: the result of a fixed-point search, one row per unique point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import scipy.spatial
from numpy.typing import ArrayLike

from .._io import SavedResult

Kind = Literal["fixed", "slow", "unconverged"]
KINDS: tuple[Kind, ...] = ("fixed", "slow", "unconverged")


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

    @classmethod
    def empty(cls, size: int, discrete_time: bool = False, tol_q: float = 1e-20) -> FixedPoints:
        """No points, of width N = `size`."""
        return cls(
            points=np.zeros((0, size)),
            q=np.zeros(0),
            grad_norm=np.zeros(0),
            iterations=np.zeros(0, dtype=np.int64),
            stop_reason=np.zeros(0, dtype="<U18"),
            kind=np.zeros(0, dtype="<U11"),
            count=np.zeros(0, dtype=np.int64),
            is_outlier=np.zeros(0, dtype=bool),
            eigenvalues=np.zeros((0, 0), dtype=complex),
            unstable_dims=np.zeros(0, dtype=np.int64),
            is_stable=np.zeros(0, dtype=bool),
            label=np.zeros(0, dtype="<U16"),
            unstable_right=np.zeros((0, size, 0), dtype=complex),
            unstable_left=np.zeros((0, size, 0), dtype=complex),
            discrete_time=discrete_time,
            tol_q=tol_q,
        )

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


def merge_duplicates(
    points: np.ndarray, q: np.ndarray, tol_unique: float, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the lowest-q member of each cluster of points within tol_unique (KD-tree),
    lowest q first, and each cluster's size (or the sum of its members' `weights`);
    non-finite points are dropped."""
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
    sizes = (
        np.bincount(cluster, minlength=n_clusters)
        if weights is None
        else np.bincount(cluster, weights[finite], minlength=n_clusters).astype(int)
    )
    count = sizes[cluster[order[first]]]
    by_q = np.argsort(q[keep], kind="stable")
    return keep[by_q], count[by_q]


def near_any(points: np.ndarray, known: np.ndarray, tol: float) -> np.ndarray:
    """(K,) whether each row of `points` (K, N) lies within `tol` of a row of `known` (M, N)."""
    if known.shape[0] == 0 or points.shape[0] == 0:
        return np.zeros(points.shape[0], dtype=bool)
    distance, _ = scipy.spatial.cKDTree(known).query(points)
    near: np.ndarray = distance <= tol
    return near


def concatenate(parts: Sequence[FixedPoints], tol_unique: float) -> FixedPoints:
    """The points of several searches of one system as one result: points within tol_unique
    of each other merged (the lowest q kept, their counts added), lowest q first; spectra
    NaN-padded and unstable vectors zero-padded to the widest."""
    first = parts[0]
    columns = {name: [getattr(p, name) for p in parts] for name in _POINT_FIELDS}
    stacked = {name: _stack_padded(arrays) for name, arrays in columns.items()}
    keep, count = merge_duplicates(stacked["points"], stacked["q"], tol_unique, stacked["count"])
    rows = {name: array[keep] for name, array in stacked.items()}
    rows["count"] = count
    return FixedPoints(
        **rows,
        discrete_time=first.discrete_time,
        tol_q=first.tol_q,
        non_finite_starts=first.non_finite_starts,
    )


# the FixedPoints fields with one row per point (the others are scalar settings)
_POINT_FIELDS = tuple(
    f.name
    for f in fields(FixedPoints)
    if f.name not in ("discrete_time", "tol_q", "non_finite_starts")
)


def _stack_padded(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Arrays of one field stacked along rows, each padded to the widest in its other axes
    (NaN for complex eigenvalues, zeros otherwise)."""
    shape = np.max([a.shape for a in arrays], axis=0)
    fill = np.nan if arrays[0].dtype.kind == "c" and arrays[0].ndim == 2 else 0
    padded = []
    for a in arrays:
        out = np.full((a.shape[0], *shape[1:]), fill, dtype=np.result_type(*arrays))
        out[(slice(None), *map(slice, a.shape[1:]))] = a
        padded.append(out)
    return np.concatenate(padded)
