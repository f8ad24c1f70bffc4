"""Robustness to noise in the weights: test error against noise level (the paper's
figure 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array
from ._common import axes_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_SYMBOLS = {"recurrent": "W_r", "feedback": "W_fb", "readout": "W_o"}


class NoiseResult(Protocol):
    """What `robustness` plots, e.g. a RobustnessResult: noise levels `eta` (L,), test errors
    `mse` (L, trials) and whether η is `relative`; `matrix` and `baseline_mse` are read if
    present."""

    @property
    def eta(self) -> ArrayLike: ...
    @property
    def mse(self) -> ArrayLike: ...
    @property
    def relative(self) -> bool: ...


class _Curve(NamedTuple):
    eta: np.ndarray  # (L,)
    mse: np.ndarray  # (L, trials), NaN made inf
    relative: bool
    matrix: str
    baseline: float | None  # the error without noise


def robustness(results: Mapping[str, NoiseResult], ax: Axes | None = None) -> Axes:
    """Test MSE against noise level η on log-log axes: for each network the median over
    trials, with a band from the 25th to the 75th percentile. Returns the axes.

    - results: name → an object with `eta` (L,), `mse` (L, trials) and `relative` (bool: η
      in units of the spread of the perturbed matrix), e.g. from `rd.noise_robustness`; all
      must agree on `relative`. Used if present: `matrix` ("recurrent" if absent) names
      the matrix in the labels; `baseline_mse`, the error without noise, is drawn as a
      dotted line, as is the median at η = 0 (which a log axis cannot show) otherwise.
      Non-finite MSEs (diverged trials) count as the largest.
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty mapping of name -> noise result")
    curves = {str(name): _curve(str(name), result) for name, result in results.items()}
    relative = {curve.relative for curve in curves.values()}
    if len(relative) > 1:
        raise ValueError("results mix relative and absolute noise levels: plot them apart")
    matrices = {curve.matrix for curve in curves.values()}
    symbol = "the weights"
    if len(matrices) == 1:
        matrix = matrices.pop()
        symbol = _SYMBOLS.get(matrix, matrix)

    ax = axes_for(ax)
    for name, curve in curves.items():
        # diverged trials are inf: interpolating percentiles would make inf - inf = NaN
        median = np.median(curve.mse, axis=1)
        low, high = np.percentile(curve.mse, [25, 75], axis=1, method="nearest")
        noisy = curve.eta > 0
        line = ax.plot(curve.eta[noisy], median[noisy], marker="o", ms=3, label=name)[0]
        ax.fill_between(
            curve.eta[noisy], low[noisy], high[noisy], color=line.get_color(), alpha=0.2, lw=0
        )
        if curve.baseline is not None:
            ax.axhline(curve.baseline, color=line.get_color(), ls=":", lw=1)
    if any(curve.baseline is not None for curve in curves.values()):
        ax.plot([], [], color="0.4", ls=":", lw=1, label="no noise")  # a legend entry only
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(
        xlabel=f"η (relative to std of {symbol})" if relative.pop() else "η",
        ylabel="test MSE",
        title=f"test error with Gaussian noise in {symbol}",
    )
    ax.legend(fontsize="small")
    return ax


def _curve(name: str, result: NoiseResult) -> _Curve:
    """One result, checked."""
    try:
        eta, mse, relative = result.eta, result.mse, result.relative
    except AttributeError:
        raise TypeError(
            f"results[{name!r}] must have eta, mse and relative attributes, got "
            f"{type(result).__name__}"
        ) from None
    eta = as_array(f"results[{name!r}].eta", eta, (None,))
    if eta.size == 0 or np.any(eta < 0):
        raise ValueError(f"results[{name!r}].eta must be non-empty and >= 0")
    mse = np.asarray(mse, dtype=float)  # not as_array: diverged trials may be inf or NaN
    if mse.ndim != 2 or mse.shape[0] != eta.size or mse.shape[1] == 0:
        raise ValueError(
            f"results[{name!r}].mse must have shape ({eta.size}, trials), got {mse.shape}"
        )
    mse = np.where(np.isnan(mse), np.inf, mse)
    baseline = getattr(result, "baseline_mse", None)
    if baseline is None and np.any(eta == 0):
        baseline = np.median(mse[eta == 0])
    return _Curve(
        eta,
        mse,
        bool(relative),
        str(getattr(result, "matrix", "recurrent")),
        None if baseline is None else float(baseline),
    )
