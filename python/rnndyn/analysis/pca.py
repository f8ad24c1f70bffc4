"""Principal component analysis, scikit-learn style, for projecting states (T, N) onto a few
axes: fit once (e.g. on a test run) and reuse the basis, so that pictures of several runs or
training snapshots share their axes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._io import load_archive, save_archive
from .._validation import as_array, as_int

_LEARNED = (
    "components_",
    "mean_",
    "explained_variance_",
    "explained_variance_ratio_",
    "singular_values_",
)


class PCA:
    """Projection onto the `n_components` directions of largest variance.

    Learned by `fit(X)`, X (T, N):

    - `components_`: (k, N) orthonormal principal axes, by decreasing variance; each is
      signed so that its largest-magnitude loading is positive, which makes the basis
      reproducible.
    - `mean_`: (N,) the mean of X, subtracted before projecting.
    - `explained_variance_`: (k,) variance along each axis (denominator T - 1).
    - `explained_variance_ratio_`: (k,) that variance as a fraction of the total variance.
    - `singular_values_`: (k,) the singular values of the centred X.
    """

    components_: NDArray[np.float64]
    mean_: NDArray[np.float64]
    explained_variance_: NDArray[np.float64]
    explained_variance_ratio_: NDArray[np.float64]
    singular_values_: NDArray[np.float64]

    def __init__(self, n_components: int) -> None:
        self.n_components = as_int("n_components", n_components, minimum=1)

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components})"

    @property
    def n_features_in_(self) -> int:
        """The width N of the data the basis was fitted to."""
        return int(self._fitted_mean().shape[0])

    def fit(self, X: ArrayLike) -> PCA:
        """Learn the axes from samples X (T, N), T >= 2; returns self."""
        data = as_array("X", X, (None, None))
        samples, features = data.shape
        if samples < 2 or features < 1:
            raise ValueError(f"X must hold at least 2 samples of width >= 1, got {data.shape}")
        if self.n_components > min(samples, features):
            raise ValueError(
                f"n_components must be <= min(T, N) = {min(samples, features)} for X of shape "
                f"{data.shape}, got {self.n_components}"
            )
        mean = data.mean(axis=0)
        _, singular, vt = np.linalg.svd(data - mean, full_matrices=False)
        components = vt[: self.n_components]
        # an axis's sign is arbitrary: fix it so that refits and other platforms agree
        largest = np.argmax(np.abs(components), axis=1)
        signs = np.sign(components[np.arange(self.n_components), largest])
        components = components * signs[:, None]
        variance = singular**2 / (samples - 1)
        total = variance.sum()
        self.components_ = components
        self.mean_ = mean
        self.singular_values_ = singular[: self.n_components]
        self.explained_variance_ = variance[: self.n_components]
        # constant data has no variance to explain: report zero rather than 0/0
        self.explained_variance_ratio_ = (
            self.explained_variance_ / total if total > 0 else np.zeros(self.n_components)
        )
        return self

    def transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """Coordinates of states X (..., N) on the axes: (..., k)."""
        mean = self._fitted_mean()
        return (_as_rows("X", X, mean.shape[0]) - mean) @ self.components_.T

    def fit_transform(self, X: ArrayLike) -> NDArray[np.float64]:
        """`fit(X)` then `transform(X)`: (T, N) → (T, k)."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Y: ArrayLike) -> NDArray[np.float64]:
        """States (..., N) with coordinates Y (..., k): exact for states in the span of the
        axes (all of them when k = N)."""
        mean = self._fitted_mean()
        return _as_rows("Y", Y, self.n_components) @ self.components_ + mean

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted basis to `path` (.npz, no pickle); returns the path."""
        self._fitted_mean()
        arrays = {name: getattr(self, name) for name in _LEARNED}
        return save_archive(path, "PCA", arrays, {"n_components": self.n_components})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PCA:
        """Load a basis written by `save`."""
        arrays, settings = load_archive(path, "PCA")
        missing = set(_LEARNED) - set(arrays)
        if missing or "n_components" not in settings:
            raise ValueError(f"{path}: not a valid PCA archive (missing {sorted(missing)})")
        pca = cls(settings["n_components"])
        for name in _LEARNED:
            setattr(pca, name, arrays[name])
        return pca

    def _fitted_mean(self) -> NDArray[np.float64]:
        mean: NDArray[np.float64] | None = getattr(self, "mean_", None)
        if mean is None:
            raise ValueError("this PCA is not fitted yet: call fit(X) first")
        return mean


def _as_rows(name: str, value: ArrayLike, width: int) -> NDArray[np.float64]:
    """`value` as a finite float array (..., width) with any leading shape."""
    try:
        leading = max(np.ndim(value) - 1, 0)
    except ValueError:  # a ragged list: let as_array say so
        leading = 0
    return as_array(name, value, (None,) * leading + (width,))
