"""FixedPoints: the result of a fixed-point search, one row per unique point."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
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
